/// What the `[dkim]` table of a campaign file asks for: who signs, with which key and
/// algorithm, and which header fields the signature covers.
///
/// Pure configuration, checked when the campaign file is parsed (names, algorithm, header
/// list); the key file itself is read and parsed once per campaign by `PreparedCampaign.load`
/// into a `DKIMSigner`. Holds the key file's *path*, never the key.
public struct DKIMSettings: Sendable, Equatable {
    /// The signing algorithm (`algorithm`): the `a=` tag.
    public enum Algorithm: String, Sendable, Equatable, CaseIterable {
        /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 6376 §3.3.1): what every verifier knows.
        case rsaSHA256 = "rsa-sha256"
        /// Ed25519 over the SHA-256 of the signed data (RFC 8463): short keys and signatures,
        /// fast, but not yet verified by every receiver; publish an RSA selector beside it.
        case ed25519SHA256 = "ed25519-sha256"

        /// The `k=` tag of the DNS record this algorithm's key is published under.
        public var keyType: String { self == .rsaSHA256 ? "rsa" : "ed25519" }
    }

    /// The signing domain (`d=`), in ASCII (an internationalised domain as A-labels).
    public var domain: String
    /// The selector (`s=`): the key is published at `selector._domainkey.domain`.
    public var selector: String
    /// The private key's PEM file, resolved against the campaign file.
    public var privateKeyFile: String
    public var algorithm: Algorithm
    /// The header fields to sign, as written (`headers`); each is signed as often as the
    /// letter has it, and named once more (see `DKIMSigner`).
    public var headers: [String]

    /// Signed when the campaign does not say otherwise: every field that says who the letter
    /// is from and to, what it is, when and how it is encoded. `Sender`, `Reply-To` and `Cc`
    /// are named even when a letter has none, so none can be added on the way.
    public static let defaultHeaders = [
        "From", "Sender", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    ]

    public init(
        domain: String, selector: String, privateKeyFile: String, algorithm: Algorithm = .rsaSHA256,
        headers: [String] = DKIMSettings.defaultHeaders
    ) {
        self.domain = domain
        self.selector = selector
        self.privateKeyFile = privateKeyFile
        self.algorithm = algorithm
        self.headers = headers
    }

    /// The DNS name the public key is published under: `selector._domainkey.domain`.
    public var recordName: String { "\(selector)._domainkey.\(domain)" }
}

extension DKIMSettings {
    /// Why `name` cannot be a DKIM domain or selector (a dot-separated list of letter-digit-hyphen
    /// labels, RFC 6376 §3.1 and §3.5), or nil. `what` names it in the message.
    static func nameProblem(_ name: String, what: String) -> String? {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            if label.isEmpty { return "\"\(name)\" has an empty label (two dots, or a dot at an end); write the \(what) as labels separated by single dots" }
            if label.utf8.count > 63 { return "\"\(name)\": the label \"\(label)\" is longer than 63 characters" }
            let allowed = label.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
            }
            if !allowed { return "\"\(name.debugVisible)\" may hold only letters, digits, '-' and '.' (a DNS name)" }
            if label.hasPrefix("-") || label.hasSuffix("-") { return "\"\(name)\": the label \"\(label)\" starts or ends with '-'" }
        }
        return nil
    }

    /// Why `name` cannot be a header field name in `headers`, or nil.
    static func headerNameProblem(_ name: String) -> String? {
        if name.isEmpty || !name.utf8.allSatisfy({ $0 >= 33 && $0 <= 126 && $0 != UInt8(ascii: ":") }) {
            return "\"\(name.debugVisible)\" is not a header field name (printable ASCII, no ':' or space)"
        }
        if name.lowercased() == "dkim-signature" { return "DKIM-Signature cannot sign itself; remove it from headers" }
        if name.lowercased() == "bcc" { return "Bcc is never in a sent letter (it goes to the envelope only); remove it from headers" }
        return nil
    }
}
