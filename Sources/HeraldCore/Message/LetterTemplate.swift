import Mustache

/// A letter template: a header block, a blank line, then the body, each a Mustache template
/// rendered as plain text (no HTML escaping: `&`, `<` and quotes arrive as written).
///
/// Recipient fields are data, never template: Mustache does not re-read substituted
/// values, so a field holding `{{x}}` is printed literally.
public struct LetterTemplate: Sendable {
    /// A field reference found in the template source, with where it stands.
    public struct FieldUse: Sendable, Equatable {
        public var name: String
        public var line: Int
        /// True when used in the header block (where a line break would inject a header).
        public var inHeader: Bool
        /// True for `{{#name}}`/`{{^name}}`: a flag, which may be empty.
        public var isSection: Bool
        /// Sections enclosing this use: `(name, inverted)`; the use only renders when they are open.
        public var enclosing: [Enclosing]
    }

    /// A section around a field use.
    public struct Enclosing: Sendable, Equatable {
        public var name: String
        public var inverted: Bool
    }

    public let file: String
    /// SHA-256 of the template source: the letter's version, recorded with every intent.
    public let fingerprint: String
    public let fieldUses: [FieldUse]
    /// True when the body is Markdown (a `Content-Type: text/markdown` header line, or a file
    /// name ending `.md`): each letter is then sent with an HTML alternative rendered by Ink.
    public let isMarkdown: Bool
    let header: MustacheTemplate
    let body: MustacheTemplate
    /// Template line on which the header block starts (after an optional pragma line).
    let headerFirstLine: Int
    /// The body as written, and its first template line: where a problem of the HTML is found.
    let bodySource: (text: String, firstLine: Int)
    /// What a Markdown letter's HTML part may hold, and its language (the campaign's `[html]`).
    public let htmlPolicy: HTMLPolicy
    /// The skeletons rendered so far, by field states; nil for a template whose tags they
    /// cannot stand for, whose letters are rendered one by one.
    let shapes: LetterShapes?

    /// Every template is rendered as text; this pragma says so to swift-mustache.
    static let textPragma = "{{% CONTENT_TYPE: TEXT }}"

    /// Parses template source.
    ///
    /// - Parameter html: what a Markdown letter's HTML may hold, and its language.
    /// - Throws: `ValidationFailure` naming the template's line for a Mustache syntax
    ///   error or a missing header block.
    public init(source: String, file: String, html: HTMLPolicy = HTMLPolicy()) throws(ValidationFailure) {
        self.file = file
        self.htmlPolicy = html
        self.fingerprint = SHA256.hex(source)
        var lines = source.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        var firstLine = 1
        if let first = lines.first, first.trimmingSpaces.hasPrefix("{{%"), first.trimmingSpaces.hasSuffix("}}") {
            lines.removeFirst()
            firstLine = 2
        }
        guard let blank = lines.firstIndex(where: { $0.trimmingSpaces.isEmpty }), blank > 0 else {
            throw ValidationFailure([
                Diagnostic(
                    .badData, file: file, line: firstLine,
                    "a template starts with header lines (From:, To:, Subject:), then a blank line, then the body")
            ])
        }
        // `Content-Type: text/markdown` declares the body's syntax; it is not a header of the
        // message (Herald writes Content-Type), so its line is left blank (line numbers stay).
        var markdown = file.lowercased().hasSuffix(".md")
        for index in 0..<blank where Self.declaresMarkdown(lines[index]) {
            markdown = true
            lines[index] = ""
        }
        self.isMarkdown = markdown
        let headerText = lines[..<blank].joined(separator: "\n")
        let bodyText = lines[(blank + 1)...].joined(separator: "\n")
        let bodyFirstLine = firstLine + blank + 1
        self.headerFirstLine = firstLine
        self.bodySource = (bodyText, bodyFirstLine)
        var problems =
            Self.unsupportedTags(headerText, file: file, firstLine: firstLine)
            + Self.unsupportedTags(bodyText, file: file, firstLine: bodyFirstLine)
        for (offset, line) in lines[..<blank].enumerated()
        where line.unicodeScalars.contains(where: { $0 == Self.placeholderOpen || $0 == Self.placeholderClose }) {
            problems.append(
                Diagnostic(
                    .badData, file: file, line: firstLine + offset,
                    "holds the private-use character U+E000 or U+E001, which Herald reserves in header lines; remove it"))
        }
        if markdown {
            problems += Self.nonPlainTags(bodyText, file: file, firstLine: bodyFirstLine)
            problems += Self.unclosedParagraphTags(bodyText, file: file, firstLine: bodyFirstLine)
            problems += Self.deeplyNestedBrackets(bodyText, file: file, firstLine: bodyFirstLine)
            if bodyText.unicodeScalars.contains(where: { $0 == Self.placeholderOpen || $0 == Self.placeholderClose }) {
                problems.append(
                    Diagnostic(
                        .badData, file: file, line: bodyFirstLine,
                        "the body holds the private-use character U+E000 or U+E001, which Herald reserves in a Markdown letter; remove it"))
            }
        }
        if !problems.isEmpty { throw ValidationFailure(problems) }
        self.header = try Self.parse(headerText, file: file, firstLine: firstLine)
        self.body = try Self.parse(bodyText, file: file, firstLine: bodyFirstLine)
        self.fieldUses =
            Self.scan(headerText, firstLine: firstLine, inHeader: true)
            + Self.scan(bodyText, firstLine: bodyFirstLine, inHeader: false)
        self.shapes = LetterShapes(header: headerText, body: bodyText)
    }

    /// True for a header line `Content-Type: text/markdown` (any case, an optional
    /// `; charset=utf-8`).
    static func declaresMarkdown(_ line: String) -> Bool {
        guard let colon = line.firstIndex(of: ":"), line[..<colon].trimmingSpaces.lowercased() == "content-type" else { return false }
        let value = line[line.index(after: colon)...].lowercased().replacingOccurrences(of: " ", with: "")
        return value == "text/markdown" || value == "text/markdown;charset=utf-8" || value == "text/markdown;charset=\"utf-8\""
    }

    /// A Markdown letter's tags must be plain names (`{{name}}`, sections, comments): its HTML
    /// is rendered once with a placeholder for each value, which a transform or a dotted name
    /// would not stand for.
    static func nonPlainTags(_ text: String, file: String, firstLine: Int) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        forEachTag(text, firstLine: firstLine) { line, content in
            guard content.first != "!" else { return }
            var name = Substring(content)
            if let sigil = name.first, "#^/&".contains(sigil) { name = Substring(String(name.dropFirst()).trimmingSpaces) }
            if LetterShapes.plainName(name) == nil {
                problems.append(
                    Diagnostic(
                        .badData, file: file, line: line, field: "{{\(content)}}",
                        "a Markdown letter uses plain field names only ({{name}}, {{#flag}}…{{/flag}}), so that its HTML can be rendered once and every value escaped"
                    ))
            }
        }
        return problems
    }

    private static func parse(_ text: String, file: String, firstLine: Int) throws(ValidationFailure) -> MustacheTemplate {
        do {
            return try MustacheTemplate(string: textPragma + text)
        } catch let error as MustacheTemplate.ParserError {
            throw ValidationFailure([
                Diagnostic(
                    .badData, file: file, line: firstLine + error.context.lineNumber - 1,
                    "template syntax error: \(error.error) in \"\(error.context.line.trimmingSpaces)\"")
            ])
        } catch {
            throw ValidationFailure([Diagnostic(.badData, file: file, line: firstLine, "template syntax error: \(error)")])
        }
    }

    /// Calls `visit` for each `{{…}}` tag: its line, its content without braces (trimmed) and
    /// whether it was a triple `{{{…}}}`. The one walk over a template's tags.
    static func forEachTag(_ text: String, firstLine: Int, _ visit: (_ line: Int, _ content: String) -> Void) {
        var line = firstLine
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            line += rest[..<open.lowerBound].filter { $0 == "\n" }.count
            let afterOpen = rest[open.upperBound...]
            let triple = afterOpen.hasPrefix("{")
            guard let close = afterOpen.range(of: triple ? "}}}" : "}}") else { break }
            var tag = afterOpen[..<close.lowerBound]
            if triple { tag = tag.dropFirst() }
            visit(line, String(tag).trimmingSpaces)
            line += tag.filter { $0 == "\n" }.count
            rest = afterOpen[close.upperBound...]
        }
    }

    /// Tags Herald does not support, each reported on its line: partials (`{{>name}}`) and
    /// parents (`{{<name}}`) would read other files, and would otherwise render as nothing
    /// (an empty letter that passes validation); blocks (`{{$name}}`) only make sense with
    /// parents; a delimiter change (`{{=<% %>=}}`) would hide fields from validation.
    static func unsupportedTags(_ text: String, file: String, firstLine: Int) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        forEachTag(text, firstLine: firstLine) { line, content in
            let reason: String
            switch content.first {
            case ">": reason = "partials are not supported: a campaign's letter is one self-contained template; paste the partial's text here"
            case "<": reason = "template inheritance is not supported: a campaign's letter is one self-contained template"
            case "$": reason = "blocks are not supported (they belong to template inheritance); write the text itself"
            case "=": reason = "changing the delimiters is not supported: Herald checks every {{field}} before sending"
            default: return
            }
            problems.append(Diagnostic(.badData, file: file, line: line, field: "{{\(content)}}", reason))
        }
        return problems
    }

    /// Finds `{{name}}`, `{{{name}}}`, `{{&name}}`, `{{#name}}` and `{{^name}}` tags, tracking section nesting.
    static func scan(_ text: String, firstLine: Int, inHeader: Bool) -> [FieldUse] {
        var uses: [FieldUse] = []
        var stack: [Enclosing] = []
        forEachTag(text, firstLine: firstLine) { line, content in
            guard let sigil = content.first else { return }
            switch sigil {
            case "!", "%", ">", "<", "=", "$":
                return
            case "/":
                if !stack.isEmpty { stack.removeLast() }
            case "#", "^":
                let name = String(content.dropFirst()).trimmingSpaces
                uses.append(FieldUse(name: name, line: line, inHeader: inHeader, isSection: true, enclosing: stack))
                stack.append(Enclosing(name: name, inverted: sigil == "^"))
            case "&":
                let name = String(content.dropFirst()).trimmingSpaces
                uses.append(FieldUse(name: name, line: line, inHeader: inHeader, isSection: false, enclosing: stack))
            default:
                if content == "." { return }
                uses.append(FieldUse(name: content, line: line, inHeader: inHeader, isSection: false, enclosing: stack))
            }
        }
        return uses
    }
}
