/// Filters libcurl's protocol trace for `--verbose`: SMTP commands and replies only, with
/// every secret removed.
///
/// libcurl's own verbose output carries the AUTH exchange in base64 (`AUTH PLAIN AHByZXNz…`,
/// or the answers to `334` prompts for LOGIN), which is the password in all but name. Message
/// bodies and TLS records are left out entirely: they are the letter, not the protocol.
public struct TraceRedactor: Sendable {
    /// What a line of libcurl's trace is (curl_infotype).
    public enum Kind: Sendable {
        case text, fromServer, toServer, other
    }

    private var answeringChallenge = false

    public init() {}

    /// The line to show, or nil to show nothing.
    public mutating func filter(_ kind: Kind, _ line: String) -> String? {
        let trimmed = String(line.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
        switch kind {
        case .text:
            return "* " + trimmed
        case .fromServer:
            answeringChallenge = trimmed.hasPrefix("334")
            return "< " + (answeringChallenge ? "334 [challenge]" : trimmed)
        case .toServer:
            if answeringChallenge {
                answeringChallenge = false
                return "> [credentials redacted]"
            }
            let upper = trimmed.uppercased()
            if upper.hasPrefix("AUTH ") {
                let mechanism = trimmed.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                return "> AUTH \(mechanism) [credentials redacted]"
            }
            return "> " + trimmed
        case .other:
            return nil
        }
    }
}
