import Foundation

@testable import HeraldCore

/// `HeaderEncoder` as it was before it worked on bytes (String operations, `Set` lookups,
/// Foundation's search), kept as the reference the byte version is compared with. Do not
/// "fix" or speed it up: it is the old behaviour.
enum LegacyHeaderEncoder {
    /// Longest line, without CRLF, that folding aims for (RFC 5322 §2.1.1 SHOULD).
    static let preferredLineLength = 78
    /// Hard limit for any line, without CRLF (RFC 5322 §2.1.1 MUST).
    static let maximumLineLength = 998

    /// Characters that may stand unencoded inside a Q-encoded word in any header context
    /// (RFC 2047 §5 rule 3, the strictest one, for phrases).
    private static let qSafe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/".utf8)
    /// ASCII characters that may appear in an atom (RFC 5322 §3.2.3 `atext`): Herald's one
    /// copy, also what ``EmailAddress`` allows between the dots of a local part.
    static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".utf8)
    private static let suffix = "?="
    /// An encoded-word may be at most 75 characters (RFC 2047 §2).
    static let maxEncodedWord = 75

    /// Encodes `text` as one or more encoded-words of at most 75 characters, never splitting
    /// a character across words. Uses Q ("=?utf-8?q?") or B ("=?utf-8?b?"), whichever is
    /// shorter for this text: fewer, longer words mean fewer splits, and decoders disagree
    /// about the space between two encoded-words of a display name.
    ///
    /// - Parameter firstLimit: the longest the first word may be (the room left on a
    ///   header's first line, which cannot be folded before its first word).
    static func encodedWords(_ text: String, firstLimit: Int = maxEncodedWord) -> [String] {
        let q = split(text, prefix: "=?utf-8?q?", firstLimit: firstLimit, length: { _, qLength in qLength }, encode: qEncode)
        let b = split(
            text, prefix: "=?utf-8?b?", firstLimit: firstLimit,
            length: { count, _ in (count + 2) / 3 * 4 }, encode: { Data($0).base64EncodedString() })
        let total: ([String]) -> Int = { $0.reduce(0) { $0 + $1.count } }
        return total(b) < total(q) ? b : q
    }

    /// Cuts text into words so each fits its limit once encoded: after a space where one is
    /// near (words stay whole for every decoder), else between characters, else, for a
    /// single character too long for any word, between its code points.
    ///
    /// - Parameter length: the encoded length of some bytes, from their count and their Q
    ///   length (`qLength`); both add up piece by piece, so a word's length is kept as it grows.
    private static func split(
        _ text: String, prefix: String, firstLimit: Int,
        length: (_ count: Int, _ qLength: Int) -> Int, encode: ([UInt8]) -> String
    ) -> [String] {
        var pieces: [(bytes: [UInt8], qLength: Int)] = []
        for character in text {
            let bytes = Array(character.utf8)
            if length(bytes.count, qLength(bytes)) > maxEncodedWord - prefix.count - suffix.count {
                pieces += character.unicodeScalars.map { scalar in
                    let bytes = Array(String(scalar).utf8)
                    return (bytes, qLength(bytes))
                }
            } else {
                pieces.append((bytes, qLength(bytes)))
            }
        }
        var words: [String] = []
        var current: [(bytes: [UInt8], qLength: Int)] = []
        var currentCount = 0, currentQLength = 0
        func limit() -> Int {
            (words.isEmpty ? max(firstLimit, prefix.count + suffix.count + 12) : maxEncodedWord) - prefix.count - suffix.count
        }
        for piece in pieces {
            if !current.isEmpty && length(currentCount + piece.bytes.count, currentQLength + piece.qLength) > limit() {
                // Prefer to end the word just after its last space.
                var cut = current.count
                if let space = current.lastIndex(where: { $0.bytes == [UInt8(ascii: " ")] }), space > 0 { cut = space + 1 }
                words.append(prefix + encode(current[..<cut].flatMap(\.bytes)) + suffix)
                current = Array(current[cut...])
                currentCount = current.reduce(0) { $0 + $1.bytes.count }
                currentQLength = current.reduce(0) { $0 + $1.qLength }
            }
            current.append(piece)
            currentCount += piece.bytes.count
            currentQLength += piece.qLength
        }
        if !current.isEmpty || words.isEmpty { words.append(prefix + encode(current.flatMap(\.bytes)) + suffix) }
        return words
    }

    /// Q encoding (RFC 2047 §4.2) with the strictest safe set, valid in phrases too.
    private static func qEncode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(qLength(bytes))
        for byte in bytes {
            if byte == UInt8(ascii: " ") {
                out.append(UInt8(ascii: "_"))
            } else if qSafe.contains(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "="), QuotedPrintable.hexDigit(byte >> 4), QuotedPrintable.hexDigit(byte & 0x0F)]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The length of `qEncode(bytes)`: one character for a space or a safe byte, three for any other.
    private static func qLength(_ bytes: [UInt8]) -> Int {
        bytes.reduce(0) { $0 + ($1 == UInt8(ascii: " ") || qSafe.contains($1) ? 1 : 3) }
    }

    /// Splits an unstructured value (Subject and the like) into foldable atoms, encoding
    /// runs of words that are not plain ASCII (or that look like encoded-words themselves).
    static func unstructuredAtoms(_ value: String, firstLimit: Int = maxEncodedWord) -> [String] {
        mixedAtoms(value, firstLimit: firstLimit) { word in
            !word.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }
                || word.contains("=?") || word.utf8.count > preferredLineLength - 10
        }
    }

    /// Atoms for a display name: bare when it is only atoms, a quoted string when it is
    /// ASCII with specials (a comma, a dot), else atoms with encoded-words for the runs of
    /// words that are not atoms.
    ///
    /// Encoding word runs rather than the whole name keeps encoded-words short, so they
    /// rarely need splitting: decoders disagree on the space between two encoded-words in
    /// a phrase (RFC 2047 §6.2 drops it; Python's address parser keeps it).
    static func phraseAtoms(_ name: String, firstLimit: Int = maxEncodedWord) -> [String] {
        let isASCII = name.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }
        // A word too long to fit a folded line is encoded too: encoded-words can be split.
        let isAtom: (String) -> Bool = { word in
            !word.isEmpty && word.utf8.count <= preferredLineLength - 12 && word.utf8.allSatisfy { atext.contains($0) } && !word.contains("=?")
        }
        let tooLongToQuote = name.utf8.count > preferredLineLength - 12
        if !isASCII || name.contains("=?") || (tooLongToQuote && !name.split(separator: " ").allSatisfy({ isAtom(String($0)) })) {
            return mixedAtoms(name.split(separator: " ").joined(separator: " "), firstLimit: firstLimit) { !isAtom($0) }
        }
        let words = name.split(separator: " ").map(String.init)
        if !words.isEmpty && words.allSatisfy(isAtom) { return words }
        var quoted = "\""
        for character in name {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return [quoted + "\""]
    }

    /// Words stay as they are unless `needsEncoding` says otherwise; consecutive words that
    /// need it are encoded together, so the spaces between them survive decoding.
    private static func mixedAtoms(_ value: String, firstLimit: Int, needsEncoding: (String) -> Bool) -> [String] {
        let words = value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var atoms: [String] = []
        var pending: [String] = []
        func flush() {
            if !pending.isEmpty {
                atoms += encodedWords(pending.joined(separator: " "), firstLimit: atoms.isEmpty ? firstLimit : maxEncodedWord)
                pending = []
            }
        }
        for word in words {
            if needsEncoding(word) || (!pending.isEmpty && word.isEmpty) {
                pending.append(word)
            } else {
                flush()
                atoms.append(word)
            }
        }
        flush()
        return atoms
    }

    /// Atoms for an address list header: `Name <addr>, Other <addr2>`.
    static func mailboxListAtoms(_ mailboxes: [Mailbox], firstLimit: Int = maxEncodedWord) -> [String] {
        var atoms: [String] = []
        for (index, mailbox) in mailboxes.enumerated() {
            var these: [String] = []
            if let name = mailbox.displayName, !name.isEmpty {
                these += phraseAtoms(name, firstLimit: atoms.isEmpty ? firstLimit : maxEncodedWord)
                these.append("<\(mailbox.address)>")
            } else {
                these.append(mailbox.address.description)
            }
            if index < mailboxes.count - 1 { these[these.count - 1] += "," }
            atoms += these
        }
        return atoms
    }

    /// The room on a header's first line after `Name: `, for the first encoded-word.
    static func firstLineRoom(for name: String) -> Int {
        preferredLineLength - name.utf8.count - 2
    }

    /// Joins `name: atom atom …` into CRLF-terminated lines, folding between atoms so that
    /// lines stay within 78 characters where the atoms allow.
    static func fold(name: String, atoms: [String]) -> String {
        var output = ""
        var line = name + ":"
        for atom in atoms {
            if line.utf8.count + 1 + atom.utf8.count > preferredLineLength && line.utf8.count > name.utf8.count + 1 {
                output += line + "\r\n"
                line = " " + atom
            } else {
                line += " " + atom
            }
        }
        return output + line + "\r\n"
    }

    static func hex(_ byte: UInt8) -> String {
        String(decoding: [QuotedPrintable.hexDigit(byte >> 4), QuotedPrintable.hexDigit(byte & 0x0F)], as: UTF8.self)
    }
}
