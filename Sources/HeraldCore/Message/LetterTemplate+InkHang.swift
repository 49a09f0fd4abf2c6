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
                bytes[index + 1] | 0x20 == UInt8(ascii: "p"), line != lastLine
            else { continue }
            lastLine = line
            problems.append(
                Diagnostic(
                    .badData, file: file, line: line,
                    "\"<p\" with no \">\" after it anywhere in the body: the Markdown renderer (Ink) never finishes on it; close the tag, or write \"< p\""))
        }
        return problems
    }

    /// How deep `[` may nest (each not yet closed by a `]`) in a Markdown body.
    static let maximumBracketDepth = 8

    /// A problem at the line where a Markdown body's `[`s, not yet closed, first nest deeper than
    /// ``maximumBracketDepth``: Ink 0.6.0 takes time exponential in that depth.
    ///
    /// Why: Ink tries every `[` as a link's text, reads what follows as formatted text (which
    /// tries each inner `[` the same way) and, when no `](` closes it, starts again one character
    /// on; each more level doubles the work. Found by FuzzHTML: 16 levels took 4 s, 20 took 52 s,
    /// and a 130-byte body would have held `herald validate` for hours. No letter nests brackets
    /// 9 deep; a `[` written as text costs nothing once it is closed.
    static func deeplyNestedBrackets(_ text: String, file: String, firstLine: Int) -> [Diagnostic] {
        var depth = 0
        var line = firstLine
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\n"): line += 1
            case UInt8(ascii: "["):
                depth += 1
                if depth > maximumBracketDepth {
                    return [
                        Diagnostic(
                            .badData, file: file, line: line,
                            "more than \(maximumBracketDepth) \"[\" open at once (not closed by \"]\"): the Markdown renderer (Ink) takes time exponential in their number; close them"
                        )
                    ]
                }
            case UInt8(ascii: "]"): depth = max(0, depth - 1)
            default: break
            }
        }
        return []
    }
}
