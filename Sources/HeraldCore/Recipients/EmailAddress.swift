import Foundation

/// An RFC 5321 mailbox (`local@domain`) that is safe to hand to an SMTP server.
///
/// Only the dot-atom form is accepted: it is what real recipient lists hold, and it
/// cannot carry the spaces, angle brackets or line breaks that would let a spreadsheet
/// cell inject an SMTP command or a header.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public let localPart: String
    public let domain: String

    /// Why a string is not an acceptable mailbox; the text is written for the person fixing the list.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case controlCharacter
        case nonASCII
        case missingAt
        case multipleAt
        case invalidLocalPart(String)
        case invalidDomain(String)
        case tooLong(String)

        public var description: String {
            switch self {
            case .empty: return "is empty"
            case .controlCharacter: return "contains a line break or control character"
            case .nonASCII: return "has a non-ASCII character before '@' that is not a letter, mark or digit"
            case .missingAt: return "has no '@domain' part"
            case .multipleAt: return "has more than one '@'"
            case .invalidLocalPart(let detail): return "has an invalid part before '@': \(detail)"
            case .invalidDomain(let detail): return "has an invalid domain: \(detail)"
            case .tooLong(let detail): return "is too long: \(detail)"
            }
        }
    }

    private static let labelCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-".utf8)

    /// Parses and checks a bare address (no display name, no angle brackets).
    /// Letters, digits and combining marks: what a non-ASCII character in an address may be.
    /// Built once: a `CharacterSet` union costs far more than the address it checks.
    private static let nonASCIILetters = CharacterSet.letters.union(.decimalDigits).union(.nonBaseCharacters)

    public init(parsing text: String) throws(Problem) {
        if text.isEmpty { throw .empty }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 || $0.value == 0x2029 }) {
            throw .controlCharacter
        }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count == 1 { throw .missingAt }
        if parts.count > 2 { throw .multipleAt }
        let local = parts[0]
        if local.unicodeScalars.contains(where: { !$0.isASCII && !Self.nonASCIILetters.contains($0) }) { throw .nonASCII }
        var domain = parts[1]
        if !domain.unicodeScalars.allSatisfy(\.isASCII) {
            if let bad = domain.unicodeScalars.first(where: { !$0.isASCII && !Self.nonASCIILetters.contains($0) }) {
                throw .invalidDomain("the character U+\(String(bad.value, radix: 16, uppercase: true)) is not allowed in a domain name")
            }
            // An internationalised domain travels as A-labels (punycode).
            guard let ascii = Punycode.asciiDomain(String(domain)) else { throw .invalidDomain("cannot be converted to ASCII (punycode)") }
            domain = Substring(ascii)
        }
        if local.isEmpty { throw .invalidLocalPart("it is empty") }
        if local.utf8.count > 64 { throw .tooLong("the part before '@' has \(local.utf8.count) characters, 64 at most") }
        if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") {
            throw .invalidLocalPart("dots may not start, end or repeat")
        }
        if let bad = local.utf8.first(where: { $0 < 0x80 && $0 != UInt8(ascii: ".") && !HeaderEncoder.atext.contains($0) }) {
            throw .invalidLocalPart("the character '\(Character(UnicodeScalar(bad)))' is not allowed")
        }
        if domain.isEmpty { throw .invalidDomain("it is empty") }
        if domain.utf8.count > 255 { throw .tooLong("the domain has \(domain.utf8.count) characters, 255 at most") }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count < 2 { throw .invalidDomain("\"\(domain)\" has no dot; a mailbox needs a full domain name") }
        for label in labels {
            if label.isEmpty { throw .invalidDomain("empty label in \"\(domain)\"") }
            if label.utf8.count > 63 { throw .tooLong("the domain label \"\(label)\" has more than 63 characters") }
            if label.hasPrefix("-") || label.hasSuffix("-") { throw .invalidDomain("label \"\(label)\" starts or ends with '-'") }
            if let bad = label.utf8.first(where: { !Self.labelCharacters.contains($0) }) {
                throw .invalidDomain("the character '\(Character(UnicodeScalar(bad)))' is not allowed")
            }
        }
        let length = local.utf8.count + 1 + domain.utf8.count
        if length > 254 { throw .tooLong("\(length) characters, 254 at most") }
        self.localPart = String(local)
        self.domain = String(domain)
    }

    public var description: String { "\(localPart)@\(domain)" }

    /// True when the part before `@` is not ASCII: such an address may only be sent to a
    /// server that offers SMTPUTF8 (RFC 6531), and appears as UTF-8 in the headers (RFC 6532).
    public var requiresSMTPUTF8: Bool { !localPart.unicodeScalars.allSatisfy(\.isASCII) }

    /// The form used as a key in the delivery log: domains are case-insensitive, and so,
    /// in practice, are local parts; two spellings of one address are one recipient.
    public var normalized: String { description.lowercased() }
}
