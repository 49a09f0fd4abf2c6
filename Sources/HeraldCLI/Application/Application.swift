import Foundation
import HeraldCore
import HeraldStorage

/// Herald's commands as functions from arguments to an exit status, over injected parts.
///
/// Each command loads and checks the whole campaign first; any diagnostic ends it
/// before a file is written or a connection opened. The helpers a command calls throw a
/// `CommandFailure` (its lines and exit status) where they find a problem; `run`, at the top
/// of each command, prints it and returns its status.
public final class Application {
    let parts: ApplicationParts
    /// `--allow-duplicates` was given: accepted only when the campaign file says
    /// `allow_duplicates = true`, since the setting changes the log's keys.
    public var allowDuplicates = false
    /// What the last read of a delivery log cost and how it went (index or scan), for the
    /// daemon's record of each firing.
    private(set) var lastLogRead: JournalRead?
    /// True when the last send run stopped at a letter that was not the approved one (exit 77
    /// at handover): the daemon then waits for a new approval, as for a firing refused before sending.
    var lastRunRefusedAtHandover = false

    init(parts: ApplicationParts) {
        self.parts = parts
    }

    /// Runs one command: the one place where a `CommandFailure` becomes its lines on stderr
    /// and its exit status.
    func run(_ command: () throws(CommandFailure) -> ExitStatus) -> ExitStatus {
        do { return try command() } catch { return report(error) }
    }

    /// `run` for a command that awaits (a send); named apart so a trailing closure is never ambiguous.
    func runAwaiting(_ command: () async throws(CommandFailure) -> ExitStatus) async -> ExitStatus {
        do { return try await command() } catch { return report(error) }
    }

    /// Prints a failure's lines and returns its status; used by `run`, and by `validate`,
    /// which reports every problem it finds before it decides.
    @discardableResult
    func report(_ failure: CommandFailure) -> ExitStatus {
        for message in failure.messages { parts.errors(message) }
        return failure.exitStatus
    }

    /// Loads and checks a campaign, printing its warnings.
    ///
    /// - Throws: every diagnostic and a count (78, 66 or 65 by the worst); 64 for
    ///   `--allow-duplicates` without `allow_duplicates = true` in the file.
    func load(_ campaignPath: String) throws(CommandFailure) -> PreparedCampaign {
        let prepared: PreparedCampaign
        do throws(ValidationFailure) { prepared = try PreparedCampaign.load(campaignFile: campaignPath, date: parts.clock.now()) } catch {
            let count = error.diagnostics.count
            var failure = CommandFailure(error)
            failure.messages.append("\(campaignPath): \(count) problem\(count == 1 ? "" : "s") found; nothing was sent")
            throw failure
        }
        if allowDuplicates && !prepared.campaign.allowDuplicates {
            throw CommandFailure(
                .usage,
                "--allow-duplicates: \(campaignPath) does not say allow_duplicates = true; add it to the campaign file (it changes the delivery log's keys, so every command and the daemon must agree), then the flag is not needed"
            )
        }
        for warning in prepared.warnings { parts.errors("warning: " + TerminalText.visible(warning.description)) }
        return prepared
    }

    /// Loads a campaign for a command that only reads or annotates its log (`status`, `resolve`).
    ///
    /// Reading the log must not need the letters' inputs: when the template, a list, an
    /// attachment or the DKIM key is missing or does not check, the campaign file alone is
    /// used (its name and log), each problem printed as a warning, and `prepared` is nil.
    /// A campaign file that cannot be read or parsed fails as in `load`.
    func loadForLog(_ campaignPath: String) throws(CommandFailure) -> (campaign: Campaign, prepared: PreparedCampaign?) {
        let failure: ValidationFailure
        switch Result(catching: { () throws(ValidationFailure) -> PreparedCampaign in
            try PreparedCampaign.load(campaignFile: campaignPath, date: parts.clock.now())
        }) {
        case .success(let prepared):
            try checkAllowDuplicates(prepared.campaign, campaignPath)
            for warning in prepared.warnings { parts.errors("warning: \(warning)") }
            return (prepared.campaign, prepared)
        case .failure(let error):
            failure = error
        }
        guard let campaign = Self.campaignFileAlone(campaignPath) else {
            // The campaign file itself does not load: the same failure as every other command.
            return (try load(campaignPath).campaign, nil)
        }
        try checkAllowDuplicates(campaign, campaignPath)
        for diagnostic in failure.diagnostics { parts.errors("warning: \(diagnostic)") }
        parts.errors(
            "warning: \(campaignPath): the letters' inputs named above are missing or do not check; the delivery log is read without them (restore them before sending again)"
        )
        return (campaign, nil)
    }

    /// The campaign file parsed on its own, nil when it cannot be read or parsed.
    private static func campaignFileAlone(_ campaignPath: String) -> Campaign? {
        do throws(ValidationFailure) {
            let text = try InputFile.readText(
                campaignPath, missing: Diagnostic(.missingInput, file: campaignPath, "campaign file not found"),
                kind: .badConfig)
            return try Campaign.parse(text, file: campaignPath)
        } catch {
            return nil
        }
    }

    /// `--allow-duplicates` is accepted only with `allow_duplicates = true` in the file (64).
    private func checkAllowDuplicates(_ campaign: Campaign, _ campaignPath: String) throws(CommandFailure) {
        if allowDuplicates && !campaign.allowDuplicates {
            throw CommandFailure(
                .usage,
                "--allow-duplicates: \(campaignPath) does not say allow_duplicates = true; add it to the campaign file (it changes the delivery log's keys, so every command and the daemon must agree), then the flag is not needed"
            )
        }
    }

    /// Reads one occurrence of the campaign from its delivery log into a ledger, printing a
    /// torn-line warning; what the read cost is kept in `lastLogRead`.
    ///
    /// Only that occurrence's records are read when the journal can (the file journal's
    /// index), so a recurring campaign's history does not slow its next firing.
    /// - Parameters:
    ///   - occurrence: the occurrence (nil: the campaign sent as a whole).
    ///   - lease: the campaign's lease, when held: the journal then keeps its caches.
    ///   - keeping: what the ledger keeps of each recipient: `.decisions` (the default: what
    ///     `send`, `validate` and the checks decide on, a few bytes a letter), `.table` (a done
    ///     letter's time and reply too: `status`'s table) or `.everything` (`resolve`).
    /// - Throws: 74 when it cannot be read, 65 when it is damaged or holds a record of another
    ///   campaign (one log belongs to one campaign).
    ///   - capacity: the recipients expected (the list's length), when known: the ledger makes
    ///     room for them at once.
    func readLog(
        _ journal: any DeliveryJournal, campaign: Campaign, occurrence: String?,
        holding lease: (any JournalLease)? = nil, keeping: DeliveryLedger.Keeping = .decisions,
        capacity: Int = 0
    ) throws(CommandFailure) -> DeliveryLedger {
        try refuseSpecialLog(journal.location)
        do throws(JournalError) {
            let (ledger, read) = try journal.readHistory(
                campaign: campaign.name, campaignFile: campaign.file, occurrences: [occurrence],
                holding: lease,
                into: DeliveryLedger(
                    campaign: campaign.name, occurrence: occurrence,
                    keeping: keeping, capacity: capacity)
            ) {
                $0.apply($1)
            }
            note(read)
            return ledger
        } catch {
            throw CommandFailure(error)
        }
    }

    /// The journal's blocking append side (`BounceRun.Log`: the file and memory journals give
    /// it), through which a command's one short write goes on its own thread (a bounce pass,
    /// a resolve) rather than through the async pipeline seam.
    /// - Throws: 78 for a journal that has none, naming `what` could not be written.
    func blockingLog(of journal: any DeliveryJournal, for what: String) throws(CommandFailure) -> any BounceRun.Log {
        guard let log = journal as? any BounceRun.Log else {
            throw CommandFailure(.config, "\(journal.location): this journal cannot take \(what)")
        }
        return log
    }

    /// Prints a read's warning and keeps what it cost in `lastLogRead`.
    private func note(_ read: JournalRead) {
        if let warning = read.warning { parts.errors("warning: \(warning)") }
        lastLogRead = read
    }

    /// A campaign's log, locked for this process, and one occurrence of it read.
    struct LockedLog {
        /// The campaign's hold on its journal (with the file journal: the campaign's own lock,
        /// whatever the log, and the log's), held for as long as the caller writes to the log.
        var lease: any JournalLease
        var journal: any DeliveryJournal
        var ledger: DeliveryLedger
    }

    /// Takes the campaign's lease on its journal (`DeliveryJournal.openLedger`: the campaign's
    /// own lock, then its log's) and reads one occurrence of its log (see `readLog`).
    ///
    /// - Throws: 75 when another process holds any lock (a second sender of the campaign,
    ///   whatever `--log` it was given, or of a campaign of the same name as this user), 74 when
    ///   the campaign file, the log or the runtime folder cannot be used to lock it, and
    ///   whatever `readLog` throws.
    func lockAndReadLog(
        _ logPath: String, campaign: Campaign, occurrence: String?, keeping: DeliveryLedger.Keeping = .decisions,
        capacity: Int = 0
    ) throws(CommandFailure) -> LockedLog {
        try refuseSpecialLog(logPath)
        let journal = parts.openJournal(logPath)
        do throws(JournalError) {
            let opened = try journal.openLedger(
                campaign: campaign.name, campaignFile: campaign.file, occurrence: occurrence,
                environment: parts.environment, keeping: keeping, capacity: capacity)
            note(opened.read)
            return LockedLog(lease: opened.lease, journal: journal, ledger: opened.ledger)
        } catch {
            throw CommandFailure(error)
        }
    }

    /// `herald validate`: check everything `send` checks before it connects, send nothing.
    ///
    /// Beyond the campaign, template and lists: the delivery log, edits made while half-sent,
    /// and the SMTP password's source (the variable is set, the file is private), so a campaign
    /// `validate` calls ok does not fail `send` with 65 or 78. The password itself is never printed.
    /// Every problem is reported; the exit status is the first one's.
    public func validate(campaign path: String) -> ExitStatus {
        run { () throws(CommandFailure) -> ExitStatus in
            let prepared = try load(path)
            let campaign = prepared.campaign
            if let warning = campaign.smtp.plaintextWarning { parts.errors(warning) }
            var worst = ExitStatus.ok
            func note(_ failure: CommandFailure) {
                let status = report(failure)
                if worst == .ok { worst = status }
            }
            do throws(CommandFailure) { _ = try SecretSource.endpoint(for: campaign, environment: parts.environment) } catch { note(error) }
            do throws(CommandFailure) {
                let ledger = try readLog(parts.openJournal(campaign.logPath), campaign: campaign, occurrence: nil)
                do throws(CommandFailure) {
                    try checkChain(of: parts.openJournal(campaign.logPath), campaign: campaign.name, holding: nil, accepting: false)
                } catch {
                    note(error)
                }
                let changes = EditCheck.changes(in: prepared, ledger: ledger)
                if !changes.isEmpty {
                    note(
                        CommandFailure(
                            .dataError,
                            changes.map(\.description) + [
                                "\(campaign.name): the campaign changed while half-sent, so `herald send` would refuse it. Restore the earlier version, or send the rest as they are now with `herald send --allow-changed`"
                            ]))
                }
            } catch {
                note(error)
            }
            guard worst == .ok else { return worst }
            let lists = campaign.recipientPaths.count
            parts.output(
                "\(path): ok: campaign \(prepared.campaign.name), \(prepared.recipientCount) recipients from \(lists) list\(lists == 1 ? "" : "s"), template \(prepared.campaign.templatePath)"
            )
            return .ok
        }
    }

    /// `herald preview`: write every message as it would be sent, the review page and the
    /// manifest; no network.
    ///
    /// The folder must be new, empty, or hold only an earlier preview of this campaign (whose
    /// files are replaced); anything else is refused with 64 before a file is touched. Beside
    /// the `.eml` files: `manifest.json` (``ReviewManifest``) and `index.html` (``ReviewPage``),
    /// both written as the letters come; the manifest hash is printed last.
    public func preview(campaign path: String, outDirectory: String?) -> ExitStatus {
        run { () throws(CommandFailure) -> ExitStatus in
            let prepared = try keyed(load(path))
            let folder = outDirectory ?? "preview/\(prepared.campaign.name)"
            do {
                let inputs = try ReviewManifest.inputs(of: prepared.campaign)
                let target = try PreviewWriter.inspect(folder, campaign: prepared.campaign.name)
                let session = try PreviewWriter.Session(target, campaign: prepared.campaign.name)
                let manifest = ReviewManifest.Builder(campaign: prepared.campaign.name, inputs: inputs)
                let attachments = ReviewManifest.AttachmentInputs()
                let manifestFile = try session.create("manifest.json")
                try manifestFile.write(ReviewManifest.jsonOpening(campaign: prepared.campaign.name, inputs: inputs))
                let page = try ReviewPage(session: session, prepared: prepared)
                // The table lists every letter of a campaign a person can read through; past
                // that, the files are the listing, and memory stays flat however long the list.
                let tableLimit = 1_000
                var rows: [[String]] = []
                var written = 0
                var composeFailure: ValidationFailure?
                var unreadable: ReviewManifest.Unreadable?
                var writeFailure: (any Error)?
                let width = String(prepared.recipientCount).count
                let progress = parts.progress.map { ProgressLine(total: prepared.recipientCount, verb: "writing", draw: $0) }
                try prepared.forEachRecipient { recipient in
                    do {
                        let message = try prepared.compose(recipient, date: parts.clock.now())
                        written += 1
                        let number = String(written)
                        let name = String(repeating: "0", count: width - number.count) + number + "-\(PreviewWriter.safeName(recipient.key)).eml"
                        try session.add(.init(name: name, bytes: message.data))
                        try attachments.note(prepared.attachmentPaths(of: recipient))
                        let letter = manifest.add(key: recipient.key, message: message, file: name)
                        try manifestFile.write(ReviewManifest.jsonLetter(letter, first: written == 1))
                        try page.add(index: written, recipient: recipient, message: message, file: name)
                        if prepared.recipientCount <= tableLimit {
                            rows.append([TerminalText.visible(recipient.key), TerminalText.visible(message.subject), "\(message.data.count)"])
                        }
                        progress?.countOne()
                        return true
                    } catch let failure as ValidationFailure {
                        composeFailure = failure
                    } catch let failure as ReviewManifest.Unreadable {
                        unreadable = failure
                    } catch {
                        writeFailure = error
                    }
                    return false
                }
                if progress != nil { parts.progress?("") }
                if let composeFailure { throw composeFailure }
                if let unreadable { throw unreadable }
                if let writeFailure { throw writeFailure }
                let hash = manifest.finish()
                try manifestFile.write(ReviewManifest.jsonClosing(count: written, manifestSHA256: hash, attachments: attachments.inputs))
                try manifestFile.flush()
                try page.finish(
                    manifestHash: hash, inputs: inputs + attachments.inputs.prefix(200),
                    unlisted: max(0, attachments.inputs.count - 200))
                try session.finish()
                if rows.isEmpty {
                    parts.output("\(written) messages: too many to list here; each is a file in the folder")
                } else {
                    parts.output(TextTable.render(header: ["RECIPIENT", "SUBJECT", "SIZE"], rows: rows, rightAligned: [2]))
                }
                let shown = folder.hasSuffix("/") ? folder : folder + "/"
                parts.output("\(written) messages written to \(shown) (nothing was sent); review them in \(shown)index.html")
                parts.output("manifest hash: \(hash)")
                if prepared.campaign.requireApproval {
                    parts.output("this campaign requires approval: herald send \(path) --approve \(hash) (or herald approve \(path) \(hash) for the daemon)")
                }
                return .ok
            } catch let failure as ValidationFailure {
                throw CommandFailure(failure)
            } catch let changed as PreparedCampaign.ListChanged {
                throw CommandFailure(.dataError, changed.description)
            } catch let unreadable as ReviewManifest.Unreadable {
                throw CommandFailure(.noInput, unreadable.description)
            } catch let refusal as PreviewWriter.Refusal {
                throw CommandFailure(.usage, refusal.description)
            } catch let failure as PreviewWriter.IOFailure {
                throw CommandFailure(.ioError, failure.description)
            } catch {
                throw CommandFailure(.ioError, "\(folder): \(error)")
            }
        }
    }

    /// `herald status`: each recipient's state from the delivery log.
    ///
    /// Streamed: `--json` keeps only the counts (over a `.decisions` ledger), and the table is
    /// measured in one walk of the lists and printed, a chunk of rows at a time, in a second,
    /// so neither the rows nor the rendered table is ever held whole.
    ///
    /// - Parameter occurrence: one occurrence of a recurring campaign (as the daemon logs it);
    ///   nil for the campaign sent as a whole, as `herald send` sends it. Only that
    ///   occurrence's records are read.
    public func status(campaign path: String, logPath: String?, json: Bool, occurrence: Date? = nil) -> ExitStatus {
        run { () throws(CommandFailure) -> ExitStatus in
            let (campaign, prepared) = try loadForLog(path)
            let log = logPath ?? campaign.logPath
            let key = occurrence.map(RFC5322Date.rfc3339)
            // The counts need the states only, the table each letter's time and reply too;
            // without the inputs the log's own keys are the rows, which only `.everything` keeps.
            let keeping: DeliveryLedger.Keeping = prepared == nil ? .everything : json ? .decisions : .table
            let journal = parts.openJournal(log)
            let ledger = try readLog(
                journal, campaign: campaign, occurrence: key, keeping: keeping,
                capacity: prepared?.recipientCount ?? 0)
            let suppressed = suppressedAddresses(of: campaign, log: log)
            let summary: CampaignStatus
            var widths = TextTable.Widths(CampaignStatus.header)
            do throws(PreparedCampaign.ListChanged) {
                // The first walk counts, and for the table measures its columns; the second prints.
                let measure = { (row: CampaignStatus.Row) in if !json { widths.note(CampaignStatus.cells(row)) } }
                if let prepared {
                    summary = try CampaignStatus(
                        prepared: prepared, ledger: ledger, occurrence: key, suppressed: suppressed,
                        keepingRows: false, visit: measure)
                } else {
                    summary = CampaignStatus(campaign: campaign.name, ledger: ledger, occurrence: key, keepingRows: false, visit: measure)
                }
            } catch {
                throw CommandFailure(.dataError, error.description)
            }
            if json {
                parts.output(summary.json())
                return .ok
            }
            var chunk: [String] = [TextTable.line(CampaignStatus.header, widths: widths, rightAligned: CampaignStatus.rightAligned)]
            let printRow = { [parts] (row: CampaignStatus.Row) in
                chunk.append(TextTable.line(CampaignStatus.cells(row), widths: widths, rightAligned: CampaignStatus.rightAligned))
                if chunk.count >= 1_000 {
                    parts.output(chunk.joined(separator: "\n"))
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            do throws(PreparedCampaign.ListChanged) {
                if let prepared {
                    try CampaignStatus.forEachRow(prepared: prepared, ledger: ledger, suppressed: suppressed, printRow)
                } else {
                    CampaignStatus.forEachRow(ledger: ledger, printRow)
                }
            } catch {
                throw CommandFailure(.dataError, error.description)
            }
            if !chunk.isEmpty { parts.output(chunk.joined(separator: "\n")) }
            // The hash chain is checked over the whole log (one streamed read): see README "Proof of dispatch".
            if let chained = journal as? any LogFileJournal { parts.output(CampaignStatus.chainLine(try chainVerdict(chained), log: log)) }
            parts.output(summary.line())
            return .ok
        }
    }
}
