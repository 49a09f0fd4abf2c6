import Foundation

/// A campaign whose every part has been loaded and checked: each recipient's letter
/// renders and composes. Only a prepared campaign can be previewed or sent, so bad
/// input is caught before the first message leaves.
public struct PreparedCampaign: Sendable {
    public var campaign: Campaign
    public var template: LetterTemplate
    /// Recipients in list order, each address once.
    public var recipients: [Recipient]
    /// Things worth telling the user that do not stop the campaign (duplicate addresses).
    public var warnings: [Diagnostic]

    /// Checks the template against every list and every row, and composes every letter once.
    ///
    /// An address listed twice gets one letter, with a warning, unless the campaign's
    /// `allowDuplicates` gives every row its own letter and log key (`address#2`, …).
    ///
    /// - Parameters:
    ///   - lists: each recipient file's path and text, in campaign order.
    ///   - date: the date used for the trial composition.
    /// - Throws: `ValidationFailure` with every problem in every file.
    public static func prepare(campaign: Campaign, template: LetterTemplate,
                               lists: [RecipientList], date: Date = Date()) throws(ValidationFailure) -> PreparedCampaign {
        let allowDuplicates = campaign.allowDuplicates
        var problems: [Diagnostic] = []
        var warnings: [Diagnostic] = []
        var recipients: [Recipient] = []
        var firstSeen: [String: Recipient] = [:]
        var seenCount: [String: Int] = [:]
        for list in lists {
            problems += template.check(columns: list.columns, listFile: list.file)
            problems += checkAddressColumns(campaign, list)
            for var recipient in list.recipients {
                seenCount[recipient.key, default: 0] += 1
                if allowDuplicates, let count = seenCount[recipient.key], count > 1 {
                    recipient.duplicateOrdinal = count
                    recipients.append(recipient)
                    continue
                }
                if let earlier = firstSeen[recipient.key] {
                    warnings.append(Diagnostic(.badData, file: recipient.file, line: recipient.line, field: RecipientList.emailColumn,
                                               "\(recipient.address) is already listed at \(earlier.file):\(earlier.line); it will get one letter (allow_duplicates = true in the campaign file sends one per row)"))
                    continue
                }
                firstSeen[recipient.key] = recipient
                recipients.append(recipient)
            }
        }
        if recipients.isEmpty && problems.isEmpty {
            problems.append(Diagnostic(.badData, file: campaign.file, field: "recipients", "the recipient lists hold no recipient"))
        }
        if problems.isEmpty {
            var prepared = PreparedCampaign(campaign: campaign, template: template, recipients: recipients, warnings: warnings)
            for recipient in recipients {
                let rowProblems = template.check(recipient)
                if !rowProblems.isEmpty { problems += rowProblems; continue }
                do { _ = try prepared.compose(recipient, date: date) } catch { problems += error.diagnostics }
            }
            // Template-level header problems repeat for every row: keep one of each.
            var seen: Set<String> = []
            problems = problems.filter { seen.insert($0.description).inserted }
            if problems.isEmpty {
                prepared.warnings = warnings
                return prepared
            }
        }
        throw ValidationFailure(problems)
    }

    /// Checks a list's address columns: each must exist, and each value must be one plain
    /// address (or empty), so a field can only supply an address where the campaign says so.
    static func checkAddressColumns(_ campaign: Campaign, _ list: RecipientList) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        for column in campaign.addressColumns {
            guard list.columns.contains(column) else {
                problems.append(Diagnostic(.badData, file: list.file, line: 1, field: column,
                                           "the campaign names \(column) in address_columns, but this list has no such column"))
                continue
            }
            for recipient in list.recipients {
                let value = (recipient.fields[column] ?? "").trimmingSpaces
                if value.isEmpty { continue }
                do { _ = try EmailAddress(parsing: value) } catch {
                    problems.append(Diagnostic(.badData, file: recipient.file, line: recipient.line, field: column,
                                               "\"\(value.debugVisible)\" \(error); an address column holds one plain address (a@b.example) or nothing"))
                }
            }
        }
        return problems
    }

    /// Renders and composes one recipient's message.
    ///
    /// The envelope is exactly the addresses of the rendered `To`, `Cc` and `Bcc`, the
    /// row's own address first; the `To` must name the row's address, so the log's key is
    /// always a recipient the letter went to.
    public func compose(_ recipient: Recipient, date: Date, occurrence: String? = nil) throws(ValidationFailure) -> ComposedMessage {
        let letter = template.render(recipient, addressColumns: campaign.addressColumns)
        var message: ComposedMessage
        do {
            message = try MessageComposer.compose(letter, campaign: campaign.name, recipientKey: recipient.key, date: date,
                                                  occurrence: occurrence)
        } catch {
            let headerLinesWithFields = Set(template.fieldUses.filter(\.inHeader).map(\.line))
            throw ValidationFailure(error.problems.map { problem in
                if headerLinesWithFields.contains(problem.templateLine) && !problem.templateLevel {
                    return Diagnostic(.badData, file: recipient.file, line: recipient.line, field: problem.field,
                                      "\(problem.message) (rendered from \(template.file):\(problem.templateLine))")
                }
                return Diagnostic(.badData, file: template.file, line: problem.templateLine, field: problem.field, problem.message)
            })
        }
        let own = recipient.address.normalized
        let to = letter.headers.first { $0.name.lowercased() == "to" }
        guard let to, let mailboxes = to.mailboxes, mailboxes.contains(where: { $0.address.normalized == own }) else {
            throw ValidationFailure([Diagnostic(.badData, file: template.file, line: to?.line, field: "To",
                                                "does not name the recipient's own address; write {{\(RecipientList.emailColumn)}} in To (e.g. To: {{name}} <{{\(RecipientList.emailColumn)}}>), so that the letter goes to, and the log records, the row's address")])
        }
        if let index = message.envelopeRecipients.firstIndex(where: { $0.normalized == own }), index > 0 {
            message.envelopeRecipients.insert(message.envelopeRecipients.remove(at: index), at: 0)
        }
        return message
    }
}
