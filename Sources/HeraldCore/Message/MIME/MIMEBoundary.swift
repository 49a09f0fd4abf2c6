/// Multipart boundaries (RFC 2046 §5.1.1) that are the same every time a letter is composed,
/// so a preview is byte for byte the letter sent, and that cannot occur in the parts.
///
/// A boundary is `=_herald_` followed by 32 hex digits of SHA-256 over the Message-ID and the
/// multipart's role. The `=_` cannot appear in a quoted-printable part (an `=` is written
/// `=3D` there) nor in base64 (whose only `=` is padding at a line's end); a 7bit part whose
/// text happens to hold `=_` is written quoted-printable instead (``MessageComposer``), so no
/// part's content can hold a boundary.
enum MIMEBoundary {
    static let prefix = "=_herald_"

    /// The boundary of the letter's `role` multipart (`"mixed"`, `"alternative"`).
    static func make(messageID: String, role: String) -> String {
        prefix + String(SHA256.hex(messageID + "\u{0}" + role).prefix(32))
    }
}
