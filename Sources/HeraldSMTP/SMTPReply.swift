/// One line of an SMTP server reply, as libcurl's header callback hands it over.
struct SMTPReply: Equatable {
    var code: Int
    /// True for the last line of a (possibly multi-line) reply: `250 …` rather than `250-…`.
    var isFinal: Bool
    /// The line without its line end.
    var text: String

    /// Parses `NNN text` / `NNN-text`; nil for anything else.
    init?(line: String) {
        var text = line
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let code = Int(String(decoding: bytes[0...2], as: UTF8.self)) else { return nil }
        self.code = code
        self.isFinal = bytes.count == 3 || bytes[3] != UInt8(ascii: "-")
        self.text = text
    }
}
