/// Message-IDs that are unique per (campaign, recipient) and stable across runs.
///
/// A resend of the same letter carries the same Message-ID, so the receiving side
/// (and an operator reading the delivery log) can recognise it as a duplicate.
public enum MessageID {
    /// `<h.herald@domain>` where h is a SHA-256 prefix of the campaign name, the recipient key
    /// and, for a recurring campaign, the occurrence (each occurrence is a new letter).
    public static func make(campaign: String, recipientKey: String, domain: String, occurrence: String? = nil) -> String {
        let digest = SHA256.hex(campaign + "\u{0}" + recipientKey + (occurrence.map { "\u{0}" + $0 } ?? ""))
        return "<\(digest.prefix(32)).herald@\(domain.lowercased())>"
    }
}
