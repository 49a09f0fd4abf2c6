import Foundation

@testable import HeraldCore

/// A letter's way through Herald before issue 10's shapes and byte composer: the template
/// rendered with Mustache for every letter (`render`, `check`), then composed with String
/// operations (`compose`, with `LegacyHeaderEncoder`, Foundation's date formatting and the
/// String Message-ID). Kept as the reference the new path is compared with, letter by
/// letter; do not "fix" or speed it up. The body encoding (`NormalizedBody`,
/// `QuotedPrintable`) is shared: `BodyEncodingDifferentialTests` compares it with its own past.
enum LegacyLetterPath {
    /// Checks one recipient's values against the template: a field the letter prints must
    /// not be empty, and a field in the header block must not hold a line break or NUL.
    static func check(_ template: LetterTemplate, _ recipient: Recipient) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        var reported: Set<String> = []
        for use in template.fieldUses {
            guard let value = recipient.fields[use.name], !reported.contains(use.name) else { continue }
            if value.unicodeScalars.contains(where: { $0 == "\0" }) || (use.inHeader && value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" })) {
                reported.insert(use.name)
                problems.append(
                    Diagnostic(
                        .badData, file: recipient.file, line: recipient.line, field: use.name,
                        "holds a line break or NUL character, which is not allowed in a field used in the header lines (\(template.file):\(use.line)); remove it"
                    ))
                continue
            }
            let printed = use.enclosing.allSatisfy { section in
                Self.isTruthy(recipient.fields[section.name]) != section.inverted
            }
            if !use.isSection && printed && value.trimmingSpaces.isEmpty {
                reported.insert(use.name)
                problems.append(
                    Diagnostic(
                        .badData, file: recipient.file, line: recipient.line, field: use.name,
                        "is empty, but the letter prints it (\(template.file):\(use.line)); fill it in"))
            }
        }
        return problems
    }

    static func render(_ template: LetterTemplate, _ recipient: Recipient, addressColumns: [String] = []) -> RenderedLetter {
        var context: [String: Any] = [:]
        var skeletonContext: [String: Any] = [:]
        var placed: [String] = []
        for (key, value) in recipient.fields where !value.isEmpty {
            switch value.lowercased() {
            case "true": context[key] = true; skeletonContext[key] = true
            case "false": context[key] = false; skeletonContext[key] = false
            default:
                context[key] = value
                skeletonContext[key] = LetterTemplate.placeholder(placed.count)
                placed.append(key)
            }
        }
        let skeleton = template.header.render(skeletonContext)
        let bodyText = template.body.render(context)
        let fill = Filler(recipient: recipient, placed: placed, addressColumns: addressColumns)
        let headers = LetterTemplate.readHeaders(skeleton, firstLine: template.headerFirstLine).map { raw in
            fill.header(raw)
        }
        return RenderedLetter(headers: headers, body: bodyText)
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
                let index = Int(String(String.UnicodeScalarView(scalars.dropFirst().dropLast())))
            else { return nil }
            return placed[index]
        }

        func header(_ raw: RenderedLetter.Header) -> RenderedLetter.Header {
            var header = raw
            let (name, nameFields) = fill(raw.name)
            header.name = name
            header.value = fill(raw.value).text
            guard nameFields.isEmpty else {
                header.problem = .init(
                    templateLine: raw.line, field: "header", templateLevel: true,
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
                        return problem(
                            "{{\(field)}} stands where an address goes, but only {{\(RecipientList.emailColumn)}} or a column listed in the campaign's address_columns may supply an address; a field may be a display name: {{\(field)}} <address>"
                        )
                    }
                } else {
                    return problem(
                        "an address must be written out in the template, or be one whole field ({{\(RecipientList.emailColumn)}} or an address column), not \"\(shown(part.address))\""
                    )
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

    static func compose(
        _ letter: RenderedLetter, campaign: String, recipientKey: String,
        date: Date, occurrence: String? = nil
    ) throws(ComposeFailure) -> ComposedMessage {
        var problems: [MessageComposer.Problem] = []
        var seen: Set<String> = []
        var lines = ""
        var from: Mailbox?
        var envelope: [EmailAddress] = []
        var subject: String?

        for header in letter.headers {
            let lower = header.name.lowercased()
            func problem(_ message: String, templateLevel: Bool = false) {
                problems.append(
                    MessageComposer.Problem(
                        templateLine: header.line, field: header.name.isEmpty ? "header" : header.name,
                        templateLevel: templateLevel, message: message))
            }
            if let found = header.problem {
                if MessageComposer.singleHeaders.contains(lower) { seen.insert(lower) }
                problems.append(found)
                continue
            }
            guard MessageComposer.isValidName(header.name) else {
                problem(
                    "\"\(header.value.debugVisible)\" is not a header line (`Name: value`); the header block ends at the first blank line",
                    templateLevel: true)
                continue
            }
            if MessageComposer.managedHeaders.contains(lower) {
                problem("is written by Herald; remove it from the template", templateLevel: true)
                continue
            }
            if MessageComposer.singleHeaders.contains(lower) && !seen.insert(lower).inserted {
                problem("appears twice", templateLevel: true)
                continue
            }
            if header.value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) {
                problem("holds a control character")
                continue
            }
            let before = lines.endIndex
            defer {
                if MessageComposer.hasLine(longerThan: LegacyHeaderEncoder.maximumLineLength, in: lines[before...]) {
                    problem("cannot be folded under \(LegacyHeaderEncoder.maximumLineLength) characters")
                }
            }
            if MessageComposer.addressHeaders.contains(lower) {
                let mailboxes: [Mailbox]
                if let structured = header.mailboxes {
                    mailboxes = structured
                } else {
                    do { mailboxes = try Mailbox.parseList(header.value) } catch {
                        problem("\(error)")
                        continue
                    }
                }
                if lower == "from" {
                    guard mailboxes.count == 1 else { problem("must name exactly one sender", templateLevel: true); continue }
                    from = mailboxes[0]
                }
                if lower == "to" || lower == "cc" || lower == "bcc" { envelope += mailboxes.map(\.address) }
                if lower == "bcc" { continue }
                lines += LegacyHeaderEncoder.fold(
                    name: canonicalName(header.name),
                    atoms: LegacyHeaderEncoder.mailboxListAtoms(
                        mailboxes, firstLimit: LegacyHeaderEncoder.firstLineRoom(for: header.name)))
            } else {
                if lower == "subject" { subject = header.value }
                lines += LegacyHeaderEncoder.fold(
                    name: canonicalName(header.name),
                    atoms: LegacyHeaderEncoder.unstructuredAtoms(
                        header.value, firstLimit: LegacyHeaderEncoder.firstLineRoom(for: header.name)))
            }
        }
        let firstLine = letter.headers.first?.line ?? 1
        for required in ["From", "To", "Subject"] where !seen.contains(required.lowercased()) {
            problems.append(
                MessageComposer.Problem(
                    templateLine: firstLine, field: required, templateLevel: true,
                    message: "is missing from the template's header lines"))
        }
        guard problems.isEmpty, let from, let subject else { throw ComposeFailure(problems: problems) }

        let messageID = legacyMessageID(
            campaign: campaign, recipientKey: recipientKey, domain: from.address.domain,
            occurrence: occurrence)
        let body = NormalizedBody(letter.body)
        let plain = body.isASCII && body.longestLine <= LegacyHeaderEncoder.maximumLineLength
        lines += "Date: \(legacyDate(date))\r\n"
        lines += "Message-ID: \(messageID)\r\n"
        lines += "MIME-Version: 1.0\r\n"
        lines += "Content-Type: text/plain; charset=utf-8\r\n"
        lines += "Content-Transfer-Encoding: \(plain ? "7bit" : "quoted-printable")\r\n"
        return ComposedMessage(
            envelopeFrom: from.address, envelopeRecipients: unique(envelope), messageID: messageID,
            subject: subject, data: assemble(headers: lines, body: body, plain: plain))
    }

    static func assemble(headers: String, body: NormalizedBody, plain: Bool) -> [UInt8] {
        let encoded = plain ? body.bytes : body.bytes.withUnsafeBufferPointer { QuotedPrintable.encode($0) }
        return Array(headers.utf8) + [0x0D, 0x0A] + encoded
    }

    static func canonicalName(_ name: String) -> String {
        switch name.lowercased() {
        case "from": return "From"
        case "to": return "To"
        case "cc": return "Cc"
        case "reply-to": return "Reply-To"
        case "sender": return "Sender"
        case "subject": return "Subject"
        default: return name
        }
    }

    static func unique(_ addresses: [EmailAddress]) -> [EmailAddress] {
        var seen: Set<String> = []
        return addresses.filter { seen.insert($0.normalized).inserted }
    }

    static func legacyMessageID(campaign: String, recipientKey: String, domain: String, occurrence: String? = nil) -> String {
        let digest = SHA256.hex(campaign + "\u{0}" + recipientKey + (occurrence.map { "\u{0}" + $0 } ?? ""))
        return "<\(digest.prefix(32)).herald@\(domain.lowercased())>"
    }

    static func legacyDate(_ date: Date) -> String {
        let parts = CivilDate.fields(ofSeconds: CivilDate.wholeSeconds(date.timeIntervalSince1970))
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return String(
            format: "%@, %02d %@ %04d %02d:%02d:%02d +0000",
            days[parts.weekday], parts.day, months[parts.month - 1], parts.year,
            parts.hour, parts.minute, parts.second)
    }
}
