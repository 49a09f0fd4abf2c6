import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Compares the byte-level address checks with the String ones they replaced, on generated
/// texts: the same address accepted with the same parts, or the same problem, for ASCII
/// addresses and for those where `String`'s characters matter (a combining mark after `@`
/// or a dot, marks and letters of other scripts, internationalised domains, controls).
@Suite struct EmailAddressDifferentialTests {
    /// `EmailAddress(parsing:)` before it worked on bytes, kept as the reference. Do not change it.
    enum Legacy {
        static let labelCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-".utf8)
        static let nonASCIILetters = CharacterSet.letters.union(.decimalDigits).union(.nonBaseCharacters)

        static func parse(_ text: String) throws(EmailAddress.Problem) -> (local: String, domain: String) {
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
                guard let ascii = Punycode.asciiDomain(String(domain)) else { throw .invalidDomain("cannot be converted to ASCII (punycode)") }
                domain = Substring(ascii)
            }
            if local.isEmpty { throw .invalidLocalPart("it is empty") }
            if local.utf8.count > 64 { throw .tooLong("the part before '@' has \(local.utf8.count) characters, 64 at most") }
            if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") {
                throw .invalidLocalPart("dots may not start, end or repeat")
            }
            if let bad = local.utf8.first(where: { $0 < 0x80 && $0 != UInt8(ascii: ".") && !Atext.set.contains($0) }) {
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
            return (String(local), String(domain))
        }
    }

    static let pieces = [
        "ann", "Minister", "o'brien", "x", "1999", ".", ".", "..", "@", "@", "-", "_", "+", "!#$%&'*+/=?^`{|}~", " ", "\"", "(", ",",
        "example", ".example", "bücher", "josé", "é", "e\u{301}", "\u{301}", "\u{308}", "\u{600}", "\u{200D}", "★", "Ελένη", "人",
        "\u{00A0}", "\r", "\n", "\t", "\u{0}", "\u{7F}", "\u{85}", "\u{2028}", "\u{2029}", "\u{9F}", "\u{A0}", "xn--", "XN--BCHER-KVA",
        String(repeating: "l", count: 60), String(repeating: "d", count: 62), String(repeating: "é", count: 40),
    ]

    static let texts: [String] = {
        var random = SplitMix(seed: 5321)
        var texts = [
            "", "@", "a@b", "a@b.c", ".a@b.c", "a.@b.c", "a..b@c.d", "a@-b.c", "a@b-.c", "a@.b", "a@b.", ".\u{301}a@b.example",
            "a.\u{301}@b.example", "a@\u{301}b.example", "a\u{301}@b.example", "a@b@c", "a@b.example\u{2028}",
        ]
        for _ in 0..<6_000 {
            var text = ""
            for _ in 0..<random.int(1...8) { text += random.pick(pieces) }
            if random.chance(60) { text = random.pick(["ann", "a.b", "josé", ""]) + "@" + text + random.pick([".example", "", ".x"]) }
            texts.append(text)
            // And one that is mostly right.
            texts.append(
                random.pick(["ann", "o'brien", "a.b", "josé", "Ελένη", "x+tag", "Minister"]) + random.pick(["", "", ".", "é", "\u{301}"])
                    + "@" + random.pick(["", "", "\u{301}", "-"])
                    + random.pick(["x.example", "bücher.example", "Mail.Example", "a-b.c", "xn--bcher-kva.example"]))
        }
        return texts
    }()

    @Test func addressesMatchTheOldChecks() {
        var differing: [String] = []
        var accepted = 0
        for text in Self.texts {
            let new = Result { () throws(EmailAddress.Problem) in try EmailAddress(parsing: text) }
            let old = Result { () throws(EmailAddress.Problem) in try Legacy.parse(text) }
            switch (new, old) {
            case (.success(let address), .success(let parts)):
                if address.localPart != parts.local || address.domain != parts.domain || address.normalized != address.description.lowercased() {
                    differing.append(text)
                }
                accepted += 1
            case (.failure(let a), .failure(let b)) where a == b:
                break
            default:
                differing.append(text)
            }
        }
        #expect(differing.isEmpty, "\(differing.count) differ, first: \(differing.first.map { Array($0.unicodeScalars) } ?? [])")
        #expect(accepted > 2_000, "\(accepted) accepted")
    }
}
