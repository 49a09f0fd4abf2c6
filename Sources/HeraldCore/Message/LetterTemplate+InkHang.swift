extension LetterTemplate {
    /// Every `<p` (either case) in a Markdown body with no `>` anywhere after it, as a problem
    /// at its line: Ink 0.6.0 never returns on such a body, so it is refused before Ink sees it.
    ///
    /// Why Ink hangs: a paragraph stops in front of `<p` to let an HTML block start there; an
    /// HTML block needs a `>` to close its first tag; when there is none, Ink falls back to a
    /// paragraph at the same place, which stops at once again, and so on, each round adding an
    /// empty paragraph, until memory runs out (found by FuzzHTML; `herald validate` on such a
    /// template never ended). Any later `>` lets the HTML block be read, so only a `<p` after
    /// the body's last `>` is refused. This may refuse a `<p` Ink would have read safely (in a
    /// code span); never the reverse.
    static func unclosedParagraphTags(_ text: String, file: String, firstLine: Int) -> [Diagnostic] {
        let bytes = Array(text.utf8)
        let lastClose = bytes.lastIndex(of: UInt8(ascii: ">")) ?? -1
        var problems: [Diagnostic] = []
        var line = firstLine
        var lastLine = 0
        for index in bytes.indices {
            if bytes[index] == UInt8(ascii: "\n") { line += 1; continue }
            guard index > lastClose, bytes[index] == UInt8(ascii: "<"), index + 1 < bytes.count,
                  bytes[index + 1] | 0x20 == UInt8(ascii: "p"), line != lastLine else { continue }
            lastLine = line
            problems.append(Diagnostic(.badData, file: file, line: line,
                                       "\"<p\" with no \">\" after it anywhere in the body: the Markdown renderer (Ink) never finishes on it; close the tag, or write \"< p\""))
        }
        return problems
    }
}
