/// Turns header values into 7-bit RFC 5322 header lines: RFC 2047 encoded-words
/// for non-ASCII text, quoted strings where needed, and folding under 78 characters.
///
/// Pure and deterministic, so composed messages can be compared byte for byte.
public enum HeaderEncoder {
    /// Longest line, without CRLF, that folding aims for (RFC 5322 §2.1.1 SHOULD).
    public static let preferredLineLength = 78
    /// Hard limit for any line, without CRLF (RFC 5322 §2.1.1 MUST).
    public static let maximumLineLength = 998

    /// Characters that may stand unencoded inside a Q-encoded word in any header context
    /// (RFC 2047 §5 rule 3, the strictest one, for phrases).
    private static let qSafe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/".utf8)
    /// ASCII characters that may appear in an atom (RFC 5322 §3.2.3).
    private static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".utf8)
    private static let prefix = "=?utf-8?q?"
    private static let suffix = "?="
    /// An encoded-word may be at most 75 characters (RFC 2047 §2); Herald keeps them to 60
    /// so that one still fits on the first line after a header name of up to 16 characters.
    static let maxEncodedWord = 60

    /// Encodes `text` as one or more Q encoded-words, never splitting a character across words.
    public static func encodedWords(_ text: String) -> [String] {
        let room = maxEncodedWord - prefix.count - suffix.count
        var words: [String] = []
        var current = ""
        for character in text {
            var piece = ""
            for byte in String(character).utf8 {
                if byte == UInt8(ascii: " ") {
                    piece += "_"
                } else if qSafe.contains(byte) {
                    piece.append(Character(UnicodeScalar(byte)))
                } else {
                    piece += "=" + hex(byte)
                }
            }
            if current.count + piece.count > room && !current.isEmpty {
                words.append(prefix + current + suffix)
                current = ""
            }
            current += piece
        }
        if !current.isEmpty || words.isEmpty { words.append(prefix + current + suffix) }
        return words
    }

    /// Splits an unstructured value (Subject and the like) into foldable atoms, encoding
    /// runs of words that are not plain ASCII (or that look like encoded-words themselves).
    public static func unstructuredAtoms(_ value: String) -> [String] {
        mixedAtoms(value) { word in
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
    public static func phraseAtoms(_ name: String) -> [String] {
        let isASCII = name.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }
        let isAtom: (String) -> Bool = { word in !word.isEmpty && word.utf8.allSatisfy { atext.contains($0) } && !word.contains("=?") }
        if !isASCII {
            return mixedAtoms(name.split(separator: " ").joined(separator: " ")) { !isAtom($0) }
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
    private static func mixedAtoms(_ value: String, needsEncoding: (String) -> Bool) -> [String] {
        let words = value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var atoms: [String] = []
        var pending: [String] = []
        func flush() {
            if !pending.isEmpty {
                atoms += encodedWords(pending.joined(separator: " "))
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
    public static func mailboxListAtoms(_ mailboxes: [Mailbox]) -> [String] {
        var atoms: [String] = []
        for (index, mailbox) in mailboxes.enumerated() {
            var these: [String] = []
            if let name = mailbox.displayName, !name.isEmpty {
                these += phraseAtoms(name)
                these.append("<\(mailbox.address)>")
            } else {
                these.append(mailbox.address.description)
            }
            if index < mailboxes.count - 1 { these[these.count - 1] += "," }
            atoms += these
        }
        return atoms
    }

    /// Joins `name: atom atom …` into CRLF-terminated lines, folding between atoms so that
    /// lines stay within 78 characters where the atoms allow.
    public static func fold(name: String, atoms: [String]) -> String {
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
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
