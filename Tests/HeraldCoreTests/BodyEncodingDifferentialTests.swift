import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// The body path before issue 10 (String and Foundation), kept as the reference the byte
/// implementation is compared with. Do not "fix" or speed it up: it is the old behaviour.
enum LegacyBodyEncoding {
    /// The former `QuotedPrintable.encode`.
    static func quotedPrintable(_ text: String) -> String {
        let lines = text.components(separatedBy: "\r\n")
        return lines.map(encodeLine).joined(separator: "\r\n")
    }

    private static func encodeLine(_ line: String) -> String {
        let bytes = Array(line.utf8)
        var pieces: [String] = []
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let literal =
                (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                || ((byte == 0x20 || byte == 0x09) && !isLast)
            pieces.append(literal ? String(UnicodeScalar(byte)) : "=" + HeaderEncoder.hex(byte))
        }
        var output = ""
        var current = ""
        for piece in pieces {
            if current.count + piece.count > QuotedPrintable.maxLineLength - 1 {
                output += current + "=\r\n"
                current = ""
            }
            current += piece
        }
        return output + current
    }

    /// The former `MessageComposer.normalizeLineEnds`.
    static func normalizeLineEnds(_ text: String) -> String {
        var lf = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        while lf.hasSuffix("\n") { lf.removeLast() }
        return lf.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
    }

    /// The former body half of `MessageComposer.compose`: the transfer encoding and the text after the blank line.
    static func body(_ text: String) -> (plain: Bool, text: String) {
        let body = normalizeLineEnds(text)
        let plain =
            body.unicodeScalars.allSatisfy(\.isASCII)
            && body.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= HeaderEncoder.maximumLineLength }
        return (plain, plain ? body : quotedPrintable(body))
    }
}

/// Compares the byte-level quoted-printable encoder, line-end normaliser and body assembly
/// with the String implementations they replaced, on thousands of generated bodies.
@Suite struct BodyEncodingDifferentialTests {
    /// Pieces a body is made of: words, the characters quoted-printable treats specially,
    /// every kind of line end, 2-, 3- and 4-byte scalars, controls.
    static let pieces: [String] = [
        "Dear", "Minister", "human", "rights", "dialogue", "1999", " ", " ", "  ", "\t", " \t", "=", "==", "=3D",
        ".", "..", "-", "_", "~", "{{x}}", "\"", "'", "<", ">", "&", "?", "!",
        "\r\n", "\r\n", "\r\n", "\n", "\n", "\r", "\r\r\n", "\n\r", "\r\n\r\n", "\n\n",
        "é", "Sané", "Schüssel", "Ødegård", "ß", "–", "€", "人权", "中华", "🙂", "🇪🇺", "👨‍👩‍👧‍👦", "𝔘",
        "e\u{301}", "\u{0}", "\u{7F}", "\u{1B}", "\u{85}", "\u{2028}", "\u{FEFF}",
    ]

    /// Characters that extend the character before them; right after a line end they
    /// trigger the old normaliser's quirk (see `oldNormaliserKeepsALineEndBeforeACombiningMark`).
    static let extenders: [String] = ["\u{301}", "\u{308}", "\u{FE0F}", "\u{1F3FB}", "\u{200D}", "\u{20E3}"]

    static func bodies(count: Int, seed: UInt64, extenders: Bool) -> [String] {
        var random = SplitMix(seed: seed)
        var bodies: [String] = []
        for index in 0..<count {
            var body = ""
            switch index % 10 {
            case 0:  // lines of exactly, or about, 75/76/77 and 997/998/999 bytes, with what follows them
                let length = random.pick([74, 75, 76, 77, 78, 996, 997, 998, 999, 1000])
                let filler = random.pick(["x", " ", ".", "a b", "\t"])
                body = String(String(repeating: filler, count: length).prefix(length))
                body += random.pick(["", " ", "\t", "=", "é", "🙂", "\r\n", "\n", "\r", "\r\nnext", " \r\n", "\t\r\n"])
                if random.chance(50) { body = random.pick([".", "..", "", "é"]) + body }
            case 1:  // one long line of words
                for _ in 0..<random.int(20...419) { body += random.pick(["word", "é", "=", " ", "人", "🙂"]) }
            default:
                for _ in 0..<random.int(0...119) {
                    body += random.pick(pieces)
                    if extenders && random.chance(4) { body += random.pick(Self.extenders) }
                }
            }
            if random.chance(33) { body += random.pick(["\r\n", "\n", "\n\n\n", "\r", "\r\n\r\n", " ", "\t", "."]) }
            bodies.append(body)
        }
        return bodies
    }

    /// 4,000 bodies without the quirk's trigger, 2,000 more with it.
    static let plainBodies = bodies(count: 4_000, seed: 1999, extenders: false)
    static let extendedBodies = bodies(count: 2_000, seed: 208, extenders: true)

    @Test func quotedPrintableMatchesTheOldEncoderByteForByte() {
        var differing: [String] = []
        for body in Self.plainBodies + Self.extendedBodies {
            // The encoder's input as compose gives it (CRLF only), and the raw body (lone CR and LF are data).
            for input in [LegacyBodyEncoding.normalizeLineEnds(body), body] {
                if QuotedPrintable.encode(input) != LegacyBodyEncoding.quotedPrintable(input) { differing.append(input) }
            }
        }
        #expect(differing.isEmpty, "\(differing.count) differ, first: \(differing.first.map { Array($0.utf8) } ?? [])")
    }

    /// Every byte value (as part of a valid scalar where it is ≥ 0x80) just before, at and after the soft-break column.
    @Test func quotedPrintableMatchesOnEveryByteValueAroundTheSoftBreak() {
        var differing: [[UInt8]] = []
        for value in UInt8.min...UInt8.max {
            // A byte ≥ 0x80 cannot stand alone in a String: use a scalar whose UTF-8 holds it.
            let piece: [UInt8] = value < 0x80 ? [value] : value < 0xC0 ? [0xC2, value] : Array("\u{1F642}".utf8)
            for column in 70...78 {
                for tail: [UInt8] in [[], [0x0D, 0x0A], [0x20], [0x0D], [0x0A], [0x41, 0x42], [0x0D, 0x0A, 0x20]] {
                    let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: column) + piece + tail
                    let text = String(decoding: bytes, as: UTF8.self)
                    let new = bytes.withUnsafeBufferPointer { QuotedPrintable.encode($0) }
                    if new != Array(LegacyBodyEncoding.quotedPrintable(text).utf8) || QuotedPrintable.encode(text) != String(decoding: new, as: UTF8.self) {
                        differing.append(bytes)
                    }
                }
            }
        }
        #expect(differing.isEmpty, "\(differing.count) differ, first: \(differing.first ?? [])")
    }

    /// Old and new normalisers agree on every body where no line end is directly followed
    /// by a character that extends it; the byte normaliser is also checked against a
    /// plain scalar-level definition on all bodies.
    @Test func lineEndsMatchTheOldNormaliser() {
        var differing: [String] = []
        var quirks = 0
        for body in Self.plainBodies + Self.extendedBodies {
            let new = MessageComposer.normalizeLineEnds(body)
            #expect(new == Self.scalarNormalize(body))
            if new == LegacyBodyEncoding.normalizeLineEnds(body) { continue }
            if Self.hasExtenderAfterLineEnd(body) { quirks += 1 } else { differing.append(body) }
        }
        #expect(differing.isEmpty, "\(differing.count) differ, first: \(differing.first.map { Array($0.utf8) } ?? [])")
        // Every body without an extender after a line end matches; the extended set does trigger the quirk.
        #expect(Self.plainBodies.allSatisfy { !Self.hasExtenderAfterLineEnd($0) })
        #expect(quirks > 0)
    }

    /// The whole body as `compose` writes it (transfer encoding and bytes after the blank
    /// line) against the old path, on every generated body the old normaliser got right.
    @Test func composedBodiesMatchTheOldComposer() throws {
        var compared = 0
        for body in Self.plainBodies + Self.extendedBodies where !Self.hasExtenderAfterLineEnd(body) {
            let letter = RenderedLetter(
                headers: [
                    (name: "From", value: "Sender <from@org.example>", line: 1),
                    (name: "To", value: "Ann <to@x.example>", line: 2),
                    (name: "Subject", value: "Différentiel", line: 3),
                ], body: body)
            let message = try MessageComposer.compose(
                letter, campaign: "c", recipientKey: "to@x.example",
                date: Date(timeIntervalSince1970: 918_000_000))
            let old = LegacyBodyEncoding.body(body)
            let separator = try #require(Self.firstBlankLine(message.data))
            let head = String(decoding: message.data[..<separator], as: UTF8.self)
            #expect(head.hasSuffix("Content-Transfer-Encoding: \(old.plain ? "7bit" : "quoted-printable")"))
            #expect(Array(message.data[(separator + 4)...]) == Array(old.text.utf8), "body \(Array(body.utf8))")
            compared += 1
        }
        #expect(compared > 5_000)
    }

    /// The header-line length check `compose` runs on every header it writes, against the old
    /// `components(separatedBy: "\r\n")` form, at small limits so every case is near one.
    @Test func headerLineLengthCheckMatchesTheOldOne() {
        var random = SplitMix(seed: 5322)
        var differing: [String] = []
        for _ in 0..<5_000 {
            var text = ""
            for _ in 0..<random.int(0...29) { text += random.pick(["a", "bc", " ", "\r\n", "\r", "\n", "\r\r\n", "é", "🙂", "\t"]) }
            let limit = random.int(0...11)
            let old = text.components(separatedBy: "\r\n").contains { $0.utf8.count > limit }
            if MessageComposer.hasLine(longerThan: limit, in: Substring(text)) != old { differing.append(text) }
        }
        let long = String(repeating: "x", count: 998)
        for text in [long, long + "\r\n", long + "y", "a\r\n" + long + "\r", "\r\n" + long + "yy\r\n"] {
            let old = text.components(separatedBy: "\r\n").contains { $0.utf8.count > 998 }
            if MessageComposer.hasLine(longerThan: 998, in: Substring(text)) != old { differing.append(text) }
        }
        #expect(differing.isEmpty, "\(differing.count) differ, first: \(differing.first.map { Array($0.utf8) } ?? [])")
    }

    /// The one place the old path was not what its contract said: Foundation's
    /// `replacingOccurrences` does not match a CR or LF that a combining mark (or another
    /// extending character) follows, so such a line end stayed a bare LF or CR in the body
    /// (quoted-printable then wrote it as `=0A`/`=0D` inside a line). The byte normaliser
    /// turns every line end into CRLF, as documented.
    @Test func oldNormaliserKeepsALineEndBeforeACombiningMark() {
        #expect(LegacyBodyEncoding.normalizeLineEnds("a\n\u{301}b") == "a\n\u{301}b\r\n")
        #expect(MessageComposer.normalizeLineEnds("a\n\u{301}b") == "a\r\n\u{301}b\r\n")
        #expect(MessageComposer.normalizeLineEnds("a\r\n\u{301}b") == "a\r\n\u{301}b\r\n")
        #expect(MessageComposer.normalizeLineEnds("a\r\u{308}b\n") == "a\r\n\u{308}b\r\n")
    }

    @Test(arguments: [
        ("", "\r\n"), ("\n", "\r\n"), ("\r\n\r\n\n\r", "\r\n"), ("a", "a\r\n"), ("a\r\n", "a\r\n"),
        ("a\rb", "a\r\nb\r\n"), ("a\nb", "a\r\nb\r\n"), ("a\r\r\nb", "a\r\n\r\nb\r\n"), ("a\n\rb", "a\r\n\r\nb\r\n"),
        ("\n\na", "\r\n\r\na\r\n"), (".\n..\n", ".\r\n..\r\n"), ("é\r", "é\r\n"), ("a \n", "a \r\n"),
    ])
    func normalisesLineEndsExactly(input: String, expected: String) {
        #expect(MessageComposer.normalizeLineEnds(input) == expected)
        #expect(LegacyBodyEncoding.normalizeLineEnds(input) == expected)
    }

    // MARK: Helpers

    /// Every CR LF, lone CR and lone LF becomes CR LF; trailing ones go, one CR LF ends the text.
    static func scalarNormalize(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        while let last = scalars.last, last == "\r" || last == "\n" { scalars.removeLast() }
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\r" || scalar == "\n" {
                output.append(contentsOf: "\r\n".unicodeScalars)
                index += scalar == "\r" && index + 1 < scalars.count && scalars[index + 1] == "\n" ? 2 : 1
            } else {
                output.append(scalar)
                index += 1
            }
        }
        return String(output) + "\r\n"
    }

    /// True when a CR or LF is directly followed by a non-ASCII scalar that Unicode says
    /// extends the character before it (a mark, a variation selector, an emoji modifier, a joiner).
    static func hasExtenderAfterLineEnd(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        for index in scalars.indices.dropLast() where scalars[index] == "\r" || scalars[index] == "\n" {
            let next = scalars[index + 1]
            if !next.isASCII
                && (next.properties.isGraphemeExtend || next.properties.isEmojiModifier
                    || next.properties.generalCategory == .spacingMark || next.value == 0x200D)
            {
                return true
            }
        }
        return false
    }

    static func firstBlankLine(_ data: [UInt8]) -> Int? {
        guard data.count >= 4 else { return nil }
        for index in 0...(data.count - 4)
        where data[index] == 0x0D && data[index + 1] == 0x0A
            && data[index + 2] == 0x0D && data[index + 3] == 0x0A
        {
            return index
        }
        return nil
    }
}
