import Foundation
import HeraldCore
import HeraldSMTP

extension Application {
    /// Options of `herald send` beyond the campaign file.
    public struct SendOptions {
        public var smtpURL: String?
        public var logPath: String?
        public var resendInDoubt = false
        public var allowChanged = false
        /// Show the SMTP conversation on stderr, secrets redacted.
        public var verbose = false

        public init(smtpURL: String? = nil, logPath: String? = nil, resendInDoubt: Bool = false, allowChanged: Bool = false) {
            self.smtpURL = smtpURL
            self.logPath = logPath
            self.resendInDoubt = resendInDoubt
            self.allowChanged = allowChanged
        }
    }

    /// `herald send`: deliver every letter not yet sent, logging each outcome.
    public func send(campaign path: String, options: SendOptions) -> ExitStatus {
        let (loaded, status) = load(path)
        guard var prepared = loaded else { return status }
        if let url = options.smtpURL {
            prepared.campaign.smtp.url = url
            if let problem = prepared.campaign.smtp.tlsProblem {
                parts.errors("--smtp-url: \(problem)")
                return .usage
            }
        }
        if let log = options.logPath { prepared.campaign.logPath = log }
        return dispatch(prepared, options: options, occurrence: nil)
    }

    /// The send pipeline shared by `herald send` and the daemon: lock, log, edit check,
    /// transport, dispatch, exit status.
    ///
    /// - Parameter occurrence: the scheduled firing a recurring campaign is sent for, part
    ///   of the log's key; nil for a campaign sent as a whole.
    func dispatch(_ prepared: PreparedCampaign, options: SendOptions, occurrence: String?) -> ExitStatus {
        let campaign = prepared.campaign
        if let warning = campaign.smtp.plaintextWarning { parts.errors(warning) }

        let (locked, lockStatus) = lockAndReadLog(campaign.logPath, campaign: campaign)
        guard let locked else { return lockStatus }
        defer { withExtendedLifetime(locked.lock) {} }
        let journal = locked.journal, records = locked.records
        let ledger = DeliveryLedger(records: records, campaign: campaign.name, occurrence: occurrence)
        let changes = EditCheck.changes(in: prepared, records: records, occurrence: occurrence)
        if !changes.isEmpty {
            for change in changes { parts.errors((options.allowChanged ? "warning: " : "") + change.description) }
            if !options.allowChanged {
                parts.errors("\(campaign.name): the campaign changed while half-sent; nothing was sent. Restore the earlier version, or rerun with --allow-changed to send the rest as they are now")
                return .dataError
            }
        }

        var endpoint: SMTPEndpoint
        do { endpoint = try SecretSource.endpoint(for: campaign, environment: parts.environment) } catch {
            parts.errors(error.description)
            return error.status
        }
        if options.verbose {
            // The trace sink must be @Sendable; it is only called on this thread, by libcurl.
            nonisolated(unsafe) let sink = parts.errors
            endpoint.trace = { sink("smtp: " + $0) }
        }
        let transport: MailTransport
        do { transport = try parts.makeTransport(endpoint) } catch {
            if case CurlTransport.SetupError.mixedTLS = error {
                parts.errors("\(campaign.file): smtp.tls: \(error)")
                return .config
            }
            parts.errors("cannot set up the SMTP transport: \(error)")
            return .unavailable
        }
        let dispatcher = CampaignDispatcher(prepared: prepared, ledger: ledger, transport: transport,
                                            journal: journal, clock: parts.clock, pause: parts.pause, occurrence: occurrence)
        let report: CampaignDispatcher.Report
        do {
            report = try dispatcher.run(resendInDoubt: options.resendInDoubt, shouldStop: parts.shouldStop) { record in
                guard record.status != .sending else { return }
                var detail = record.smtpReply ?? record.error ?? ""
                for refusal in record.refused ?? [] { detail += "; refused \(refusal.recipient): \(refusal.reply)" }
                self.parts.output("\(record.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))\(record.recipient)  \(detail)")
            }
        } catch {
            parts.errors("\(error)")
            parts.errors("stopped: the delivery log cannot be written, so nothing more is sent")
            return .ioError
        }
        return finish(report, campaign: campaign, occurrence: occurrence)
    }

    /// Prints what a run left to do and picks the exit status.
    private func finish(_ report: CampaignDispatcher.Report, campaign: Campaign, occurrence: String?) -> ExitStatus {
        for doubt in report.inDoubt {
            let why = doubt.reason.map { " (\($0))" } ?? ""
            parts.errors("in doubt: \(doubt.recipient) \(doubt.messageID)\(why): the server may have accepted it; check, then `herald send --resend-in-doubt` or record the answer")
        }
        let label = occurrence.map { "\(campaign.name) @ \($0)" } ?? campaign.name
        parts.output("\(label): \(report.sent) sent, \(report.failed) failed, \(report.deferred) deferred, \(report.inDoubt.count) in doubt, \(report.alreadyDone) already done")
        switch report.stop {
        case .unavailable(let error)?:
            parts.errors("\(campaign.smtp.url): server unavailable: \(error); nothing is lost, rerun later")
            return .unavailable
        case .tlsFailed(let error)?:
            parts.errors("\(SMTPURL(campaign.smtp.url)?.host ?? campaign.smtp.url): TLS failed: \(error); nothing was sent")
            return .unavailable
        case .senderRefused(let reply)?:
            parts.errors("\(campaign.smtp.url): the server refused the sender: \(reply); no recipient was marked failed, nothing is lost. Check the From address (and what the server allows it), then rerun")
            return .unavailable
        case .authenticationFailed(let reply)?:
            parts.errors("\(campaign.smtp.url): the server refused the login: \(reply)")
            return .noPermission
        case .interrupted?:
            parts.errors("stopped on request; rerun `herald send` to continue")
            return .tempFail
        case nil:
            break
        }
        for partial in report.partlyRefused {
            for refusal in partial.refused {
                parts.errors("refused: \(refusal.recipient) (on the letter to \(partial.recipient)): \(refusal.reply); the letter went to the others")
            }
        }
        if !report.inDoubt.isEmpty || report.deferred > 0 { return .tempFail }
        if report.failed > 0 || !report.partlyRefused.isEmpty { return .someFailed }
        return .ok
    }
}
