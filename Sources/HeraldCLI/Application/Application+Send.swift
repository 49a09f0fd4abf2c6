import Foundation
import HeraldCore
import HeraldStorage

extension Application {
    /// Options of `herald send` beyond the campaign file.
    public struct SendOptions: Sendable {
        public var smtpURL: String?
        public var logPath: String?
        public var resendInDoubt = false
        public var allowChanged = false
        /// Show the SMTP conversation on stderr, secrets redacted.
        public var verbose = false
        /// No line per letter and no progress line: the summary and problems only.
        public var quiet = false
        /// `--approve HASH`: the manifest hash a person approved; checked against the current
        /// inputs before anything is sent (required by `require_approval = true`).
        public var approve: String?
        /// `--preview DIR`: the reviewed preview folder, to name what changed when the hash differs.
        public var previewFolder: String?
        /// `--accept-broken-chain`: send although the log's hash chain is broken (see `checkChain`).
        public var acceptBrokenChain = false
        /// `--new-log`: start a new delivery log on purpose although the campaign was last sent
        /// to another log that records letters (see `checkLogContinuity`).
        public var newLog = false

        public init(smtpURL: String? = nil, logPath: String? = nil, resendInDoubt: Bool = false, allowChanged: Bool = false) {
            self.smtpURL = smtpURL
            self.logPath = logPath
            self.resendInDoubt = resendInDoubt
            self.allowChanged = allowChanged
        }
    }

    /// Puts `--smtp-url` in place of the campaign's server (`send` and `check`); a malformed
    /// URL, or one the campaign's TLS settings refuse, is a usage error (64).
    func overrideServer(of prepared: inout PreparedCampaign, with text: String?) throws(CommandFailure) {
        guard let text else { return }
        do throws(SMTPURL.Malformed) { prepared.campaign.smtp.url = try SMTPURL(parsing: text) } catch {
            throw CommandFailure(.usage, "--smtp-url: \(error)")
        }
        if let problem = prepared.campaign.smtp.tlsProblem {
            throw CommandFailure(.usage, "--smtp-url: \(problem)")
        }
    }

    /// `herald send`: deliver every letter not yet sent, logging each outcome.
    ///
    /// Cancelling the calling task stops the run gracefully (exit 75), see `CampaignDispatcher.run`.
    public func send(campaign path: String, options: SendOptions) async -> ExitStatus {
        await runAwaiting { () async throws(CommandFailure) -> ExitStatus in
            var prepared = try load(path)
            try overrideServer(of: &prepared, with: options.smtpURL)
            if let log = options.logPath {
                try checkLogOverride(log, campaignLog: prepared.campaign.logPath, newLog: options.newLog)
                prepared.campaign.logPath = log
            }
            prepared = try keyed(prepared)
            let approved = try requireApproval(prepared, approve: options.approve, previewFolder: options.previewFolder, campaignPath: path)
            return try await sendPipeline(prepared, options: options, occurrence: nil, approved: approved)
        }
    }

    /// Refuses a `--log` that would make a typo into a full resend: a log in a folder that does
    /// not exist, or a new or empty log (an empty file records no letter: a refused run or a
    /// `resolve --log` typo may have left it) while the campaign's own log already records
    /// letters (unless `newLog`).
    func checkLogOverride(_ log: String, campaignLog: String, newLog: Bool = false) throws(CommandFailure) {
        let manager = FileManager.default
        let folder = (log as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        if !folder.isEmpty && !(manager.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) {
            throw CommandFailure(
                .usage,
                "--log: the folder \(folder) does not exist; check the path (Herald creates the campaign's own log folder, not one named on the command line)")
        }
        // A stat, not a read: the campaign's log may be large, and only whether it holds
        // anything matters (the lock leaves an empty log behind a refused run).
        func size(_ path: String) -> Int? { (try? manager.attributesOfItem(atPath: path))?[.size] as? Int }
        let given = size(log)
        guard !newLog, given == nil || FileJournal.holdsNoRecord(log), size(campaignLog) != nil, !FileJournal.holdsNoRecord(campaignLog),
            FileJournal.besideLog(log, suffix: "") != FileJournal.besideLog(campaignLog, suffix: "")
        else { return }
        let state = given == nil ? "does not exist" : "records no letter"
        throw CommandFailure(
            .usage,
            "--log: \(log) \(state), but the campaign's log \(campaignLog) already records letters: a new log would send every one of them again. Give --log that log (or move it to the new place first); to start a new log on purpose, add --new-log"
        )
    }

    /// Refuses a delivery log that would make an edit of `log =` (or a `--log` once given) into
    /// a full resend: the log to be written records nothing, while the log this campaign was
    /// last sent to (remembered beside the campaign's lock) exists and records letters.
    ///
    /// Why: the log is what makes a send exactly-once, and an approval covers the letters, not
    /// the log, so nothing else stops every letter going again. Otherwise the log is
    /// remembered as this campaign's. A stat, not a read: only whether a log holds anything
    /// matters (the lock leaves an empty log behind a refused run).
    /// - Throws: 64 naming both logs, unless `newLog` (`--new-log`).
    func checkLogContinuity(_ campaign: Campaign, holding lease: any JournalLease, newLog: Bool) throws(CommandFailure) {
        // The file journal's: a journal that is not a log file has no other log to be confused with.
        guard let lock = (lease as? FileJournal.Lease)?.campaignLock else { return }
        let current = Self.realLogPath(campaign.logPath)
        if !newLog, let last = lock.rememberedLog(), last != current, FileJournal.holdsNoRecord(current), !FileJournal.holdsNoRecord(last) {
            throw CommandFailure(
                .usage,
                [
                    "\(campaign.file): the delivery log \(campaign.logPath) records nothing, but this campaign was last sent to \(last), which records letters: a new log would send every one of them again, and nothing was sent",
                    "\(campaign.name): put log = back to \(last) (or give --log \(last)), or move that log to the new place first; to start a new log on purpose, move the old one away or rerun herald send with --new-log",
                ])
        }
        lock.remember(log: current)
    }

    /// A log's path as the campaign's lock remembers it: real and absolute, whatever the working folder.
    static func realLogPath(_ path: String) -> String {
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        return ReviewManifest.absolutePath(path)
    }

    /// The send pipeline as a command of its own: each daemon firing runs it.
    ///
    /// - Parameter occurrence: the scheduled firing a recurring campaign is sent for, part
    ///   of the log's key; nil for a campaign sent as a whole.
    /// - Parameter approved: the approval in force (the daemon's recorded one), each letter checked against it as it is handed over.
    /// Cancelling the calling task stops the firing gracefully (exit 75).
    func dispatch(_ prepared: PreparedCampaign, options: SendOptions, occurrence: String?, approved: ApprovedLetters? = nil) async -> ExitStatus {
        await runAwaiting { () async throws(CommandFailure) -> ExitStatus in
            try await sendPipeline(prepared, options: options, occurrence: occurrence, approved: approved)
        }
    }

    /// The send pipeline shared by `herald send` and the daemon: lock, log, edit check,
    /// transport, dispatch, exit status.
    private func sendPipeline(
        _ prepared: PreparedCampaign, options: SendOptions, occurrence: String?,
        approved: ApprovedLetters?
    ) async throws(CommandFailure) -> ExitStatus {
        let campaign = prepared.campaign
        if let warning = campaign.smtp.plaintextWarning { parts.errors(warning) }

        // Before the lock creates an empty log and the read rewrites the index: a log emptied or
        // gone whose LOG.chain or LOG.index recorded letters is refused, not sent again whole.
        if !options.acceptBrokenChain, let lost = FileJournal.lostRecords(ofEmptyLog: campaign.logPath) {
            throw CommandFailure(.dataError, ["\(lost)", "\(campaign.name): nothing was sent: letters the log no longer records would go again"])
        }
        let locked = try lockAndReadLog(campaign.logPath, campaign: campaign, occurrence: occurrence, capacity: prepared.recipientCount)
        defer { withExtendedLifetime(locked) {} }
        let journal = locked.journal, ledger = locked.ledger
        try checkLogContinuity(campaign, holding: locked.lease, newLog: options.newLog)
        try checkChain(of: journal, campaign: campaign.name, holding: locked.lease, accepting: options.acceptBrokenChain)
        // Runs before the locks are let go (defers run last first).
        defer { keepChainCheckpoint(holding: locked.lease, journal: journal) }
        let changes = EditCheck.changes(in: prepared, ledger: ledger)
        if !changes.isEmpty {
            guard options.allowChanged else {
                throw CommandFailure(
                    .dataError,
                    changes.map(\.description) + [
                        "\(campaign.name): the campaign changed while half-sent; nothing was sent. Restore the earlier version, or rerun with --allow-changed to send the rest as they are now"
                    ])
            }
            for change in changes { parts.errors("warning: " + change.description) }
        }

        var endpoint = try SecretSource.endpoint(for: campaign, environment: parts.environment)
        endpoint.maxMessagesPerConnection = campaign.limits.maxMessagesPerConnection
        if options.verbose {
            // The trace sink must be @Sendable, and libcurl calls it on a connection's thread: stderr, one line at a time.
            endpoint.trace = { StandardStreams.error("smtp: " + TerminalText.visible($0)) }
        }
        // One transport per connection, all made before the first letter: a setup problem stops
        // the run before anything is claimed.
        var transports: [MailTransport] = []
        do throws(TransportSetupError) {
            for _ in 0..<campaign.limits.concurrency { transports.append(try parts.makeTransport(endpoint)) }
        } catch {
            throw CommandFailure(error, campaign: campaign)
        }
        let dispatcher = CampaignDispatcher(
            prepared: prepared, ledger: ledger, transports: transports,
            journal: journal, clock: parts.clock, occurrence: occurrence)
        dispatcher.approved = approved
        // The suppression list (`[bounces] suppress`): addresses with a permanent bounce get no
        // letter; read once, under the campaign's lock, before anything is claimed.
        var suppressionPath: String?
        if campaign.bounces?.suppress == true {
            let file = parts.openSuppressionList(campaign.logPath)
            do throws(SuppressionStoreFailure) {
                dispatcher.suppressed = Set(try file.read().entries.map(\.address))
                suppressionPath = file.location
            } catch {
                throw CommandFailure(
                    .ioError,
                    ["\(error)", "\(campaign.name): the suppression list cannot be read, so nothing was sent (a letter to a suppressed address must not go)"])
            }
        }
        // On a terminal one progress line, rewritten; redirected, one line per letter, for scripts.
        var progress: ProgressLine?
        if !options.quiet, let draw = parts.progress {
            // From counts already at hand, not another read of the lists: exact unless the log
            // holds finished letters of rows since removed from the lists.
            let done = ledger.entries.values.count { $0.isDone }
            progress = ProgressLine(total: max(0, prepared.recipientCount - done), draw: draw)
        }
        let report: CampaignDispatcher.Report
        do {
            defer { if progress != nil { parts.progress?("") } }
            // Called by the run's one writer (this task), one record at a time, in log order.
            report = try await dispatcher.run(resendInDoubt: options.resendInDoubt) { [parts] record in
                if let progress { return progress.count(record) }
                guard !options.quiet, record.status != .sending else { return }
                var detail = record.smtpReply ?? record.error ?? ""
                for refusal in record.refused ?? [] { detail += "; refused \(refusal.recipient): \(refusal.reply)" }
                detail = TerminalText.visible(detail)
                // The status padded to 9 columns (not through NSString: this runs for every letter, on the run's writer).
                let status = record.status.rawValue
                parts.output(status + String(repeating: " ", count: max(0, 9 - status.count)) + "\(record.recipient)  \(detail)")
            }
        } catch let stopped as CampaignDispatcher.JournalFailure where stopped.underlying is ValidationFailure {
            // A letter that composed when checked no longer does: an attached file went away.
            throw CommandFailure(
                .dataError,
                [
                    "\(stopped.underlying)",
                    "stopped: this letter no longer composes as it did when the campaign was checked (an attached file removed?); the letters before it were sent and logged, nothing from it on",
                ])
        } catch {
            throw CommandFailure(.ioError, ["\(error)", "stopped: the delivery log cannot be written, so nothing more is sent"])
        }
        for key in report.suppressed {
            parts.errors(
                "suppressed: \(key): a permanent bounce put it on \(suppressionPath ?? "the suppression list"); no letter sent (`herald suppressed remove` to write to it again)"
            )
        }
        return try finish(report, campaign: campaign, occurrence: occurrence)
    }

    /// Prints what a run left to do and picks the exit status.
    ///
    /// - Throws: when the run stopped before the end: 69 (server unavailable, TLS failed,
    ///   sender refused), 77 (login refused), 75 (a stop was requested).
    private func finish(_ report: CampaignDispatcher.Report, campaign: Campaign, occurrence: String?) throws(CommandFailure) -> ExitStatus {
        for doubt in report.inDoubt {
            let why = doubt.reason.map { " (\(TerminalText.visible($0)))" } ?? ""
            parts.errors(
                "in doubt: \(doubt.recipient) \(doubt.messageID)\(why): the server may have accepted it; check, then `herald send --resend-in-doubt` or record the answer"
            )
        }
        let label = occurrence.map { "\(campaign.name) @ \($0)" } ?? campaign.name
        parts.output(
            "\(label): \(report.sent) sent, \(report.failed) failed, \(report.deferred) deferred, \(report.inDoubt.count) in doubt, \(report.alreadyDone) already done"
                + (report.suppressed.isEmpty ? "" : ", \(report.suppressed.count) suppressed"))
        switch report.stop {
        case .unavailable(let error)?:
            throw CommandFailure(.unavailable, "\(campaign.smtp.url): server unavailable: \(TerminalText.visible("\(error)")); nothing is lost, rerun later")
        case .tlsFailed(let error)?:
            throw CommandFailure(.unavailable, "\(campaign.smtp.url.host): TLS failed: \(TerminalText.visible("\(error)")); nothing was sent")
        case .senderRefused(let reply)?:
            throw CommandFailure(
                .unavailable,
                "\(campaign.smtp.url): the server refused the sender: \(TerminalText.visible(reply)); no recipient was marked failed, nothing is lost. Check what the reply names: the From address, this machine (the client), or the EHLO name (the URL's path: smtp://host:port/mail.example.org), then rerun"
            )
        case .authenticationFailed(let reply)?:
            throw CommandFailure(.noPermission, "\(campaign.smtp.url): the server refused the login: \(TerminalText.visible(reply))")
        case .interrupted?:
            throw CommandFailure(.tempFail, "stopped on request; rerun `herald send` to continue")
        case .listChanged(let problem)?:
            throw CommandFailure(.dataError, problem)
        case .notApproved(let problem)?:
            lastRunRefusedAtHandover = true
            throw CommandFailure(.noPermission, problem.split(separator: "\n").map(String.init))
        case nil:
            break
        }
        for partial in report.partlyRefused {
            for refusal in partial.refused {
                parts.errors(
                    "refused: \(refusal.recipient) (on the letter to \(partial.recipient)): \(TerminalText.visible(refusal.reply)); the letter went to the others"
                )
            }
        }
        if !report.inDoubt.isEmpty || report.deferred > 0 { return .tempFail }
        if report.failed > 0 || !report.partlyRefused.isEmpty { return .someFailed }
        return .ok
    }
}
