import Ink

/// A Markdown body turned into HTML once per letter shape, with a placeholder where each
/// field value goes; a letter's HTML is the skeleton with the values HTML-escaped in place.
///
/// Why this is safe: Ink reads the Markdown skeleton, in which every field value is a
/// placeholder (private-use characters and digits, which mean nothing to Markdown), so a
/// value can never become Markdown structure (a heading, a link, emphasis) whatever it holds.
/// Then each value is escaped (`&`, `<`, `>`, `"`, `'`) as it is put in, so it is text in HTML
/// too. Where a placeholder lands in Ink's output decides whether escaping suffices: in text,
/// or inside a quoted attribute value after some of the template's own text, it does; at the
/// start of an attribute value (a field would choose a link's scheme, `javascript:`), inside
/// a tag outside quotes (a field would add an attribute), or inside a `<script>` or `<style>`
/// element, it does not, and the template is refused there (``problems``).
struct HTMLSkeleton: Sendable {
    let skeleton: Skeleton
    /// Placeholders standing where a value would not be mere text: (field number, why).
    let problems: [(field: Int, reason: String)]

    /// Renders `markdown` (a body skeleton) with Ink.
    init(markdown: String) {
        let html = MarkdownParser().html(from: Self.shieldedFromFrontMatter(markdown))
        self.skeleton = Skeleton(html)
        self.problems = Self.misplaced(html)
    }

    /// The body as Ink must see it: with `<wbr/>` in front when its first non-blank character
    /// is `-`, so that Ink never reads it as front matter.
    ///
    /// Why: Ink 0.6.0 reads a document that starts with `-` as metadata (`---`, `key: value`
    /// lines, `---`) and traps (a String index out of bounds) when that block is not closed,
    /// as in a letter that opens with a `---` rule (found by FuzzHTML: `---\n\nDear x,\n`
    /// crashed `herald validate`). A letter has no front matter; `<wbr/>` (a void element that
    /// shows nothing; Ink reads it as one self-closed HTML fragment, where a comment would swallow
    /// the rest of the body) makes Ink see a fragment first, and it then reads no metadata.
    ///
    /// Trailing white space is dropped too (it means nothing at the end of a Markdown
    /// document): Ink 0.6.0 traps on a list item left empty with white space after its last
    /// line break (`- \n ` at the very end; also found by FuzzHTML).
    static func shieldedFromFrontMatter(_ markdown: String) -> String {
        var markdown = Substring(markdown)
        while let last = markdown.unicodeScalars.last, last == " " || last == "\t" || last == "\n" || last == "\r" {
            markdown = Substring(markdown.unicodeScalars.dropLast())
        }
        guard markdown.unicodeScalars.first(where: { !$0.properties.isWhitespace }) == "-" else { return String(markdown) }
        return "<wbr/>\n\n" + markdown
    }

    /// The HTML fragment with every value escaped in place.
    func filled(_ values: [String]) -> String {
        skeleton.filled(values.map(Self.escape))
    }

    /// `&`, `<`, `>`, `"` and `'` as character references; everything else as it is.
    static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return value }
        var out = ""
        out.reserveCapacity(value.utf8.count + 16)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Walks the HTML (tags, quoted attribute values, raw-text elements) and names every
    /// placeholder that stands where an escaped value could still do more than print.
    static func misplaced(_ html: String) -> [(field: Int, reason: String)] {
        enum State { case text, tagName, tag, quoted(Unicode.Scalar, atStart: Bool) }
        var problems: [(field: Int, reason: String)] = []
        var state = State.text
        var name = ""
        var rawText = false
        var number: Int?
        for scalar in html.unicodeScalars {
            if scalar == LetterTemplate.placeholderOpen { number = 0; continue }
            if let current = number {
                if scalar == LetterTemplate.placeholderClose {
                    number = nil
                    switch state {
                    case .text:
                        if rawText { problems.append((current, "stands inside a <script> or <style> element")) }
                    case .tagName, .tag:
                        problems.append((current, "stands inside an HTML tag, outside a quoted attribute value"))
                    case .quoted(let quote, let atStart):
                        if atStart { problems.append((current, "starts an attribute value (a field would choose where a link goes); write the address's beginning in the template, e.g. https://example.org/{{page}}")) }
                        state = .quoted(quote, atStart: false)
                    }
                } else if ("0"..."9").contains(scalar) {
                    number = current * 10 + Int(scalar.value - 48)
                }
                continue
            }
            switch state {
            case .text:
                if scalar == "<" { state = .tagName; name = "" }
            case .tagName:
                if scalar == ">" || scalar == " " || scalar == "\n" || scalar == "\t" || scalar == "/" && !name.isEmpty {
                    let lower = name.lowercased()
                    if lower == "script" || lower == "style" { rawText = true }
                    if lower == "/script" || lower == "/style" { rawText = false }
                    state = scalar == ">" ? .text : .tag
                } else {
                    name.unicodeScalars.append(scalar)
                }
            case .tag:
                if scalar == ">" { state = .text } else if scalar == "\"" || scalar == "'" { state = .quoted(scalar, atStart: true) }
            case .quoted(let quote, _):
                state = scalar == quote ? .tag : .quoted(quote, atStart: false)
            }
        }
        return problems
    }
}
