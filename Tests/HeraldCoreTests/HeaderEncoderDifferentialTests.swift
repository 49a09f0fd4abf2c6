import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// `HeaderEncoder.encodedWords` before issue 10 (it re-encoded the growing word for every
/// character), kept as the reference for the incremental version. Do not change it.
enum LegacyEncodedWords {
    static let qSafe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/".utf8)

    static func encodedWords(_ text: String, firstLimit: Int = HeaderEncoder.maxEncodedWord) -> [String] {
        let q = split(text, prefix: "=?utf-8?q?", firstLimit: firstLimit, length: { qEncode($0).count }, encode: qEncode)
        let b = split(
            text, prefix: "=?utf-8?b?", firstLimit: firstLimit,
            length: { ($0.count + 2) / 3 * 4 }, encode: { Data($0).base64EncodedString() })
        let total: ([String]) -> Int = { $0.reduce(0) { $0 + $1.count } }
        return total(b) < total(q) ? b : q
    }

    private static func split(
        _ text: String, prefix: String, firstLimit: Int,
        length: ([UInt8]) -> Int, encode: ([UInt8]) -> String
    ) -> [String] {
        let maxEncodedWord = HeaderEncoder.maxEncodedWord, suffix = "?="
        var pieces: [[UInt8]] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if length(bytes) > maxEncodedWord - prefix.count - suffix.count {
                pieces += character.unicodeScalars.map { Array(String($0).utf8) }
            } else {
                pieces.append(bytes)
            }
        }
        var words: [String] = []
        var current: [[UInt8]] = []
        func limit() -> Int {
            (words.isEmpty ? max(firstLimit, prefix.count + suffix.count + 12) : maxEncodedWord) - prefix.count - suffix.count
        }
        for piece in pieces {
            if !current.isEmpty && length(current.flatMap { $0 } + piece) > limit() {
                var cut = current.count
                if let space = current.lastIndex(of: [UInt8(ascii: " ")]), space > 0 { cut = space + 1 }
                words.append(prefix + encode(current[..<cut].flatMap { $0 }) + suffix)
                current = Array(current[cut...])
            }
            current.append(piece)
        }
        if !current.isEmpty || words.isEmpty { words.append(prefix + encode(current.flatMap { $0 }) + suffix) }
        return words
    }

    private static func qEncode(_ bytes: [UInt8]) -> String {
        var out = ""
        for byte in bytes {
            if byte == UInt8(ascii: " ") {
                out += "_"
            } else if qSafe.contains(byte) {
                out.append(Character(UnicodeScalar(byte)))
            } else {
                out += "=" + hex(byte)
            }
        }
        return out
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}

@Suite struct HeaderEncoderDifferentialTests {
    static let pieces = [
        "Pierre", "Sané", "Secretary", "General", "of", "Amnesty", "International", " ", " ", "  ", ",", ".", "\"", "=?",
        "?=", "_", "=", "(", ")", "<", ">", "@", "Ødegård", "Žofia", "Ďurišová-Kráľová", "Ελληνική", "人权", "中华人民共和国",
        "🙂", "🇪🇺", "👨‍👩‍👧‍👦", "e\u{301}", "\u{1F3FB}", "–", "€", "\t", "x", "1999",
    ]

    static let texts: [String] = {
        var random = SplitMix(seed: 75)
        var texts = [
            "", " ", "a", String(repeating: "é", count: 100), String(repeating: "x", count: 200),
            String(repeating: "👨‍👩‍👧‍👦", count: 8), String(repeating: "a ", count: 60),
        ]
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<(random.int(1...30)) { text += random.pick(pieces) }
            texts.append(text)
        }
        return texts
    }()

    @Test func encodedWordsMatchTheOldEncoder() {
        var differing: [String] = []
        for (index, text) in Self.texts.enumerated() {
            let firstLimit = [HeaderEncoder.maxEncodedWord, 60, 30, 12, 0][index % 5]
            if HeaderEncoder.encodedWords(text, firstLimit: firstLimit) != LegacyEncodedWords.encodedWords(text, firstLimit: firstLimit) {
                differing.append(text)
            }
        }
        #expect(differing.isEmpty, "\(differing.count) differ, first: \(differing.first?.debugDescription ?? "")")
    }

    @Test func hexMatchesTheOldOne() {
        #expect((UInt8.min...UInt8.max).allSatisfy { HeaderEncoder.hex($0) == LegacyEncodedWords.hex($0) })
    }
}
