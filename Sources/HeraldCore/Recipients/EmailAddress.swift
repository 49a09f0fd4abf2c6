import Foundation

/// An RFC 5321 mailbox (`local@domain`) that is safe to hand to an SMTP server.
///
/// Only the dot-atom form is accepted: it is what real recipient lists hold, and it
/// cannot carry the spaces, angle brackets or line breaks that would let a spreadsheet
/// cell inject an SMTP command or a header.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public let localPart: String
    public let domain: String
    /// The form used as a key in the delivery log: domains are case-insensitive, and so,
    /// in practice, are local parts; two spellings of one address are one recipient.
    /// Kept, not computed: every letter compares its addresses by it.
    public let normalized: String

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

    /// Letters, digits and combining marks: what a non-ASCII character in an address may be.
    /// Built once: a `CharacterSet` union costs far more than the address it checks.
    private static let nonASCIILetters = CharacterSet.letters.union(.decimalDigits).union(.nonBaseCharacters)

    /// Parses and checks a bare address (no display name, no angle brackets).
    ///
    /// Every list row's address passes here, so the checks work on bytes where that gives
    /// the same answer as `String`'s characters: always for the domain (ASCII by then), and
    /// for the whole address when it is ASCII (CR, the one ASCII character that could join
    /// the next, is refused first). A non-ASCII address is split and its local part's dots
    /// checked as `String` does, since a combining mark joins the `@` or `.` before it.
    public init(parsing text: String) throws(Problem) {
        if text.isEmpty { throw .empty }
        let whole = Substring(text)
        let (hasControl, isASCII, at) = Self.withBytes(whole, Self.scan)
        if hasControl { throw .controlCharacter }
        let local: Substring
        var domain: Substring
        if isASCII {
            guard let at else { throw .missingAt }
            let atIndex = text.utf8.index(text.startIndex, offsetBy: at)
            local = text[..<atIndex]
            domain = text[text.utf8.index(after: atIndex)...]
            if Self.withBytes(domain, { $0.contains(UInt8(ascii: "@")) }) { throw .multipleAt }
        } else {
            let parts = text.split(separator: "@", omittingEmptySubsequences: false)
            if parts.count == 1 { throw .missingAt }
            if parts.count > 2 { throw .multipleAt }
            local = parts[0]
            domain = parts[1]
        }
        if !isASCII && local.unicodeScalars.contains(where: { !$0.isASCII && !Self.nonASCIILetters.contains($0) }) { throw .nonASCII }
        if !isASCII && !Self.withBytes(domain, { $0.allSatisfy { $0 < 0x80 } }) {
            if let bad = domain.unicodeScalars.first(where: { !$0.isASCII && !Self.nonASCIILetters.contains($0) }) {
                throw .invalidDomain("the character U+\(String(bad.value, radix: 16, uppercase: true)) is not allowed in a domain name")
            }
            // An internationalised domain travels as A-labels (punycode).
            guard let ascii = Punycode.asciiDomain(String(domain)) else { throw .invalidDomain("cannot be converted to ASCII (punycode)") }
            domain = Substring(ascii)
        }
        if local.isEmpty { throw .invalidLocalPart("it is empty") }
        if local.utf8.count > 64 { throw .tooLong("the part before '@' has \(local.utf8.count) characters, 64 at most") }
        if Self.dotsMisplaced(local, isASCII: isASCII) { throw .invalidLocalPart("dots may not start, end or repeat") }
        if let bad = Self.withBytes(local, { $0.first(where: { $0 < 0x80 && $0 != UInt8(ascii: ".") && !Atext.contains($0) }) }) {
            throw .invalidLocalPart("the character '\(Character(UnicodeScalar(bad)))' is not allowed")
        }
        if domain.isEmpty { throw .invalidDomain("it is empty") }
        if domain.utf8.count > 255 { throw .tooLong("the domain has \(domain.utf8.count) characters, 255 at most") }
        if let problem = Self.withBytes(domain, { Self.labelProblem($0, domain: domain) }) { throw problem }
        let length = local.utf8.count + 1 + domain.utf8.count
        if length > 254 { throw .tooLong("\(length) characters, 254 at most") }
        self.localPart = String(local)
        self.domain = String(domain)
        self.normalized = (localPart + "@" + self.domain).lowercased()
    }

    /// `body` on the UTF-8 bytes of `text`: its own storage when it is contiguous (a native
    /// string always is), which is several times faster to walk than its `utf8` view.
    private static func withBytes<Result>(_ text: Substring, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        text.utf8.withContiguousStorageIfAvailable(body) ?? Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// One pass over the address: does it hold a control character (C0 or C1, DEL, the line
    /// and paragraph separators: U+0080-U+009F are C2 80-9F, U+2028 and U+2029 E2 80 A8 and
    /// A9), is it ASCII, and where is its first `@`.
    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> (hasControl: Bool, isASCII: Bool, at: Int?) {
        var previous: UInt8 = 0, beforePrevious: UInt8 = 0
        var isASCII = true
        var at: Int?
        for (offset, byte) in bytes.enumerated() {
            if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && byte >= 0x80 && byte <= 0x9F)
                || (beforePrevious == 0xE2 && previous == 0x80 && (byte == 0xA8 || byte == 0xA9))
            {
                return (true, false, nil)
            }
            if byte >= 0x80 { isASCII = false }
            if byte == UInt8(ascii: "@") && at == nil { at = offset }
            beforePrevious = previous
            previous = byte
        }
        return (false, isASCII, at)
    }

    /// A local part starting or ending with a dot, or with two dots together, as `String`
    /// compares characters (a dot that a combining mark follows is not a dot).
    private static func dotsMisplaced(_ local: Substring, isASCII: Bool) -> Bool {
        guard isASCII else { return local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") }
        return withBytes(local) { bytes in
            let dot = UInt8(ascii: ".")
            guard let first = bytes.first, first != dot, bytes.last != dot else { return !bytes.isEmpty }
            return zip(bytes, bytes.dropFirst()).contains { $0 == dot && $1 == dot }
        }
    }

    /// What is wrong with the labels of an ASCII domain (its `bytes`), if anything: fewer
    /// than two, an empty or too long one, a hyphen at an end, a character that is not a
    /// letter, digit or hyphen; the first problem found.
    private static func labelProblem(_ bytes: UnsafeBufferPointer<UInt8>, domain: Substring) -> Problem? {
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        if labels.count < 2 { return .invalidDomain("\"\(domain)\" has no dot; a mailbox needs a full domain name") }
        for label in labels {
            func text() -> String { String(decoding: label, as: UTF8.self) }
            if label.isEmpty { return .invalidDomain("empty label in \"\(domain)\"") }
            if label.count > 63 { return .tooLong("the domain label \"\(text())\" has more than 63 characters") }
            if label.first == UInt8(ascii: "-") || label.last == UInt8(ascii: "-") { return .invalidDomain("label \"\(text())\" starts or ends with '-'") }
            if let bad = label.first(where: { !isLabelCharacter($0) }) {
                return .invalidDomain("the character '\(Character(UnicodeScalar(bad)))' is not allowed")
            }
        }
        return nil
    }

    /// Letters, digits and `-`: what a domain label may hold.
    private static func isLabelCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    public var description: String { "\(localPart)@\(domain)" }

    /// True when the part before `@` is not ASCII: such an address may only be sent to a
    /// server that offers SMTPUTF8 (RFC 6531), and appears as UTF-8 in the headers (RFC 6532).
    public var requiresSMTPUTF8: Bool { !localPart.unicodeScalars.allSatisfy(\.isASCII) }

}
