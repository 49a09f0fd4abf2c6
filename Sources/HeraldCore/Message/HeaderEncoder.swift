/// Turns header values into 7-bit RFC 5322 header lines: RFC 2047 encoded-words
/// for non-ASCII text, quoted strings where needed, and folding under 78 characters.
///
/// Pure and deterministic, so composed messages can be compared byte for byte. The work
/// is done on UTF-8 bytes (``HeaderText``), with the text's characters found once, since
/// every letter's `To` and `Subject` pass through here.
public enum HeaderEncoder {
    /// Longest line, without CRLF, that folding aims for (RFC 5322 §2.1.1 SHOULD).
    public static let preferredLineLength = 78
    /// Hard limit for any line, without CRLF (RFC 5322 §2.1.1 MUST).
    public static let maximumLineLength = 998

    /// An encoded-word may be at most 75 characters (RFC 2047 §2).
    public static let maxEncodedWord = 75
    /// `=?utf-8?q?` or `=?utf-8?b?` and `?=`: what an encoded-word adds to its text.
    private static let wordOverhead = 12

    /// True for a byte that may stand unencoded inside a Q-encoded word in any header
    /// context (RFC 2047 §5 rule 3, the strictest one, for phrases): letters, digits, `!*+-/`.
    @inline(__always)
    static func isQSafe(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "!"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }

    /// Encodes `text` as one or more encoded-words of at most 75 characters, never splitting
    /// a character across words. Uses Q ("=?utf-8?q?") or B ("=?utf-8?b?"), whichever is
    /// shorter for this text: fewer, longer words mean fewer splits, and decoders disagree
    /// about the space between two encoded-words of a display name.
    ///
    /// - Parameter firstLimit: the longest the first word may be (the room left on a
    ///   header's first line, which cannot be folded before its first word).
    public static func encodedWords(_ text: String, firstLimit: Int = maxEncodedWord) -> [String] {
        let text = HeaderText(text)
        return encodedWords(text, 0..<text.count, firstLimit: firstLimit)
    }

    /// ``encodedWords(_:firstLimit:)`` of the characters in `range`: both encodings cut, only
    /// the shorter written.
    private static func encodedWords(_ text: HeaderText, _ range: Range<Int>, firstLimit: Int) -> [String] {
        let q = split(text, range, firstLimit: firstLimit, encoding: .q)
        let b = split(text, range, firstLimit: firstLimit, encoding: .b)
        let (encoding, words) = b.length < q.length ? (WordEncoding.b, b.words) : (WordEncoding.q, q.words)
        return words.map { word in
            var out: [UInt8] = []
            out.reserveCapacity(maxEncodedWord)
            out += encoding.prefix.utf8
            encoding.encode(text.bytes[word], into: &out)
            out.append(UInt8(ascii: "?"))
            out.append(UInt8(ascii: "="))
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// RFC 2047's two encodings.
    private enum WordEncoding {
        case q, b

        var prefix: String { self == .q ? "=?utf-8?q?" : "=?utf-8?b?" }

        /// The encoded length of some bytes, from their count and their Q length; both add up
        /// piece by piece, so a word's length is kept as it grows.
        func length(count: Int, qLength: Int) -> Int {
            self == .q ? qLength : (count + 2) / 3 * 4
        }

        func encode(_ bytes: ArraySlice<UInt8>, into out: inout [UInt8]) {
            switch self {
            case .q: qEncode(bytes, into: &out)
            case .b: base64(bytes, into: &out)
            }
        }
    }

    /// A piece a word is made of: a character, or one code point of a character too long for any word.
    private struct Piece {
        var start: Int
        var end: Int
        var qLength: Int
    }

    /// Cuts text into words so each fits its limit once encoded: after a space where one is
    /// near (words stay whole for every decoder), else between characters, else, for a
    /// single character too long for any word, between its code points.
    ///
    /// - Returns: each word's bytes, and the length of all the encoded-words together.
    private static func split(
        _ text: HeaderText, _ range: Range<Int>, firstLimit: Int,
        encoding: WordEncoding
    ) -> (words: [Range<Int>], length: Int) {
        let bytes = text.bytes
        var pieces: [Piece] = []
        pieces.reserveCapacity(range.count)
        var start = range.lowerBound
        while start < range.upperBound {
            var end = start + 1
            while !text.startsCharacter[end] { end += 1 }
            let length = qLength(bytes[start..<end])
            if encoding.length(count: end - start, qLength: length) > maxEncodedWord - wordOverhead {
                var scalar = start
                while scalar < end {
                    var scalarEnd = scalar + 1
                    while scalarEnd < end && bytes[scalarEnd] & 0xC0 == 0x80 { scalarEnd += 1 }
                    pieces.append(Piece(start: scalar, end: scalarEnd, qLength: qLength(bytes[scalar..<scalarEnd])))
                    scalar = scalarEnd
                }
            } else {
                pieces.append(Piece(start: start, end: end, qLength: length))
            }
            start = end
        }
        var words: [Range<Int>] = []
        var length = 0
        // The word being built is pieces[first..<next]; its pieces lie next to each other in `bytes`.
        var first = 0
        var currentCount = 0, currentQLength = 0
        func word(_ pieces: ArraySlice<Piece>) -> Range<Int> {
            guard let head = pieces.first, let tail = pieces.last else { return range.lowerBound..<range.lowerBound }
            return head.start..<tail.end
        }
        for (next, piece) in pieces.enumerated() {
            let limit = (words.isEmpty ? max(firstLimit, wordOverhead + 12) : maxEncodedWord) - wordOverhead
            if next > first && encoding.length(count: currentCount + piece.end - piece.start, qLength: currentQLength + piece.qLength) > limit {
                // Prefer to end the word just after its last space.
                var cut = next
                if let space = pieces[first..<next].lastIndex(where: { $0.end - $0.start == 1 && bytes[$0.start] == UInt8(ascii: " ") }),
                    space > first
                {
                    cut = space + 1
                }
                let restCount = pieces[cut..<next].reduce(0) { $0 + $1.end - $1.start }
                let restQLength = pieces[cut..<next].reduce(0) { $0 + $1.qLength }
                words.append(word(pieces[first..<cut]))
                length += wordOverhead + encoding.length(count: currentCount - restCount, qLength: currentQLength - restQLength)
                first = cut
                currentCount = restCount
                currentQLength = restQLength
            }
            currentCount += piece.end - piece.start
            currentQLength += piece.qLength
        }
        if first < pieces.count || words.isEmpty {
            words.append(word(pieces[first...]))
            length += wordOverhead + encoding.length(count: currentCount, qLength: currentQLength)
        }
        return (words, length)
    }

    /// Q encoding (RFC 2047 §4.2) with the strictest safe set, valid in phrases too.
    private static func qEncode(_ bytes: ArraySlice<UInt8>, into out: inout [UInt8]) {
        for byte in bytes {
            if byte == UInt8(ascii: " ") {
                out.append(UInt8(ascii: "_"))
            } else if isQSafe(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "="))
                out.append(QuotedPrintable.hexDigit(byte >> 4))
                out.append(QuotedPrintable.hexDigit(byte & 0x0F))
            }
        }
    }

    /// The length of the Q encoding of `bytes`: one character for a space or a safe byte, three for any other.
    private static func qLength(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.reduce(0) { $0 + ($1 == UInt8(ascii: " ") || isQSafe($1) ? 1 : 3) }
    }

    /// Base64 (RFC 4648 §4, with padding), as RFC 2047's B encoding uses it.
    private static func base64(_ bytes: ArraySlice<UInt8>, into out: inout [UInt8]) {
        func digit(_ value: UInt8) -> UInt8 {
            switch value {
            case 0..<26: return UInt8(ascii: "A") + value
            case 26..<52: return UInt8(ascii: "a") + value - 26
            case 52..<62: return UInt8(ascii: "0") + value - 52
            case 62: return UInt8(ascii: "+")
            default: return UInt8(ascii: "/")
            }
        }
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let count = min(3, bytes.endIndex - index)
            let a = bytes[index], b = count > 1 ? bytes[index + 1] : 0, c = count > 2 ? bytes[index + 2] : 0
            out.append(digit(a >> 2))
            out.append(digit((a & 0x03) << 4 | b >> 4))
            out.append(count > 1 ? digit((b & 0x0F) << 2 | c >> 6) : UInt8(ascii: "="))
            out.append(count > 2 ? digit(c & 0x3F) : UInt8(ascii: "="))
            index += count
        }
    }

    /// Splits an unstructured value (Subject and the like) into foldable atoms, encoding
    /// runs of words that are not plain ASCII (or that look like encoded-words themselves).
    public static func unstructuredAtoms(_ value: String, firstLimit: Int = maxEncodedWord) -> [String] {
        mixedAtoms(HeaderText(value), firstLimit: firstLimit) { text, word in
            !text.isPrintableASCII(word) || text.containsEncodedWordStart(word) || word.count > preferredLineLength - 10
        }
    }

    /// Atoms for a display name: bare when it is only atoms, a quoted string when it is
    /// ASCII with specials (a comma, a dot), else atoms with encoded-words for the runs of
    /// words that are not atoms.
    ///
    /// Encoding word runs rather than the whole name keeps encoded-words short, so they
    /// rarely need splitting: decoders disagree on the space between two encoded-words in
    /// a phrase (RFC 2047 §6.2 drops it; Python's address parser keeps it).
    public static func phraseAtoms(_ name: String, firstLimit: Int = maxEncodedWord) -> [String] {
        let text = HeaderText(name)
        // A word too long to fit a folded line is encoded too: encoded-words can be split.
        let isAtom: (HeaderText, Range<Int>) -> Bool = { text, word in
            !word.isEmpty && word.count <= preferredLineLength - 12 && text.bytes[word].allSatisfy(Atext.contains)
                && !text.containsEncodedWordStart(word)
        }
        let whole = 0..<text.count
        let words = text.words(omittingEmpty: true)
        let tooLongToQuote = text.count > preferredLineLength - 12
        if !text.isPrintableASCII(whole) || text.containsEncodedWordStart(whole)
            || (tooLongToQuote && !words.allSatisfy({ isAtom(text, $0) }))
        {
            return mixedAtoms(text.joined(words), firstLimit: firstLimit) { !isAtom($0, $1) }
        }
        if !words.isEmpty && words.allSatisfy({ isAtom(text, $0) }) { return words.map(text.string) }
        // Printable ASCII: every byte is a character.
        var quoted: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.bytes {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { quoted.append(UInt8(ascii: "\\")) }
            quoted.append(byte)
        }
        quoted.append(UInt8(ascii: "\""))
        return [String(decoding: quoted, as: UTF8.self)]
    }

    /// Words stay as they are unless `needsEncoding` says otherwise; consecutive words that
    /// need it are encoded together, so the spaces between them survive decoding.
    private static func mixedAtoms(
        _ text: HeaderText, firstLimit: Int,
        needsEncoding: (HeaderText, Range<Int>) -> Bool
    ) -> [String] {
        let words = text.words(omittingEmpty: false)
        var atoms: [String] = []
        atoms.reserveCapacity(words.count)
        // Words to encode together: text[pending], single spaces between them.
        var pending: Range<Int>?
        func flush() {
            if let run = pending {
                atoms += encodedWords(text, run, firstLimit: atoms.isEmpty ? firstLimit : maxEncodedWord)
                pending = nil
            }
        }
        for word in words {
            if needsEncoding(text, word) || (pending != nil && word.isEmpty) {
                pending = (pending?.lowerBound ?? word.lowerBound)..<word.upperBound
            } else {
                flush()
                atoms.append(text.string(word))
            }
        }
        flush()
        return atoms
    }

    /// Atoms for an address list header: `Name <addr>, Other <addr2>`.
    public static func mailboxListAtoms(_ mailboxes: [Mailbox], firstLimit: Int = maxEncodedWord) -> [String] {
        var atoms: [String] = []
        for (index, mailbox) in mailboxes.enumerated() {
            var these: [String] = []
            if let name = mailbox.displayName, !name.isEmpty {
                these += phraseAtoms(name, firstLimit: atoms.isEmpty ? firstLimit : maxEncodedWord)
                these.append("<" + mailbox.address.description + ">")
            } else {
                these.append(mailbox.address.description)
            }
            if index < mailboxes.count - 1 { these[these.count - 1] += "," }
            atoms += these
        }
        return atoms
    }

    /// The room on a header's first line after `Name: `, for the first encoded-word.
    public static func firstLineRoom(for name: String) -> Int {
        preferredLineLength - name.utf8.count - 2
    }

    /// Joins `name: atom atom …` into CRLF-terminated lines, folding between atoms so that
    /// lines stay within 78 characters where the atoms allow.
    public static func fold(name: String, atoms: [String]) -> String {
        var out: [UInt8] = []
        fold(name: name, atoms: atoms, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// ``fold(name:atoms:)`` appended to `out`.
    static func fold(name: String, atoms: [String], into out: inout [UInt8]) {
        let nameLength = name.utf8.count
        out += name.utf8
        out.append(UInt8(ascii: ":"))
        var lineLength = nameLength + 1
        for atom in atoms {
            let length = atom.utf8.count
            if lineLength + 1 + length > preferredLineLength && lineLength > nameLength + 1 {
                out.append(0x0D)
                out.append(0x0A)
                out.append(UInt8(ascii: " "))
                lineLength = 1 + length
            } else {
                out.append(UInt8(ascii: " "))
                lineLength += 1 + length
            }
            out += atom.utf8
        }
        out.append(0x0D)
        out.append(0x0A)
    }

    static func hex(_ byte: UInt8) -> String {
        String(decoding: [QuotedPrintable.hexDigit(byte >> 4), QuotedPrintable.hexDigit(byte & 0x0F)], as: UTF8.self)
    }
}
