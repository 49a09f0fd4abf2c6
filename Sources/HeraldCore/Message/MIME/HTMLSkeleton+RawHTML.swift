extension HTMLSkeleton {
    /// The open tag after which Ink leaves the rest of the letter as raw HTML, when that rest
    /// holds Markdown (paragraphs, line breaks, emphasis, links) the HTML part would then show
    /// unrendered; nil when Ink renders the whole letter.
    ///
    /// Why: Ink takes a `<tag …>` that is not self-closed (`<br>`, `<img …>`, an unclosed
    /// `<span>`) as the start of a raw HTML block that runs to the tag's `</tag>`; a void tag
    /// has none, so everything after it, to the end of the letter, is copied as it stands.
    /// The text part still reads right, so nothing else would show that the HTML part's
    /// signature has collapsed into one line and its `*emphasis*` shows literally.
    ///
    /// - Parameters:
    ///   - prepared: the Markdown as Ink read it (``keepingLineBreaks(_:)`` applied).
    ///   - html: Ink's HTML of `prepared`, which must hold the rest verbatim (so a `<` that
    ///     Ink did not read as HTML, in code for instance, is never blamed).
    /// - Returns: the problem and the 1-based line of `prepared` on which the tag stands.
    static func unrenderedMarkdown(in prepared: String, html: String) -> RawRest? {
        let characters = Array(prepared)
        var index = 0
        var fenced = false
        var lineStart = true
        while index < characters.count {
            let character = characters[index]
            if lineStart, String(characters[index...].prefix(3)) == "```" || String(characters[index...].prefix(3)) == "~~~" {
                fenced.toggle()
                index += 3
                lineStart = false
                continue
            }
            lineStart = character.isNewline
            if fenced || character != "<" {
                if !fenced, character == "`" {
                    index = (characters[(index + 1)...].firstIndex(of: "`") ?? index) + 1
                } else if character == "\\" {
                    index += 2
                } else {
                    index += 1
                }
                continue
            }
            guard let root = element(at: index, in: characters) else { index += 1; continue }
            guard !root.selfClosing else { index = root.end; continue }
            guard let end = close(of: root, in: characters) else {
                return swallowed(from: index, root: root, characters: characters, html: html)
            }
            index = end
        }
        return nil
    }

    /// A tag as Ink's reader takes it at `start` (a `<`): its name up to a space or `>`, whether
    /// Ink counts it as self-closed, and the index after its `>`; nil when Ink reads no tag there.
    private static func element(at start: Int, in characters: [Character]) -> (name: String, selfClosing: Bool, end: Int)? {
        var index = start + 1
        while index < characters.count, !characters[index].isWhitespace, characters[index] != ">" { index += 1 }
        let name = String(characters[(start + 1)..<index])
        guard !name.isEmpty, let close = characters[index...].firstIndex(of: ">") else { return nil }
        let suffix = characters[index..<close]
        if name.hasSuffix("/") { return (String(name.dropLast()), true, close + 1) }
        return (name, suffix.last == "/" || name == "!--", close + 1)
    }

    /// The index after the `</name>` that closes `root`, counted as Ink counts (same-named
    /// tags nest), or nil when none does.
    private static func close(of root: (name: String, selfClosing: Bool, end: Int), in characters: [Character]) -> Int? {
        var depth = 1
        var index = root.end
        while index < characters.count {
            guard characters[index] == "<", let element = element(at: index, in: characters) else { index += 1; continue }
            index = element.end
            if element.name == root.name {
                depth += 1
            } else if element.name == "/" + root.name {
                depth -= 1
                if depth == 0 { return index }
            }
        }
        return nil
    }

    /// The rest of a letter that Ink copied raw after an open tag.
    struct RawRest {
        /// The Markdown after the tag's `>`, as Ink would have read it had the tag been closed.
        var markdown: String
        /// The 1-based line of the prepared Markdown on which that rest starts.
        var line: Int
        /// The open tag, refused, when the rest holds Markdown; nil when nothing is lost (or
        /// when the tag is a field's, which the inspector refuses).
        var problem: (problem: HTMLInspector.Problem, line: Int)?
    }

    private static func swallowed(
        from start: Int, root: (name: String, selfClosing: Bool, end: Int), characters: [Character],
        html: String
    ) -> RawRest? {
        // Ink must really have copied the rest (a `<` in code, say, is not a tag).
        guard html.contains(String(characters[start...].reversed().drop(while: \.isWhitespace).reversed())) else { return nil }
        let rest = String(characters[root.end...])
        let line = characters[..<start].filter(\.isNewline).count + 1
        var found = RawRest(markdown: rest, line: characters[..<root.end].filter(\.isNewline).count + 1)
        // A field right after `<` is the inspector's to refuse.
        guard !root.name.unicodeScalars.contains(LetterTemplate.placeholderOpen) else { return found }
        let rendered = render(rest)
        // Ink's markup for the rest beyond the one paragraph it would be: was anything lost?
        let added = rendered.filter { $0 == "<" }.count - rest.filter { $0 == "<" }.count
        guard added > 2 || (added > 0 && !rendered.hasPrefix("<p>")) else { return found }
        let tag = "<\(root.name.lowercased())>"
        let fix =
            switch root.name.lowercased() {
            case "br": "write <br/>, or end the line there instead (a short line keeps its break)"
            case "img", "hr", "wbr", "input", "source", "area", "col", "track": "write it self-closed: <\(root.name) … />"
            default: "close it with </\(root.name)> where it ends, or self-close it: <\(root.name) … />"
            }
        found.problem = (
            HTMLInspector.Problem(
                field: nil, subject: tag,
                reason:
                    "has \(tag) left open, so Ink copies the rest of the letter after it as raw HTML: its paragraphs, short lines and Markdown (*emphasis*, [links](…)) would show unrendered in the HTML part; \(fix)"
            ), line
        )
        return found
    }
}
