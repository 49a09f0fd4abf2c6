import Foundation

/// A header value as UTF-8 bytes, with the byte on which each `Character` (extended
/// grapheme cluster) starts marked.
///
/// ``HeaderEncoder`` cuts text as `String` does: a space or a quote followed by a combining
/// mark is not a space or a quote, and a character is never split between encoded-words.
/// Finding the characters once and then working on bytes gives the same atoms as the
/// `String` operations at a fraction of their cost.
struct HeaderText {
    /// The text's UTF-8 bytes.
    let bytes: [UInt8]
    /// `startsCharacter[i]`: a character starts at byte `i`. One longer than `bytes`; the last is true.
    let startsCharacter: [Bool]

    /// Finds the characters: Unicode's segmentation (the standard library's) only where a
    /// byte is not ASCII or is a CR. Between two ASCII bytes, but for CR LF, a character
    /// always ends: no ASCII character extends or prepends another, and the rules that
    /// look back (emoji sequences, regional indicator pairs, Indic conjuncts) only look back
    /// over characters that are not ASCII. So the text is cut at those places into pieces
    /// whose characters are those of the whole text, and only the other pieces are segmented.
    init(_ text: String) {
        let bytes = Array(text.utf8)
        var starts = [Bool](repeating: false, count: bytes.count + 1)
        starts[bytes.count] = true
        var start = 0  // a character starts here
        while start < bytes.count {
            // The piece ends at the first place after `start` where a character must end.
            var end = start + 1
            while end < bytes.count && !(bytes[end - 1] < 0x80 && bytes[end - 1] != 0x0D && bytes[end] < 0x80) { end += 1 }
            if end == start + 1 {
                starts[start] = true
            } else {
                var offset = start
                for character in String(decoding: bytes[start..<end], as: UTF8.self) {
                    starts[offset] = true
                    offset += character.utf8.count
                }
            }
            start = end
        }
        self.bytes = bytes
        self.startsCharacter = starts
    }

    private init(bytes: [UInt8], startsCharacter: [Bool]) {
        self.bytes = bytes
        self.startsCharacter = startsCharacter
    }

    var count: Int { bytes.count }

    /// The text of a range that starts and ends on characters.
    func string(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    /// True when the character at `index` is exactly the ASCII `byte`, alone.
    func isCharacter(_ byte: UInt8, at index: Int) -> Bool {
        bytes[index] == byte && startsCharacter[index] && startsCharacter[index + 1]
    }

    /// `String.contains("=?")` on the text of `range`: does it hold what starts an encoded-word?
    ///
    /// Without the two bytes next to each other the answer is no. With them it is the
    /// `String` search's own (Foundation's, whose idea of a character differs from the
    /// standard library's: `"=?\u{FE0F}"` does not contain `"=?"`, `"=?\u{200D}"` does), so
    /// that rare case is left to it.
    func containsEncodedWordStart(_ range: Range<Int>) -> Bool {
        var index = range.lowerBound
        while index + 1 < range.upperBound {
            if bytes[index] == UInt8(ascii: "=") && bytes[index + 1] == UInt8(ascii: "?") {
                return string(range).contains("=?")
            }
            index += 1
        }
        return false
    }

    /// True when every byte of `range` is printable ASCII or a space (0x20-0x7E).
    func isPrintableASCII(_ range: Range<Int>) -> Bool {
        bytes[range].allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// The parts between single-space characters: `split(separator: " ")` on the text.
    func words(omittingEmpty: Bool) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var start = 0
        for index in bytes.indices where isCharacter(UInt8(ascii: " "), at: index) {
            if !omittingEmpty || index > start { words.append(start..<index) }
            start = index + 1
        }
        if !omittingEmpty || bytes.count > start { words.append(start..<bytes.count) }
        return words
    }

    /// The given parts joined by single spaces: `split(separator: " ").joined(separator: " ")`.
    ///
    /// The characters stay those of the original text: each separating space stood alone
    /// there, so no word begins or ends with a character that would join a space next to it.
    func joined(_ words: [Range<Int>]) -> HeaderText {
        var bytes: [UInt8] = []
        var starts: [Bool] = []
        for (index, word) in words.enumerated() {
            if index > 0 {
                bytes.append(UInt8(ascii: " "))
                starts.append(true)
            }
            bytes += self.bytes[word]
            starts += startsCharacter[word]
        }
        starts.append(true)
        return HeaderText(bytes: bytes, startsCharacter: starts)
    }
}
