/// Message-IDs that are unique per (campaign, recipient) and stable across runs.
///
/// A resend of the same letter carries the same Message-ID, so the receiving side
/// (and an operator reading the delivery log) can recognise it as a duplicate.
public enum MessageID {
    /// `<h.herald@domain>` where h is the first 16 bytes (32 hex digits) of a digest of the
    /// campaign name, the recipient key and, for a recurring campaign, the occurrence (each
    /// occurrence is a new letter).
    ///
    /// With `key` (the campaign's ``MessageIDKey``, as every command that sends or previews
    /// uses) the digest is HMAC-SHA256 under it: stable for the same inputs and key, and not
    /// computable by anyone without the key, so that knowing a row's address and the campaign
    /// name is not enough to forge a bounce of its letter. Without a key (only tests and tools
    /// that compose outside a campaign's state) it is the plain SHA-256 of the same input.
    public static func make(
        campaign: String, recipientKey: String, domain: String, occurrence: String? = nil,
        key: MessageIDKey? = nil
    ) -> String {
        var input = Array(campaign.utf8)
        input.append(0)
        input += recipientKey.utf8
        if let occurrence {
            input.append(0)
            input += occurrence.utf8
        }
        let digest = key.map { SHA256.hmac(key: $0.bytes, message: input) } ?? SHA256.digest(input)
        var id: [UInt8] = [UInt8(ascii: "<")]
        SHA256.appendHex(digest.prefix(16), to: &id)  // 32 hex digits
        id += ".herald@".utf8
        id += domain.lowercased().utf8
        id.append(UInt8(ascii: ">"))
        return String(decoding: id, as: UTF8.self)
    }
}
