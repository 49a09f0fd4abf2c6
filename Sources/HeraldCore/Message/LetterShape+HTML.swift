extension LetterShape {
    /// The HTML skeleton's problems as template problems, each on the template line it comes
    /// from, so that a refused letter names the line to change (exit 65, whatever the row).
    ///
    /// - Parameters:
    ///   - markdown: the shape's Markdown skeleton, whose lines ``HTMLSkeleton/problems`` count.
    ///   - source: the template's body and its first line; nil when unknown (each field's
    ///     first line, or the body's, is reported then).
    static func problems(
        of html: HTMLSkeleton, markdown: String, source: (text: String, firstLine: Int)?,
        fieldNames: [String], bodyLines: [String: Int]
    ) -> [MessageComposer.Problem] {
        guard !html.problems.isEmpty else { return [] }
        let templateLines = source.map { Self.templateLines(skeleton: markdown, template: $0.text, firstLine: $0.firstLine) }
        let fallback = source?.firstLine ?? bodyLines.values.min() ?? 1
        return html.problems.map { found, line in
            let name = found.field.map { fieldNames[$0] }
            let templateLine = templateLines?[line - 1] ?? name.flatMap { bodyLines[$0] } ?? fallback
            if let name {
                return MessageComposer.Problem(
                    templateLine: templateLine, field: "{{\(name)}}", templateLevel: true,
                    message: "in this Markdown letter's HTML the field \(found.reason)")
            }
            return MessageComposer.Problem(
                templateLine: templateLine, field: found.subject, templateLevel: true,
                message: "this Markdown letter's HTML \(found.reason)")
        }
    }

    /// For each line of a skeleton, the template line it was rendered from: the next template
    /// line that reads the same once tags and placeholders are taken out (a section's tags
    /// remove lines, never reorder them); a line with no such match follows the one before.
    static func templateLines(skeleton: String, template: String, firstLine: Int) -> [Int] {
        func withoutTags(_ line: Substring) -> String {
            var out = ""
            var rest = line
            while let open = rest.range(of: "{{") {
                out += rest[..<open.lowerBound]
                guard let close = rest[open.upperBound...].range(of: "}}") else { rest = rest[open.lowerBound...]; break }
                rest = rest[close.upperBound...]
                if rest.hasPrefix("}") { rest = rest.dropFirst() }
            }
            return (out + rest).trimmingSpaces
        }
        func withoutPlaceholders(_ line: Substring) -> String {
            var out = String.UnicodeScalarView()
            var inside = false
            for scalar in line.unicodeScalars {
                if scalar == LetterTemplate.placeholderOpen {
                    inside = true
                } else if scalar == LetterTemplate.placeholderClose {
                    inside = false
                } else if !inside {
                    out.append(scalar)
                }
            }
            return String(out).trimmingSpaces
        }
        let templateLines = template.split(separator: "\n", omittingEmptySubsequences: false).map(withoutTags)
        var next = 0
        var previous = firstLine - 1
        return skeleton.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let text = withoutPlaceholders(line)
            if let found = templateLines[next...].firstIndex(of: text) {
                next = found + 1
                previous = firstLine + found
            } else {
                previous += 1
            }
            return previous
        }
    }
}
