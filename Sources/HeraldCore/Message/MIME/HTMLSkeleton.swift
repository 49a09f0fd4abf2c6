import Ink

/// A Markdown body turned into HTML once per letter shape, with a placeholder where each
/// field value goes; a letter's HTML is the skeleton with the values HTML-escaped in place.
///
/// Why this is safe: Ink reads the Markdown skeleton, in which every field value is a
/// placeholder (private-use characters and digits, which mean nothing to Markdown), so a
/// value can never become Markdown structure (a heading, a link, emphasis) whatever it holds.
/// Then each value is escaped (`&`, `<`, `>`, `"`, `'`) as it is put in, so it is text in HTML
/// too. Where a placeholder lands in Ink's output decides whether escaping suffices; the
/// rendered HTML is read by ``HTMLInspector``, which refuses a field anywhere escaping does
/// not make it text (a link's scheme, an event handler, a style, a tag) and the template's
/// own scripts, frames, remote resources and non-web links (``problems``).
struct HTMLSkeleton: Sendable {
    let skeleton: Skeleton
    /// What the HTML must not hold, each with the line of the Markdown skeleton (1-based) on
    /// which it first appears.
    let problems: [(problem: HTMLInspector.Problem, line: Int)]

    /// Renders `markdown` (a body skeleton) with Ink, line breaks kept (``keepingLineBreaks(_:)``)
    /// and shielded from Ink's front-matter traps (``shieldedFromFrontMatter(_:)``), as ``render(_:)``.
    init(markdown: String, policy: HTMLPolicy = HTMLPolicy()) {
        let prepared = Self.shieldedFromFrontMatter(Self.keepingLineBreaks(markdown))
        let html = MarkdownParser().html(from: prepared)
        self.skeleton = Skeleton(html)
        let found = HTMLInspector.problems(in: html, policy: policy)
        var problems = found.isEmpty ? [] : Self.locate(found, in: markdown, policy: policy)
        if let rest = Self.unrenderedMarkdown(in: prepared, html: html) {
            if let open = rest.problem { problems.append(open) }
            // What the rest would hold once the tag is fixed, so that one run lists every problem.
            let restHTML = Self.render(rest.markdown)
            let later = HTMLInspector.problems(in: restHTML, policy: policy)
            if !later.isEmpty {
                for (problem, line) in Self.locate(later, in: rest.markdown, policy: policy)
                where !problems.contains(where: { $0.problem == problem && $0.line == line + rest.line - 1 }) {
                    problems.append((problem, line + rest.line - 1))
                }
            }
        }
        self.problems = problems.sorted { $0.line < $1.line }
    }

    /// Ink's HTML of a Markdown text, the author's short lines kept as line breaks, shielded
    /// from Ink's front-matter traps (``shieldedFromFrontMatter(_:)``).
    static func render(_ markdown: String) -> String {
        MarkdownParser().html(from: shieldedFromFrontMatter(keepingLineBreaks(markdown)))
    }

    /// The Markdown with a hard line break (two trailing spaces, which Ink reads as `<br>`)
    /// after every line shorter than ``shortLine`` characters that a paragraph goes on after,
    /// and before an indented line that starts with a bullet (`-`, `*`, `+`, `•`): an address
    /// block, a signature, a list of short lines. Markdown would join them into one
    /// line, which is not what the text part (the Markdown itself) shows. Longer lines are
    /// taken for wrapped prose and joined, as Markdown does. Lines in a fenced code block,
    /// table rows and link reference definitions are left as they are.
    static func keepingLineBreaks(_ markdown: String) -> String {
        var lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fenced = false
        for index in lines.indices {
            let line = lines[index]
            let trimmed = line.trimmingSpaces
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { fenced.toggle(); continue }
            guard !fenced, index + 1 < lines.count, !trimmed.isEmpty else { continue }
            let nextLine = lines[index + 1]
            let next = nextLine.trimmingSpaces
            guard !next.isEmpty else { continue }
            // Already a break, or a line Ink reads on its own (a table row, a heading, a link definition, HTML).
            // A rule (`---`, `***`, `___`) or a heading's underline (`===`) is its own block, not a short line.
            if let mark = trimmed.first, "-*_=".contains(mark), trimmed.allSatisfy({ $0 == mark || $0 == " " }) { continue }
            if line.hasSuffix("  ") || line.hasSuffix("\\") || trimmed.hasPrefix("|") || trimmed.hasPrefix("#") || trimmed.hasPrefix("<")
                || (trimmed.hasPrefix("[") && trimmed.contains("]:"))
            {
                continue
            }
            // Where Ink ends the paragraph anyway (code, a table, a list, a heading, HTML), a break would carry it on.
            if next.hasPrefix("```") || next.hasPrefix("~~~") || next.hasPrefix("|") { continue }
            if let first = nextLine.first, "#<`-".contains(first) { continue }
            let bulletNext = ["- ", "* ", "+ ", "• "].contains { next.hasPrefix($0) }
            if line.count < shortLine || bulletNext { lines[index] += "  " }
        }
        return lines.joined(separator: "\n")
    }

    /// A line shorter than this (in characters as the template writes it, a field counting as
    /// a few) is kept as a line of its own in the HTML part.
    static let shortLine = 60

    /// Each problem with the first skeleton line on which it appears: the shortest prefix of
    /// the Markdown whose HTML holds it (as often as it occurs before it). Only run when the
    /// template is refused, so rendering the prefixes again costs nothing in a good run.
    static func locate(_ found: [HTMLInspector.Problem], in markdown: String, policy: HTMLPolicy) -> [(problem: HTMLInspector.Problem, line: Int)] {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        var cache: [Int: [HTMLInspector.Problem]] = [:]
        func problems(upTo count: Int) -> [HTMLInspector.Problem] {
            if let known = cache[count] { return known }
            let result = HTMLInspector.problems(in: render(lines.prefix(count).joined(separator: "\n")), policy: policy)
            cache[count] = result
            return result
        }
        var seen: [HTMLInspector.Problem] = []
        return found.map { problem in
            let occurrence = seen.filter { $0 == problem }.count + 1
            seen.append(problem)
            var low = 1
            var high = lines.count
            while low < high {
                let middle = (low + high) / 2
                if problems(upTo: middle).filter({ $0 == problem }).count >= occurrence { high = middle } else { low = middle + 1 }
            }
            return (problem, low)
        }
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
}
