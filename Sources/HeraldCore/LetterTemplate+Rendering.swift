/// A letter rendered for one recipient, before MIME composition.
public struct RenderedLetter: Sendable, Equatable {
    /// Header fields in template order; `line` is the template line that produced each.
    public var headers: [(name: String, value: String, line: Int)]
    /// The body text with LF line ends, as rendered.
    public var body: String

    public init(headers: [(name: String, value: String, line: Int)], body: String) {
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: RenderedLetter, rhs: RenderedLetter) -> Bool {
        lhs.body == rhs.body && lhs.headers.map { "\($0.name)\u{0}\($0.value)\u{0}\($0.line)" }
            == rhs.headers.map { "\($0.name)\u{0}\($0.value)\u{0}\($0.line)" }
    }
}

extension LetterTemplate {
    /// Checks the template against a recipient list's columns: every field it uses must be a column.
    public func check(columns: [String], listFile: String) -> [Diagnostic] {
        var reported: Set<String> = []
        var problems: [Diagnostic] = []
        for use in fieldUses where !columns.contains(use.name) && reported.insert(use.name).inserted {
            problems.append(Diagnostic(.badData, file: file, line: use.line, field: use.name,
                                       "the template uses a field that \(listFile) has no column for (its columns: \(columns.joined(separator: ", ")))"))
        }
        return problems
    }

    /// Checks one recipient's values against the template: a field the letter prints must
    /// not be empty, and a field in the header block must not hold a line break or NUL.
    public func check(_ recipient: Recipient) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        var reported: Set<String> = []
        for use in fieldUses {
            guard let value = recipient.fields[use.name], !reported.contains(use.name) else { continue }
            if value.unicodeScalars.contains(where: { $0 == "\0" }) || (use.inHeader && value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" })) {
                reported.insert(use.name)
                problems.append(Diagnostic(.badData, file: recipient.file, line: recipient.line, field: use.name,
                                           "holds a line break or NUL character, which is not allowed in a field used in the header lines (\(file):\(use.line)); remove it"))
                continue
            }
            let printed = use.enclosing.allSatisfy { section in
                Self.isTruthy(recipient.fields[section.name]) != section.inverted
            }
            if !use.isSection && printed && value.trimmingSpaces.isEmpty {
                reported.insert(use.name)
                problems.append(Diagnostic(.badData, file: recipient.file, line: recipient.line, field: use.name,
                                           "is empty, but the letter prints it (\(file):\(use.line)); fill it in"))
            }
        }
        return problems
    }

    /// Renders the letter for one recipient.
    ///
    /// Values `true`/`false` (any case) become booleans, so a flag column can drive a
    /// `{{#flag}}…{{/flag}}` section; empty values are absent, so such sections stay closed.
    public func render(_ recipient: Recipient) -> RenderedLetter {
        var context: [String: Any] = [:]
        for (key, value) in recipient.fields where !value.isEmpty {
            switch value.lowercased() {
            case "true": context[key] = true
            case "false": context[key] = false
            default: context[key] = value
            }
        }
        let headerText = header.render(context)
        let bodyText = body.render(context)
        return RenderedLetter(headers: Self.readHeaders(headerText, firstLine: headerFirstLine), body: bodyText)
    }

    /// Whether a field value opens a section: present, not empty and not `false`.
    static func isTruthy(_ value: String?) -> Bool {
        guard let value, !value.isEmpty else { return false }
        return value.lowercased() != "false"
    }

    /// Splits a rendered header block into fields, joining continuation lines.
    /// A line that is neither `Name: value` nor a continuation is kept with an empty name,
    /// for the composer to report.
    static func readHeaders(_ text: String, firstLine: Int) -> [(name: String, value: String, line: Int)] {
        var headers: [(name: String, value: String, line: Int)] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = firstLine + offset
            if line.trimmingSpaces.isEmpty { continue }
            if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += " " + line.trimmingSpaces
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                headers.append((name: "", value: String(line), line: number))
                continue
            }
            headers.append((name: String(line[..<colon]), value: String(line[line.index(after: colon)...]).trimmingSpaces, line: number))
        }
        return headers
    }
}
