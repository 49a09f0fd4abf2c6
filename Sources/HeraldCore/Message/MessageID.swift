/// Message-IDs that are unique per (campaign, recipient) and stable across runs.
///
/// A resend of the same letter carries the same Message-ID, so the receiving side
/// (and an operator reading the delivery log) can recognise it as a duplicate.
public enum MessageID {
    /// `<h.herald@domain>` where h is a SHA-256 prefix of the campaign name, the recipient key
    /// and, for a recurring campaign, the occurrence (each occurrence is a new letter).
    public static func make(campaign: String, recipientKey: String, domain: String, occurrence: String? = nil) -> String {
        var input = Array(campaign.utf8)
        input.append(0)
        input += recipientKey.utf8
        if let occurrence {
            input.append(0)
            input += occurrence.utf8
        }
        var id: [UInt8] = [UInt8(ascii: "<")]
        SHA256.appendHex(SHA256.digest(input).prefix(16), to: &id)  // 32 hex digits
        id += ".herald@".utf8
        id += domain.lowercased().utf8
        id.append(UInt8(ascii: ">"))
        return String(decoding: id, as: UTF8.self)
    }
}
