import Foundation

/// A campaign whose every part has been loaded and checked: each recipient's letter
/// renders and composes. Only a prepared campaign can be previewed or sent, so bad
/// input is caught before the first message leaves.
///
/// The recipients are not held: a list file is read again, streamed, each time they are
/// walked (`forEachRecipient`), so memory does not grow with the list. What the check
/// decided is kept compactly: which rows are left out as duplicates, and a hash of every
/// row as checked, so that a list edited between the check and the send is noticed at the
/// first changed row, before its letter is claimed, rather than sent unchecked.
public struct PreparedCampaign: Sendable {
    public var campaign: Campaign
    /// The default template: for recipients whose language has no template of its own.
    public var template: LetterTemplate
    /// Templates by language (`[templates]`, lowercased keys); see ``template(for:)``.
    public var languageTemplates: [String: LetterTemplate] = [:]
    /// The letter's version recorded with every intent: the default template's fingerprint,
    /// or, with language templates, one over all of them (any edit to any of them changes it).
    public var fingerprint: String { languageFingerprint ?? template.fingerprint }
    /// The fingerprint over every language's template, computed once in `prepare`.
    private var languageFingerprint: String?
    /// Attached files, read once and kept while memory allows.
    public let attachmentStore = AttachmentStore()
    /// Things worth telling the user that do not stop the campaign (duplicate addresses).
    public var warnings: [Diagnostic]
    /// How many letters the campaign sends: its recipients, each address once.
    public private(set) var recipientCount: Int
    /// The secret mixed into every letter's Message-ID (``MessageIDKey``), read or created
    /// beside the delivery log by the commands that compose letters to send or preview; nil:
    /// the unkeyed form (a campaign composed outside its state, as in tests).
    public var messageIDKey: MessageIDKey?
    /// Signs every composed letter (`[dkim]`), its key parsed once for the campaign; nil: unsigned.
    public private(set) var signer: DKIMSigner?
    /// The recipient lists, in campaign order.
    let sources: [Source]
    /// Rows left out as duplicates of an earlier row.
    private(set) var skipped: Set<RowID> = []
    /// With `allow_duplicates`: 2 for the second row of an address, and so on.
    private(set) var ordinals: [RowID: Int] = [:]
    /// A hash of each recipient's row as checked (`RecipientReader.rowHash`), in list order.
    private(set) var rowHashes: [Int] = []

    /// Where a list's rows come from.
    enum Source: Sendable {
        /// A file, streamed on each walk.
        case file(String)
        /// A list already parsed (tests, small tools).
        case memory(RecipientList)

        var file: String {
            switch self {
            case .file(let path): path
            case .memory(let list): list.file
            }
        }
    }

    /// A row of one of the lists.
    struct RowID: Hashable, Sendable {
        var list: Int32
        var line: Int32

        init(_ list: Int, _ line: Int) {
            self.list = Int32(truncatingIfNeeded: list)
            self.line = Int32(truncatingIfNeeded: line)
        }
    }

    /// A list that no longer reads as it did when the campaign was checked.
    public struct ListChanged: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int?

        public var description: String {
            "\(file)\(line.map { ":\($0)" } ?? ""): the recipient list changed since the campaign was checked; nothing more is sent from it. Check the file, then run again (the letters already sent are in the log)"
        }
    }

    /// Checks parsed lists: the template against every list and every row, every letter's header lines composed once.
    public static func prepare(
        campaign: Campaign, template: LetterTemplate, languageTemplates: [String: LetterTemplate] = [:],
        lists: [RecipientList], signer: DKIMSigner? = nil, date: Date
    ) throws(ValidationFailure) -> PreparedCampaign {
        try prepare(
            campaign: campaign, template: template, languageTemplates: languageTemplates, sources: lists.map { .memory($0) },
            signer: signer, date: date)
    }

    /// Checks the template against every list and every row, and composes every letter's
    /// header lines once (`checkComposes`: the body never keeps a letter from composing).
    ///
    /// An address listed twice gets one letter, with a warning, unless the campaign's
    /// `allowDuplicates` gives every row its own letter and log key (`address#2`, …).
    ///
    /// With a `signer`, the first letter is signed too (the key works, and its domain is
    /// compared with the letter's From); the others are not: a signature cannot fail where the
    /// first succeeded, and signing every letter twice (here and when sent) would double its cost.
    ///
    /// - Parameter date: the date used for the trial composition.
    /// - Throws: `ValidationFailure` with every problem in every file.
    static func prepare(
        campaign: Campaign, template: LetterTemplate, languageTemplates: [String: LetterTemplate] = [:],
        sources: [Source], signer: DKIMSigner? = nil, date: Date
    ) throws(ValidationFailure) -> PreparedCampaign {
        var problems: [Diagnostic] = []
        var prepared = PreparedCampaign(
            campaign: campaign, template: template, warnings: [], recipientCount: 0, signer: signer,
            sources: sources)
        var signedOne = signer == nil
        // Before any letter is checked: a field may not attach the campaign's own files.
        prepared.attachmentStore.protectFiles(of: campaign)
        prepared.languageTemplates = languageTemplates
        if !languageTemplates.isEmpty {
            prepared.languageFingerprint = SHA256.hex(
                ([template.fingerprint] + languageTemplates.keys.sorted().map { "\($0)=\(languageTemplates[$0]!.fingerprint)" })
                    .joined(separator: "\n"))
        }
        // Each template once, the default first (a language may name the default's file).
        var allTemplates = [template]
        for language in languageTemplates.keys.sorted()
        where !allTemplates.contains(where: { $0.file.utf8.elementsEqual(languageTemplates[language]!.file.utf8) }) {
            allTemplates.append(languageTemplates[language]!)
        }
        // Languages the lists ask for that have no template: (list, language) → first line, count.
        var untranslated: [String: (file: String, language: String, line: Int, count: Int)] = [:]
        var untranslatedOrder: [String] = []
        // Every row's address key hashed, with its place: duplicates are found by sorting these,
        // not by keeping every address in a set.
        var keys: [(hash: Int, row: RowID)] = []
        var hashes: [Int] = []
        // A problem with a whole list (a column the template needs is missing) would repeat on
        // every row: rows are then only parsed, not rendered.
        var listProblems = false
        for (index, source) in sources.enumerated() {
            let reader: RecipientReader
            do { reader = try source.open() } catch {
                problems += error.diagnostics
                continue
            }
            let addressColumns = checkAddressColumns(campaign, columns: reader.columns, file: source.file)
            let atListLevel =
                reader.headerProblems + allTemplates.flatMap { $0.check(columns: reader.columns, listFile: source.file) }
                + addressColumns.problems
            problems += atListLevel
            listProblems = listProblems || !atListLevel.isEmpty
            while let row = reader.next() {
                guard case .recipient(let recipient) = row else {
                    if case .problem(let problem) = row { problems.append(problem) }
                    continue
                }
                keys.append((recipient.address.normalized.hashValue, RowID(index, recipient.line)))
                hashes.append(reader.rowHash)
                if !languageTemplates.isEmpty, let language = prepared.requestedLanguage(recipient), languageTemplates[language] == nil {
                    let key = "\(source.file)\u{0}\(language)"
                    if untranslated[key] == nil {
                        // Quoted as the first row wrote it (the grouping is case-blind, the words are not).
                        let written = recipient.fields[Campaign.languageColumn]?.trimmingSpaces ?? language
                        untranslated[key] = (source.file, String(written), recipient.line, 0)
                        untranslatedOrder.append(key)
                    }
                    untranslated[key]!.count += 1
                }
                if listProblems { continue }
                let rowProblems = checkAddressValues(addressColumns.present, recipient) + prepared.template(for: recipient).check(recipient)
                if !rowProblems.isEmpty { problems += rowProblems; continue }
                // Only the first problems are composed for: the rest would repeat them.
                if problems.count > 1_000 { continue }
                do {
                    if signedOne {
                        // A body never keeps a letter from composing (every problem is in the header
                        // lines, attachments included), so the check leaves it out: several times cheaper.
                        _ = try prepared.composeUnsigned(recipient, date: date, readingAttachments: false, withBody: false)
                    } else if let signer {
                        let message = try prepared.composeUnsigned(recipient, date: date, readingAttachments: false)
                        _ = try prepared.sign(message, for: recipient, date: date)
                        signedOne = true
                        if let warning = signer.alignmentWarning(from: message.envelopeFrom, campaignFile: campaign.file) {
                            prepared.warnings.append(warning)
                        }
                    }
                } catch { problems += error.diagnostics }
            }
            if reader.failed { problems.append(Diagnostic(.missingInput, file: source.file, "could not be read to the end (an I/O error)")) }
        }
        if keys.isEmpty && problems.isEmpty {
            problems.append(Diagnostic(.badData, file: campaign.file, field: "recipients", "the recipient lists hold no recipient"))
        }
        // Template-level header problems repeat for every row: keep one of each.
        var seen: Set<String> = []
        problems = problems.filter { seen.insert($0.description).inserted }
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        for key in untranslatedOrder {
            let found = untranslated[key]!
            prepared.warnings.append(
                Diagnostic(
                    .badData, file: found.file, line: found.line, field: Campaign.languageColumn,
                    "\(found.count) recipient\(found.count == 1 ? " has" : "s have") language \"\(found.language)\" (first on this line), which [templates] in \(campaign.file) does not name; \(found.count == 1 ? "it gets" : "they get") the default template \(template.file)"
                ))
        }
        try prepared.findDuplicates(keys)
        prepared.rowHashes = zip(keys, hashes).compactMap { prepared.skipped.contains($0.0.row) ? nil : $0.1 }
        prepared.recipientCount = prepared.rowHashes.count
        return prepared
    }

    /// Decides which rows repeat an earlier row's address: left out with a warning, or, with
    /// `allow_duplicates`, numbered. Rows whose hashes collide are read again to compare the
    /// addresses themselves, so a hash collision never drops a recipient.
    ///
    /// - Throws: `ValidationFailure` when a list read moments ago cannot be opened again (it
    ///   was removed or made unreadable meanwhile): its duplicates could not be decided.
    private mutating func findDuplicates(_ keys: [(hash: Int, row: RowID)]) throws(ValidationFailure) {
        let order = keys.indices.sorted { (keys[$0].hash, $0) < (keys[$1].hash, $1) }
        var candidates: Set<RowID> = []
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && keys[order[end]].hash == keys[order[start]].hash { end += 1 }
            if end - start > 1 { for position in start..<end { candidates.insert(keys[order[position]].row) } }
            start = end
        }
        guard !candidates.isEmpty else { return }
        // The candidates' addresses, read again, in list order.
        var rows: [(row: RowID, recipient: Recipient)] = []
        for (index, source) in sources.enumerated() {
            let reader = try source.open()
            while let row = reader.next() {
                if case .recipient(let recipient) = row, candidates.contains(RowID(index, recipient.line)) {
                    rows.append((RowID(index, recipient.line), recipient))
                }
            }
        }
        var first: [String: Recipient] = [:]
        var count: [String: Int] = [:]
        for (id, recipient) in rows {
            let key = recipient.address.normalized
            count[key, default: 0] += 1
            guard let earlier = first[key] else {
                first[key] = recipient
                continue
            }
            if campaign.allowDuplicates {
                ordinals[id] = count[key]!
            } else {
                skipped.insert(id)
                warnings.append(
                    Diagnostic(
                        .badData, file: recipient.file, line: recipient.line, field: RecipientList.emailColumn,
                        "\(recipient.address) is already listed at \(earlier.file):\(earlier.line); it will get one letter (allow_duplicates = true in the campaign file sends one per row)"
                    ))
            }
        }
    }

    /// Walks the recipients in list order, reading the lists again, until `body` returns false.
    ///
    /// - Throws: `ListChanged` at the first row that differs from the one checked (or when a
    ///   list ends early or cannot be read); the rows before it were walked.
    public func forEachRecipient(_ body: (Recipient) -> Bool) throws(ListChanged) {
        var cursor = RecipientCursor(self)
        while let recipient = try cursor.next() {
            if !body(recipient) { return }
        }
    }

    /// Every recipient, read into memory: for tests and small tools; the pipeline streams.
    public var recipients: [Recipient] {
        get throws(ListChanged) {
            var all: [Recipient] = []
            all.reserveCapacity(recipientCount)
            try forEachRecipient {
                all.append($0); return true
            }
            return all
        }
    }

    /// Checks that a list has every address column the campaign names; returns the problems
    /// and the columns present, whose values `checkAddressValues` then checks row by row.
    static func checkAddressColumns(_ campaign: Campaign, columns: [String], file: String) -> (problems: [Diagnostic], present: [String]) {
        var problems: [Diagnostic] = []
        var present: [String] = []
        for column in campaign.addressColumns {
            if columns.contains(column) { present.append(column); continue }
            problems.append(
                Diagnostic(
                    .badData, file: file, line: 1, field: column,
                    "the campaign names \(column) in address_columns, but this list has no such column"))
        }
        return (problems, present)
    }

    /// Checks a row's address columns: each value must be one plain address (or empty), so a
    /// field can only supply an address where the campaign says so.
    static func checkAddressValues(_ columns: [String], _ recipient: Recipient) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        for column in columns {
            let value = (recipient.fields[column] ?? "").trimmingSpaces
            if value.isEmpty { continue }
            do { _ = try EmailAddress(parsing: value) } catch {
                problems.append(
                    Diagnostic(
                        .badData, file: recipient.file, line: recipient.line, field: column,
                        "\"\(value.debugVisible)\" \(error); an address column holds one plain address (a@b.example) or nothing"))
            }
        }
        return problems
    }

    /// Renders and composes one recipient's message, signed when the campaign has `[dkim]`:
    /// the bytes `preview` writes and `send` hands to the server, so a preview shows exactly
    /// what is sent (its `Date`, and so the signature's `t=` and `b=`, aside).
    ///
    /// This is Herald's one signing seam: whatever `MessageComposer` produces (plain, Markdown
    /// with its HTML alternative, with attachments) is signed here, after composition, as a whole.
    ///
    /// The envelope is exactly the addresses of the rendered `To`, `Cc` and `Bcc`, the
    /// row's own address first; the `To` must name the row's address, so the log's key is
    /// always a recipient the letter went to.
    ///
    /// Attached files are read here (``AttachmentStore``); with `readingAttachments` false (the
    /// check before sending) they are only checked to be readable regular files, and the
    /// message is composed without them.
    ///
    /// - Parameter date: the `Date` header, and the DKIM signature's time (`t=`).
    public func compose(_ recipient: Recipient, date: Date, occurrence: String? = nil) throws(ValidationFailure) -> ComposedMessage {
        try sign(composeUnsigned(recipient, date: date, occurrence: occurrence, readingAttachments: true), for: recipient, date: date)
    }

    /// The message with its DKIM-Signature field first, or as it is when the campaign signs nothing.
    func sign(_ message: ComposedMessage, for recipient: Recipient, date: Date) throws(ValidationFailure) -> ComposedMessage {
        guard let signer else { return message }
        var message = message
        do {
            let unsigned = message.data.count
            message.data = try signer.sign(message.data, time: date)
            let fieldLength = message.data.count - unsigned
            message.signatureRange = 0..<fieldLength
            message.dateRange = message.dateRange.map { ($0.lowerBound + fieldLength)..<($0.upperBound + fieldLength) }
        } catch {
            throw ValidationFailure([Diagnostic(.badConfig, file: campaign.file, field: "dkim", "\(error); the letter to \(recipient.key) was not sent")])
        }
        return message
    }

    /// The language a recipient's row asks for (its `language` column, trimmed, lowercased), if any.
    func requestedLanguage(_ recipient: Recipient) -> String? {
        guard let value = recipient.fields[Campaign.languageColumn]?.trimmingSpaces, !value.isEmpty else { return nil }
        return value.lowercased()
    }

    /// The template of a recipient's letter: its language's, else the default.
    public func template(for recipient: Recipient) -> LetterTemplate {
        guard !languageTemplates.isEmpty, let language = requestedLanguage(recipient) else { return template }
        return languageTemplates[language] ?? template
    }

    /// The message as composed, before any signature; see ``compose(_:date:occurrence:)``.
    /// Without `withBody`, the header lines only (the check before sending).
    func composeUnsigned(
        _ recipient: Recipient, date: Date, occurrence: String? = nil,
        readingAttachments: Bool, withBody: Bool = true
    ) throws(ValidationFailure) -> ComposedMessage {
        let template = template(for: recipient)
        let letter = template.render(recipient, addressColumns: campaign.addressColumns, withBody: withBody)
        let attachments = try attachments(of: letter, template: template, recipient: recipient, reading: readingAttachments)
        var message: ComposedMessage
        do {
            message = try MessageComposer.compose(
                letter, campaign: campaign.name, recipientKey: recipient.key, date: date,
                occurrence: occurrence, attachments: attachments, messageIDKey: messageIDKey)
        } catch {
            let headerLinesWithFields = Set(template.fieldUses.filter(\.inHeader).map(\.line))
            throw ValidationFailure(
                error.problems.map { problem in
                    if headerLinesWithFields.contains(problem.templateLine) && !problem.templateLevel {
                        return Diagnostic(
                            .badData, file: recipient.file, line: recipient.line, field: problem.field,
                            "\(problem.message) (rendered from \(template.file):\(problem.templateLine))")
                    }
                    return Diagnostic(.badData, file: template.file, line: problem.templateLine, field: problem.field, problem.message)
                })
        }
        let own = recipient.address.normalized
        let to = letter.headers.first { $0.name.lowercased() == "to" }
        guard let to, let mailboxes = to.mailboxes, mailboxes.contains(where: { $0.address.normalized == own }) else {
            throw ValidationFailure([
                Diagnostic(
                    .badData, file: template.file, line: to?.line, field: "To",
                    "does not name the recipient's own address; write {{\(RecipientList.emailColumn)}} in To (e.g. To: {{name}} <{{\(RecipientList.emailColumn)}}>), so that the letter goes to, and the log records, the row's address"
                )
            ])
        }
        if let index = message.envelopeRecipients.firstIndex(where: { $0.normalized == own }), index > 0 {
            message.envelopeRecipients.insert(message.envelopeRecipients.remove(at: index), at: 0)
        }
        if campaign.bounces?.verp == true, let verp = VERP.address(base: message.envelopeFrom.description, messageID: message.messageID),
            let address = try? EmailAddress(parsing: verp)
        {
            // `[bounces] verp`: bounces come back to `sender+TOKEN@domain`, the token naming the letter.
            // A sender whose local part leaves no room for the token (64 octets) keeps its own address.
            message.envelopeFrom = address
        }
        return message
    }
}

extension PreparedCampaign {
    /// A letter's attached files, each path resolved against the template's folder; every
    /// problem (a path a field would take elsewhere, by its text or by a symbolic link, a file
    /// missing, a folder, unreadable, attachments over the campaign's
    /// `[attachments] max_bytes_per_letter`) is a diagnostic on the recipient's row naming the
    /// resolved path, or on the template's line when no field takes part.
    ///
    /// Without `reading`, the files are only looked at (`stat`, `access`, `realpath`): their
    /// sizes as sent are computed, not measured by encoding them.
    func attachments(
        of letter: RenderedLetter, template: LetterTemplate, recipient: Recipient,
        reading: Bool
    ) throws(ValidationFailure) -> [AttachmentPart] {
        guard !letter.attachments.isEmpty else { return [] }
        let limit = campaign.maxAttachmentBytesPerLetter
        var problems: [Diagnostic] = []
        // Each file's size as sent, and whether a field chose it, for the limit below.
        var sizes: [(path: String, bytes: Int, encoded: Int, shared: Bool)] = []
        var resolved: [(path: String, folder: String?, request: RenderedLetter.AttachmentRequest)] = []
        func problem(_ error: AttachmentStore.Unusable, _ request: RenderedLetter.AttachmentRequest) -> Diagnostic {
            if !request.usesFields {
                // The same file for every letter: said once, on the template's line.
                return Diagnostic(
                    .badData, file: template.file, line: request.line, field: "Attachment",
                    "\(error.visiblePath) \(error.reason); put the file there or fix the path")
            }
            return Diagnostic(
                .badData, file: recipient.file, line: recipient.line, field: "Attachment",
                "\(error.visiblePath) \(error.reason) (attached by \(template.file):\(request.line)); \(error.advice ?? "put the file there or fix the row")")
        }
        // Every file is looked at (stat) before any is read: a letter over the limit reads nothing.
        for request in letter.attachments {
            if let problem = request.problem {
                problems.append(
                    Diagnostic(
                        .badData, file: recipient.file, line: recipient.line, field: "Attachment",
                        "\(problem) (\(template.file):\(request.line))"))
                continue
            }
            let path = Campaign.resolvePath(request.path, against: template.file)
            let folder = request.folder.map { folder in
                let resolved = Campaign.resolvePath(folder.isEmpty ? "." : folder, against: template.file)
                return resolved.isEmpty ? "." : resolved
            }
            do {
                let size = try attachmentStore.check(path, within: folder)
                sizes.append((path, size, AttachmentStore.encodedSize(size), !request.usesFields))
                resolved.append((path, folder, request))
            } catch {
                problems.append(problem(error, request))
            }
        }
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        let total = sizes.reduce(0) { $0 + $1.encoded }
        if total > limit {
            let shared = sizes.filter { $0.shared }
            let sharedTotal = shared.reduce(0) { $0 + $1.encoded }
            // Files every letter carries that are too large alone: said once, on the template.
            let over = sharedTotal > limit ? shared : sizes
            let files = over.map { "\(VisibleText.of($0.path)) (\(Self.byteCount($0.bytes)), \(Self.byteCount($0.encoded)) as sent)" }.joined(separator: ", ")
            let message =
                "the attachments come to \(over.reduce(0) { $0 + $1.encoded }) bytes as sent (base64, 37% more than the files): \(files); a letter may carry at most \(limit) bytes of attachments ([attachments] max_bytes_per_letter in \(campaign.file), default \(Campaign.defaultMaxAttachmentBytesPerLetter), 10 MiB, a common relay limit). Make the files smaller, send a link instead, or raise the limit if the server takes larger letters (herald check shows its SIZE)"
            if sharedTotal > limit, let line = letter.attachments.first(where: { !$0.usesFields })?.line {
                throw ValidationFailure([Diagnostic(.badData, file: template.file, line: line, field: "Attachment", message)])
            }
            throw ValidationFailure([Diagnostic(.badData, file: recipient.file, line: recipient.line, field: "Attachment", message)])
        }
        guard reading else { return [] }
        // Read one by one, each within what the letter has left: files that grew since they were
        // looked at are refused having read at most the letter's limit in all, not the limit each.
        var parts: [AttachmentPart] = []
        var left = limit
        for item in resolved {
            do {
                let part = try attachmentStore.part(item.path, within: item.folder, maxEncodedBytes: left)
                left -= part.encoded.count
                parts.append(part)
            } catch {
                throw ValidationFailure([problem(error, item.request)])
            }
        }
        return parts
    }

    /// A size for people: `312.0 MiB`, `20.1 KiB`, `512 bytes`.
    static func byteCount(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) bytes" }
        let units = ["KiB", "MiB", "GiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}

extension PreparedCampaign.Source {
    /// A reader at the list's first row.
    func open() throws(ValidationFailure) -> RecipientReader {
        switch self {
        case .file(let path): return try RecipientReader(file: path)
        case .memory(let list): return RecipientReader(list: list)
        }
    }
}
