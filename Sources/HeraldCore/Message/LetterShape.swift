/// What a letter is made of, read once from its skeletons (the header block and, when the
/// template allows, the body, rendered with a placeholder for every field value): header
/// lines, address structure and body text, ready to be filled with one recipient's values.
///
/// Everything that does not depend on the values is done here, once: reading the header
/// lines and their address lists, checking the addresses written in the template, and, for
/// a header with no field at all (`From`, `Reply-To`), the whole header and its encoded line.
final class LetterShape: Sendable {
    let headers: [HeaderPlan]
    /// The body skeleton; nil when the body is rendered for each letter (see ``LetterShapes``).
    let body: Skeleton?
    /// For a Markdown letter: the body as HTML, with placeholders (Ink runs once per shape).
    let html: HTMLSkeleton?
    /// What the HTML must not hold, as template problems on their template lines.
    let htmlProblems: [MessageComposer.Problem]
    /// The HTML part's `lang`.
    let language: String?
    /// The `Attachment:` lines: their template line and path skeleton.
    let attachments: [(line: Int, path: Skeleton)]
    /// The field names by placeholder number, and the template line of each field's first
    /// use in the body (where a misplaced field in the HTML is reported).
    let fieldNames: [String]
    let bodyLines: [String: Int]

    /// The header that names an attached file rather than a header of the message.
    static let attachmentHeader = "attachment"

    /// One header line of the skeleton and what its value becomes.
    struct HeaderPlan: Sendable {
        let line: Int
        /// The name as the skeleton has it.
        let rawName: String
        let name: Skeleton
        let value: Skeleton
        let form: Form
        /// The whole header, encoded, when it holds no field: the same in every letter.
        let constant: RenderedLetter.Header?
    }

    /// How a header's value is read.
    enum Form: Sendable {
        /// A field supplies (part of) the header's name: refused, naming that field.
        case namedByField(String)
        /// Not an address header: the value is text.
        case text
        /// An address header whose structure is wrong whatever the values.
        case unreadable(MessageComposer.Problem)
        /// An address header's mailboxes, in order.
        case mailboxes([MailboxPlan])
    }

    /// One mailbox of an address header.
    struct MailboxPlan: Sendable {
        let displayName: Skeleton?
        let address: AddressSource
    }

    /// Where a mailbox's address comes from.
    enum AddressSource: Sendable {
        /// Written out in the template, and checked.
        case written(EmailAddress)
        /// One whole field: the row's own address for `email`, else an address column's value.
        case field(String)
        /// Anything else: refused, with this message, whatever the values.
        case refused(String)
    }

    /// Reads the skeletons.
    ///
    /// - Parameters:
    ///   - headerSkeleton: the header block rendered with placeholders, LF line ends.
    ///   - firstLine: the template line of the header block's first line.
    ///   - fieldNames: the field of each placeholder number.
    ///   - markdown: the body skeleton to render as HTML (a Markdown letter), else nil.
    ///   - bodyLines: each field's first body line, for reporting.
    ///   - policy: what the HTML may hold, and its language.
    ///   - source: the template's body and its first line, where a problem of the HTML is found.
    init(
        headerSkeleton: String, firstLine: Int, body: String?, fieldNames: [String],
        markdown: String? = nil, bodyLines: [String: Int] = [:], policy: HTMLPolicy = HTMLPolicy(),
        source: (text: String, firstLine: Int)? = nil
    ) {
        self.body = body.map(Skeleton.init)
        let html = markdown.map { HTMLSkeleton(markdown: $0, policy: policy) }
        self.html = html
        self.language = policy.language
        self.fieldNames = fieldNames
        self.bodyLines = bodyLines
        self.htmlProblems =
            html.map { html in
                Self.problems(of: html, markdown: markdown ?? "", source: source, fieldNames: fieldNames, bodyLines: bodyLines)
            } ?? []
        var attachments: [(line: Int, path: Skeleton)] = []
        var headers: [HeaderPlan] = []
        for raw in LetterTemplate.readHeaders(headerSkeleton, firstLine: firstLine) {
            if raw.name.trimmingSpaces.lowercased() == Self.attachmentHeader {
                attachments.append((raw.line, Skeleton(raw.value)))
            } else {
                headers.append(Self.plan(raw, fieldNames: fieldNames))
            }
        }
        self.headers = headers
        self.attachments = attachments
    }

    /// One recipient's letter: the values (by placeholder number) put into the skeletons.
    ///
    /// - Parameters:
    ///   - body: the body rendered for this letter, when the shape has no body skeleton.
    ///   - withBody: false for the header lines only, with an empty body (a check's letter).
    func letter(
        values: [String], recipient: Recipient, addressColumns: [String], body: String? = nil,
        withBody: Bool = true
    ) -> RenderedLetter {
        let headers = headers.map { plan in
            plan.constant ?? header(plan, values: values, recipient: recipient, addressColumns: addressColumns)
        }
        var letter = RenderedLetter(headers: headers, body: withBody ? self.body?.filled(values) ?? body ?? "" : "")
        if let html {
            if withBody { letter.html = html.filled(values) }
            letter.htmlLanguage = language
            letter.problems = htmlProblems
        }
        letter.attachments = attachments.map { plan in
            let (path, problem) = plan.path.filledPath(values, names: fieldNames)
            var request = RenderedLetter.AttachmentRequest(path: path, line: plan.line, problem: problem, usesFields: !plan.path.fields.isEmpty)
            request.folder = plan.path.folderBeforeFields
            return request
        }
        return letter
    }

    /// A header with the values put in. A value is never read for structure: it is a
    /// display name, whatever it holds, or, for `email` and the address columns, one address.
    private func header(_ plan: HeaderPlan, values: [String], recipient: Recipient, addressColumns: [String]) -> RenderedLetter.Header {
        var header = RenderedLetter.Header(name: plan.name.filled(values), value: plan.value.filled(values), line: plan.line)
        func problem(_ message: String, templateLevel: Bool = true) -> RenderedLetter.Header {
            header.problem = .init(templateLine: plan.line, field: plan.rawName, templateLevel: templateLevel, message: message)
            return header
        }
        switch plan.form {
        case .namedByField(let field):
            header.problem = .init(
                templateLine: plan.line, field: "header", templateLevel: true,
                message: "a field ({{\(field)}}) may not supply a header's name; write the name in the template")
        case .text:
            break
        case .unreadable(let found):
            header.problem = found
        case .mailboxes(let plans):
            var mailboxes: [Mailbox] = []
            for mailbox in plans {
                let address: EmailAddress
                switch mailbox.address {
                case .written(let written):
                    address = written
                case .field(let field) where field == RecipientList.emailColumn:
                    address = recipient.address
                case .field(let field) where addressColumns.contains(field):
                    let value = (recipient.fields[field] ?? "").trimmingSpaces
                    do { address = try EmailAddress(parsing: value) } catch {
                        return problem("{{\(field)}} is \"\(value.debugVisible)\", which \(error)", templateLevel: false)
                    }
                case .field(let field):
                    return problem(
                        "{{\(field)}} stands where an address goes, but only {{\(RecipientList.emailColumn)}} or a column listed in the campaign's address_columns may supply an address; a field may be a display name: {{\(field)}} <address>"
                    )
                case .refused(let message):
                    return problem(message)
                }
                mailboxes.append(Mailbox(displayName: Self.displayName(mailbox.displayName?.filled(values)), address: address))
            }
            header.mailboxes = mailboxes
        }
        return header
    }

    /// A display name as the header carries it: trimmed, and none when empty.
    private static func displayName(_ filled: String?) -> String? {
        guard let trimmed = filled?.trimmingSpaces, !trimmed.isEmpty else { return nil }
        return trimmed
    }

    /// Reads one skeleton header: its address structure, and all of it when it holds no field.
    private static func plan(_ raw: RenderedLetter.Header, fieldNames: [String]) -> HeaderPlan {
        let name = Skeleton(raw.name)
        let value = Skeleton(raw.value)
        let form = form(raw, name: name, fieldNames: fieldNames)
        let constant = constantHeader(raw, name: name, value: value, form: form).map { header in
            var header = header
            header.encoded = MessageComposer.encodedLine(header)
            return header
        }
        return HeaderPlan(line: raw.line, rawName: raw.name, name: name, value: value, form: form, constant: constant)
    }

    /// The header every letter gets, when it depends on no value: nil when it does.
    private static func constantHeader(_ raw: RenderedLetter.Header, name: Skeleton, value: Skeleton, form: Form) -> RenderedLetter.Header? {
        guard let constantName = name.constant, let constantValue = value.constant else { return nil }
        var header = RenderedLetter.Header(name: constantName, value: constantValue, line: raw.line)
        switch form {
        case .namedByField, .text:
            break
        case .unreadable(let found):
            header.problem = found
        case .mailboxes(let plans):
            var mailboxes: [Mailbox] = []
            for plan in plans {
                switch plan.address {
                case .written(let address):
                    mailboxes.append(Mailbox(displayName: displayName(plan.displayName?.constant), address: address))
                case .field:
                    return nil
                case .refused(let message):
                    header.problem = .init(templateLine: raw.line, field: raw.name, templateLevel: true, message: message)
                    return header
                }
            }
            header.mailboxes = mailboxes
        }
        return header
    }

    /// How a skeleton header's value is read.
    private static func form(_ raw: RenderedLetter.Header, name: Skeleton, fieldNames: [String]) -> Form {
        if let field = name.fields.first { return .namedByField(fieldNames[field]) }
        guard MessageComposer.addressHeaders.contains(raw.name.lowercased()) else { return .text }
        func unreadable(_ message: String) -> Form {
            .unreadable(.init(templateLine: raw.line, field: raw.name, templateLevel: true, message: message))
        }
        let parts: [Mailbox.Parts]
        do { parts = try Mailbox.splitList(raw.value) } catch {
            // The skeleton's structure is the template's own: report the template's text.
            return unreadable(Skeleton(String(describing: error)).shown(fieldNames))
        }
        return .mailboxes(
            parts.map { part in
                let address = Skeleton(part.address)
                let source: AddressSource
                if !part.address.unicodeScalars.contains(LetterTemplate.placeholderOpen) {
                    do { source = .written(try EmailAddress(parsing: part.address)) } catch {
                        source = .refused("address \"\(part.address)\" \(error)")
                    }
                } else if let field = address.wholeField {
                    source = .field(fieldNames[field])
                } else {
                    source = .refused(
                        "an address must be written out in the template, or be one whole field ({{\(RecipientList.emailColumn)}} or an address column), not \"\(address.shown(fieldNames))\""
                    )
                }
                return MailboxPlan(displayName: part.displayName.map(Skeleton.init), address: source)
            })
    }
}
