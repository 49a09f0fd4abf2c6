import Foundation
import HeraldCore
import HeraldCurl
import HeraldStorage

extension Application {
    /// `herald bounces`: read the campaign's bounce mailbox once, record each bounce of its
    /// letters as `bounced` or `delayed`, move what was recorded to the processed folder, and
    /// list what was left (auto-replies, other mail, bounces of no letter of this campaign).
    ///
    /// Holds the log's lock for the whole pass, so it never interleaves with a send to it.
    /// Exit 0 when the pass completed (messages left behind are reported, not failures);
    /// 77 for a refused IMAP login, 69 for a mailbox that cannot be reached or refuses a
    /// command, 75 when the folder's UIDVALIDITY changed mid-pass, 74 when the log cannot be written.
    public func bounces(campaign path: String, logPath: String?, shouldStop: () -> Bool = { Task.isCancelled }) -> ExitStatus {
        run { () throws(CommandFailure) -> ExitStatus in
            let prepared = try load(path)
            let campaign = prepared.campaign
            guard let settings = campaign.bounces else {
                throw CommandFailure(
                    .config,
                    "\(campaign.file): no [bounces] table; add one with url = \"imaps://imap.example.org/INBOX\", username and password_env or password_file")
            }
            let endpoint = try SecretSource.mailboxEndpoint(for: campaign, settings: settings, environment: parts.environment)
            let log = logPath ?? campaign.logPath
            let journal = parts.openJournal(log)
            let lease: any JournalLease
            do throws(JournalError) { lease = try journal.lock(campaign: campaign.name, campaignFile: nil, environment: parts.environment) } catch {
                throw CommandFailure(error)
            }
            defer { withExtendedLifetime(lease) {} }
            let attribution = try readBounceAttribution(journal, campaign: campaign, holding: lease)

            let mailbox: any BounceMailbox
            do throws(BounceMailboxError) { mailbox = try parts.makeMailbox(endpoint) } catch { throw Self.failure(error) }
            var pass = BounceRun(settings: settings, attribution: attribution)
            let report: BounceRun.Report
            let bounceLog = try blockingLog(of: journal, for: "bounce records")
            do throws(BounceRun.Failure) {
                let suppression = settings.suppress ? parts.openSuppressionList(log) : nil
                // Checked between messages: a stop (the daemon's shutdown: its task cancelled) ends the
                // pass after the message in hand, what was recorded still synced and moved.
                report = try pass.run(
                    mailbox: mailbox, journal: bounceLog, now: { RFC5322Date.rfc3339(self.parts.clock.now()) },
                    shouldStop: shouldStop
                ) { records in
                    // Permanent bounces of a row's own address only (a Cc's suppresses nothing).
                    let entries = records.compactMap(SuppressionList.Entry.init(permanentBounce:))
                    if let suppression, !entries.isEmpty {
                        let added = try suppression.add(entries)
                        for entry in added { self.parts.output("suppressed \(TerminalText.visible(entry.address)) (\(suppression.location))") }
                    }
                }
            } catch {
                switch error {
                case .mailbox(let failure): throw Self.failure(failure)
                case .log(let message): throw CommandFailure(.ioError, message)
                }
            }
            for outcome in report.outcomes { parts.output(Self.line(outcome)) }
            let recorded = report.recorded.count
            let strangers = report.left.filter { if case .left(let reason) = $0.action { reason.hasPrefix("unattributed:") } else { false } }.count
            let written: [DeliveryRecord] = report.recorded.flatMap { outcome -> [DeliveryRecord] in
                if case .recorded(let records, _) = outcome.action { records } else { [] }
            }
            let bounced = written.filter { $0.status == .bounced }.count
            parts.output(
                "\(campaign.name): \(report.outcomes.count) message\(report.outcomes.count == 1 ? "" : "s") in \(settings.url.folder): "
                    + "\(recorded) recorded (\(bounced) bounced, \(written.count - bounced) delayed), "
                    + "\(report.outcomes.count - recorded - report.left.count) already recorded, \(report.left.count) left in place"
                    + (strangers > 0 ? " (\(strangers) unattributed: about an address the letter did not go to)" : "") + "; "
                    + "\(report.moved) moved to \(settings.processedFolder)")
            if report.stopped {
                throw CommandFailure(
                    .tempFail, "stopped on request after \(report.outcomes.count) message\(report.outcomes.count == 1 ? "" : "s"); the next pass reads the rest"
                )
            }
            return .ok
        }
    }

    /// Every record of the campaign, all occurrences, folded into an attribution (the log's
    /// ownership checked, its index kept, as every command reads it).
    private func readBounceAttribution(
        _ journal: any DeliveryJournal, campaign: Campaign,
        holding lease: any JournalLease
    ) throws(CommandFailure) -> BounceAttribution {
        try refuseSpecialLog(journal.location)
        do throws(JournalError) {
            // Which occurrences the log holds: a recurring campaign's letters are spread over them.
            let occurrences = try journal.occurrences(campaign: campaign.name, campaignFile: campaign.file)
            let (attribution, read) = try journal.readHistory(
                campaign: campaign.name, campaignFile: campaign.file, occurrences: occurrences,
                holding: lease, into: BounceAttribution(campaign: campaign.name)
            ) { $0.apply($1) }
            if let warning = read.warning { parts.errors("warning: \(warning)") }
            return attribution
        } catch {
            throw CommandFailure(error)
        }
    }

    private static func failure(_ error: BounceMailboxError) -> CommandFailure {
        // The server's words are quoted in the message: shown, never interpreted.
        let message = TerminalText.visible(error.message)
        return switch error.kind {
        case .authentication: CommandFailure(.noPermission, message)
        case .uidValidityChanged: CommandFailure(.tempFail, message)
        case .unavailable, .refused: CommandFailure(.unavailable, message)
        }
    }

    /// One line per message: what was done and why, naming the address the report is about
    /// (a Cc's, beside the row it was sent with); never the message's body. Everything taken
    /// from the message is made visible (`TerminalText`): a bounce is anyone's text.
    static func line(_ outcome: BounceRun.Outcome) -> String {
        let position = "UID \(outcome.position.uid)"
        switch outcome.action {
        case .recorded(let records, let clue):
            // One line per address the report is about.
            return records.map { record in
                var address = record.recipient
                if let reported = record.dsnRecipient, reported != record.recipient.lowercased() {
                    address = "\(reported) (a Cc or Bcc of the letter to \(record.recipient))"
                }
                return TerminalText.visible(
                    "recorded  \(record.status.rawValue) \(record.dsnStatus ?? "-") \(address) \(record.messageID) (\(position), by \(clue.rawValue))")
            }.joined(separator: "\n")
        case .alreadyRecorded(let recipient):
            return "known     \(recipient) (\(position)): recorded by an earlier run; moved now"
        case .left(let reason):
            let about = [outcome.from.map { "from \($0)" }, outcome.subject.map { "\"\($0)\"" }].compactMap { $0 }.joined(separator: ", ")
            return TerminalText.visible("left      \(position)\(about.isEmpty ? "" : " \(about)"): \(reason)")
        }
    }
}
