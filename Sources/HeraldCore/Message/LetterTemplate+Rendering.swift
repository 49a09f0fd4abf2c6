/// A letter rendered for one recipient, before MIME composition.
public struct RenderedLetter: Sendable, Equatable {
    /// One header field of a rendered letter.
    public struct Header: Sendable, Equatable {
        public var name: String
        /// The value as rendered (field values substituted), continuation lines joined.
        public var value: String
        /// The template line that produced it.
        public var line: Int
        /// For an address header rendered from a template: its mailboxes, read from the
        /// template's structure (a field value is only ever a display name or a whole address).
        /// Nil when the value is to be parsed as literal text (a letter built by hand).
        public var mailboxes: [Mailbox]?
        /// Why the address header could not be read; the composer reports it on `line`.
        public var problem: MessageComposer.Problem?

        public init(name: String, value: String, line: Int, mailboxes: [Mailbox]? = nil, problem: MessageComposer.Problem? = nil) {
            self.name = name
            self.value = value
            self.line = line
            self.mailboxes = mailboxes
            self.problem = problem
        }
    }

    /// Header fields in template order.
    public var headers: [Header]
    /// The body text with LF line ends, as rendered.
    public var body: String

    public init(headers: [Header], body: String) {
        self.headers = headers
        self.body = body
    }

    /// A letter from literal header text, each value parsed as written.
    public init(headers: [(name: String, value: String, line: Int)], body: String) {
        self.init(headers: headers.map { Header(name: $0.name, value: $0.value, line: $0.line) }, body: body)
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
    ///
    /// The header block is rendered as a *skeleton* first: every field value is replaced by
    /// a placeholder, the header lines and address lists are read from that skeleton, and
    /// only then are the values put in. A value therefore cannot start a header line, and in
    /// an address header it is only ever a display name (whatever it holds: quotes, commas,
    /// angle brackets) or, for the `email` column and the campaign's `addressColumns`, one
    /// whole address. Anything else is a problem on the header, reported by the composer.
    public func render(_ recipient: Recipient, addressColumns: [String] = []) -> RenderedLetter {
        var context: [String: Any] = [:]
        var skeletonContext: [String: Any] = [:]
        var placed: [String] = []
        for (key, value) in recipient.fields where !value.isEmpty {
            switch value.lowercased() {
            case "true": context[key] = true; skeletonContext[key] = true
            case "false": context[key] = false; skeletonContext[key] = false
            default:
                context[key] = value
                skeletonContext[key] = Self.placeholder(placed.count)
                placed.append(key)
            }
        }
        let skeleton = header.render(skeletonContext)
        let bodyText = body.render(context)
        let fill = Filler(recipient: recipient, placed: placed, addressColumns: addressColumns)
        let headers = Self.readHeaders(skeleton, firstLine: headerFirstLine).map { raw in
            fill.header(raw)
        }
        return RenderedLetter(headers: headers, body: bodyText)
    }

    /// Opens and closes a placeholder in the header skeleton (Unicode private-use scalars,
    /// which a template's header lines may not hold themselves).
    static let placeholderOpen: Unicode.Scalar = "\u{E000}"
    static let placeholderClose: Unicode.Scalar = "\u{E001}"

    static func placeholder(_ index: Int) -> String {
        "\(Character(placeholderOpen))\(index)\(Character(placeholderClose))"
    }

    /// Puts field values into a header skeleton.
    struct Filler {
        let recipient: Recipient
        /// Placeholder index → field name.
        let placed: [String]
        /// The campaign's `address_columns` (a handful at most: a list is faster than a set).
        let addressColumns: [String]

        /// The skeleton text with every placeholder replaced by its value, and the fields used.
        func fill(_ skeleton: String) -> (text: String, fields: [String]) {
            substitute(skeleton) { recipient.fields[$0] ?? "" }
        }

        /// The skeleton with each placeholder replaced by `replacement(field name)`: the one
        /// walk over placeholders, for filling values in and for showing `{{field}}` to the user.
        func substitute(_ skeleton: String, _ replacement: (String) -> String) -> (text: String, fields: [String]) {
            guard skeleton.unicodeScalars.contains(LetterTemplate.placeholderOpen) else { return (skeleton, []) }
            var out = String.UnicodeScalarView()
            var fields: [String] = []
            var index: Int?
            for scalar in skeleton.unicodeScalars {
                if scalar == LetterTemplate.placeholderOpen { index = 0; continue }
                guard let current = index else { out.append(scalar); continue }
                if scalar == LetterTemplate.placeholderClose {
                    let name = placed[current]
                    fields.append(name)
                    out.append(contentsOf: replacement(name).unicodeScalars)
                    index = nil
                } else if ("0"..."9").contains(scalar) {
                    index = current * 10 + Int(scalar.value - 48)
                }
            }
            return (String(out), fields)
        }

        /// The field a skeleton consists of entirely, or nil.
        func wholeField(_ skeleton: String) -> String? {
            let scalars = Array(skeleton.unicodeScalars)
            guard scalars.count >= 3, scalars.first == LetterTemplate.placeholderOpen, scalars.last == LetterTemplate.placeholderClose,
                  let index = Int(String(String.UnicodeScalarView(scalars.dropFirst().dropLast()))) else { return nil }
            return placed[index]
        }

        func header(_ raw: RenderedLetter.Header) -> RenderedLetter.Header {
            var header = raw
            let (name, nameFields) = fill(raw.name)
            header.name = name
            header.value = fill(raw.value).text
            guard nameFields.isEmpty else {
                header.problem = .init(templateLine: raw.line, field: "header", templateLevel: true,
                                       message: "a field ({{\(nameFields[0])}}) may not supply a header's name; write the name in the template")
                return header
            }
            guard MessageComposer.addressHeaders.contains(raw.name.lowercased()) else { return header }
            func problem(_ message: String, templateLevel: Bool = true) -> RenderedLetter.Header {
                header.problem = .init(templateLine: raw.line, field: raw.name, templateLevel: templateLevel, message: message)
                return header
            }
            let parts: [Mailbox.Parts]
            do { parts = try Mailbox.splitList(raw.value) } catch {
                // The skeleton's structure is the template's own: report the template's text.
                return problem(shown(String(describing: error)))
            }
            var mailboxes: [Mailbox] = []
            for part in parts {
                let address: EmailAddress
                if !part.address.unicodeScalars.contains(LetterTemplate.placeholderOpen) {
                    do { address = try EmailAddress(parsing: part.address) } catch {
                        return problem("address \"\(part.address)\" \(error)")
                    }
                } else if let field = wholeField(part.address) {
                    if field == RecipientList.emailColumn {
                        address = recipient.address
                    } else if addressColumns.contains(field) {
                        let value = (recipient.fields[field] ?? "").trimmingSpaces
                        do { address = try EmailAddress(parsing: value) } catch {
                            return problem("{{\(field)}} is \"\(value.debugVisible)\", which \(error)", templateLevel: false)
                        }
                    } else {
                        return problem("{{\(field)}} stands where an address goes, but only {{\(RecipientList.emailColumn)}} or a column listed in the campaign's address_columns may supply an address; a field may be a display name: {{\(field)}} <address>")
                    }
                } else {
                    return problem("an address must be written out in the template, or be one whole field ({{\(RecipientList.emailColumn)}} or an address column), not \"\(shown(part.address))\"")
                }
                let display = part.displayName.map { fill($0).text.trimmingSpaces }
                mailboxes.append(Mailbox(displayName: display?.isEmpty == false ? display : nil, address: address))
            }
            header.mailboxes = mailboxes
            return header
        }

        /// A skeleton shown to the user: placeholders as `{{field}}`.
        func shown(_ skeleton: String) -> String {
            substitute(skeleton) { "{{\($0)}}" }.text
        }
    }

    /// Whether a field value opens a section: present, not empty and not `false`.
    static func isTruthy(_ value: String?) -> Bool {
        guard let value, !value.isEmpty else { return false }
        return value.lowercased() != "false"
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
