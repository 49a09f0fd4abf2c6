/// One line of an SMTP server reply, as libcurl's header callback hands it over.
struct SMTPReply: Equatable {
    var code: Int
    /// True for the last line of a (possibly multi-line) reply: `250 …` rather than `250-…`.
    var isFinal: Bool
    /// The line without its line end.
    var text: String

    /// Parses `NNN text` / `NNN-text`; nil for anything else.
    init?(line: String) {
        // "\r\n" is one Character in Swift: trim by scalars.
        var scalars = Substring(line).unicodeScalars
        while let last = scalars.last, last == "\r" || last == "\n" { scalars.removeLast() }
        let text = String(scalars)
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let code = Int(String(decoding: bytes[0...2], as: UTF8.self))
        else { return nil }
        self.code = code
        self.isFinal = bytes.count == 3 || bytes[3] != UInt8(ascii: "-")
        self.text = text
    }
}
