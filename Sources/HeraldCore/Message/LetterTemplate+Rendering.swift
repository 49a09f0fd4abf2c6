extension LetterTemplate {
    /// Checks the template against a recipient list's columns: every field it uses must be a column.
    public func check(columns: [String], listFile: String) -> [Diagnostic] {
        var reported: Set<String> = []
        var problems: [Diagnostic] = []
        for use in fieldUses where !columns.contains(use.name) && reported.insert(use.name).inserted {
            problems.append(
                Diagnostic(
                    .badData, file: file, line: use.line, field: use.name,
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
            if value.containsUTF8(where: { $0 == 0 || (use.inHeader && ($0 == 0x0D || $0 == 0x0A)) }) {
                reported.insert(use.name)
                problems.append(
                    Diagnostic(
                        .badData, file: recipient.file, line: recipient.line, field: use.name,
                        "holds a line break or NUL character, which is not allowed in a field used in the header lines (\(file):\(use.line)); remove it"))
                continue
            }
            let printed = use.enclosing.allSatisfy { section in
                Self.isTruthy(recipient.fields[section.name]) != section.inverted
            }
            // Empty once its spaces and tabs are trimmed.
            if !use.isSection && printed && !value.containsUTF8(where: { $0 != 0x20 && $0 != 0x09 }) {
                reported.insert(use.name)
                problems.append(
                    Diagnostic(
                        .badData, file: recipient.file, line: recipient.line, field: use.name,
                        "is empty, but the letter prints it (\(file):\(use.line)); fill it in"))
            }
        }
        return problems
    }

    /// Renders the letter for one recipient.
    ///
    /// Values `true`/`false` (any case) become booleans, so a flag column can drive a
    /// `{{#flag}}…{{/flag}}` section; empty values are absent, so such sections stay closed.
    ///
    /// The header block is rendered as a *skeleton* first: every field value is replaced by
    /// a placeholder, the header lines and address lists are read from that skeleton, and
    /// only then are the values put in. A value therefore cannot start a header line, and in
    /// an address header it is only ever a display name (whatever it holds: quotes, commas,
    /// angle brackets) or, for the `email` column and the campaign's `addressColumns`, one
    /// whole address. Anything else is a problem on the header, reported by the composer.
    ///
    /// The body is rendered the same way when the template has ``shapes``, and the skeletons
    /// are then rendered and read once for all the letters whose fields are in the same
    /// states (``LetterShapes``): a letter is the values put into its shape.
    public func render(_ recipient: Recipient, addressColumns: [String] = []) -> RenderedLetter {
        render(recipient, addressColumns: addressColumns, withBody: true)
    }

    /// Renders the letter, or only its header lines (an empty body) when `withBody` is false:
    /// what a check needs, since a body never keeps a letter from composing.
    func render(_ recipient: Recipient, addressColumns: [String], withBody: Bool) -> RenderedLetter {
        if let shapes {
            let (key, values) = shapes.states(of: recipient)
            return shape(key, of: shapes).letter(values: values, recipient: recipient, addressColumns: addressColumns, withBody: withBody)
        }
        // A template without shapes: its header skeleton is read for this letter alone, and
        // its body rendered from the values.
        var context: [String: Any] = [:]
        var skeletonContext: [String: Any] = [:]
        var placed: [String] = []
        for (key, value) in recipient.fields where !value.isEmpty {
            switch Self.flag(value) {
            case let flag?:
                context[key] = flag
                skeletonContext[key] = flag
            case nil:
                context[key] = value
                skeletonContext[key] = Self.placeholder(placed.count)
                placed.append(key)
            }
        }
        let shape = LetterShape(
            headerSkeleton: header.render(skeletonContext), firstLine: headerFirstLine, body: nil, fieldNames: placed,
            markdown: isMarkdown ? body.render(skeletonContext) : nil, bodyLines: bodyLines,
            policy: htmlPolicy, source: bodySource)
        return shape.letter(
            values: placed.map { recipient.fields[$0] ?? "" }, recipient: recipient,
            addressColumns: addressColumns, body: withBody ? body.render(context) : "")
    }

    /// Each field's first line in the body.
    var bodyLines: [String: Int] {
        var lines: [String: Int] = [:]
        for use in fieldUses where !use.inHeader && lines[use.name] == nil { lines[use.name] = use.line }
        return lines
    }

    /// The shape of letters whose fields are in the states `key`, made the first time.
    func shape(_ key: [UInt8], of shapes: LetterShapes) -> LetterShape {
        shapes.shape(key) {
            let context = shapes.skeletonContext(key)
            let bodySkeleton = body.render(context)
            return LetterShape(
                headerSkeleton: header.render(context), firstLine: headerFirstLine,
                body: bodySkeleton, fieldNames: shapes.names,
                markdown: isMarkdown ? bodySkeleton : nil, bodyLines: bodyLines,
                policy: htmlPolicy, source: bodySource)
        }
    }

    /// The letter for one recipient, cut where its values go, for a review page: the same
    /// skeletons `render` fills, so the texts are those of the message. A template without
    /// shapes gives whole texts (``MarkedLetter/fieldsMarked`` false).
    public func marked(_ recipient: Recipient, addressColumns: [String] = []) -> MarkedLetter {
        guard let shapes else {
            let letter = render(recipient, addressColumns: addressColumns)
            return MarkedLetter(
                headers: letter.headers.map { .init(name: $0.name, value: .init([.text($0.value)])) },
                body: .init([.text(letter.body)]), fieldsMarked: false)
        }
        let (key, values) = shapes.states(of: recipient)
        let shape = shape(key, of: shapes)
        func marked(_ skeleton: Skeleton) -> MarkedLetter.Text {
            MarkedLetter.Text(
                skeleton.pieces.map { piece in
                    switch piece {
                    case .text(let text): .text(text)
                    case .field(let number): .field(name: shapes.names[number], value: values[number])
                    }
                })
        }
        let body = shape.body.map(marked) ?? .init([.text(render(recipient, addressColumns: addressColumns).body)])
        return MarkedLetter(
            headers: shape.headers.map { .init(name: $0.name.filled(values), value: marked($0.value)) },
            body: body, fieldsMarked: shape.body != nil)
    }

    /// Opens and closes a placeholder in a skeleton (Unicode private-use scalars, which a
    /// template's header lines may not hold themselves, and a body that holds them has no shapes).
    static let placeholderOpen: Unicode.Scalar = "\u{E000}"
    static let placeholderClose: Unicode.Scalar = "\u{E001}"

    static func placeholder(_ index: Int) -> String {
        "\(Character(placeholderOpen))\(index)\(Character(placeholderClose))"
    }

    /// Whether a field value opens a section: present, not empty and not `false`.
    static func isTruthy(_ value: String?) -> Bool {
        guard let value, !value.isEmpty else { return false }
        return flag(value) != false
    }

    /// `true` or `false` for a value that is that word in any case (`value.lowercased()`
    /// is `"true"` or `"false"`), else nil; a flag column's value becomes a boolean.
    ///
    /// Without lowercasing every value: lowercasing gives each code point one or more, so a
    /// value of more than five code points is neither word, and ASCII lowercases byte by byte.
    static func flag(_ value: String) -> Bool? {
        let utf8 = value.utf8
        // Five code points take at most 20 bytes.
        guard utf8.count <= 20 else { return nil }
        if utf8.allSatisfy({ $0 < 0x80 }) {
            guard utf8.count == 4 || utf8.count == 5 else { return nil }
            var lower: UInt64 = 0
            for byte in utf8 { lower = lower << 8 | UInt64(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte) }
            return lower == 0x74_72_75_65 ? true : lower == 0x66_61_6C_73_65 ? false : nil  // "true", "false"
        }
        guard utf8.reduce(0, { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) }) <= 5 else { return nil }
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }

    /// Splits a rendered header block into fields, joining continuation lines.
    /// A line that is neither `Name: value` nor a continuation is kept with an empty name,
    /// for the composer to report.
    static func readHeaders(_ text: String, firstLine: Int) -> [RenderedLetter.Header] {
        var headers: [RenderedLetter.Header] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = firstLine + offset
            if line.trimmingSpaces.isEmpty { continue }
            if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += " " + line.trimmingSpaces
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                headers.append(RenderedLetter.Header(name: "", value: String(line), line: number))
                continue
            }
            headers.append(RenderedLetter.Header(name: String(line[..<colon]), value: String(line[line.index(after: colon)...]).trimmingSpaces, line: number))
        }
        return headers
    }
}
