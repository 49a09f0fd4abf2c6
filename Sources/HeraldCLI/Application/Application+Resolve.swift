import Foundation
import HeraldCore

extension Application {
    /// `herald resolve`: append an operator's verdict for a recipient in doubt (or deferred),
    /// so `send` neither reports nor resends it.
    public func resolve(
        campaign path: String, recipient address: String, as status: DeliveryStatus,
        logPath: String?
    ) -> ExitStatus {
        run { () throws(CommandFailure) -> ExitStatus in
            // A verdict for a letter already sent needs the log, not the letters' inputs.
            let campaign = try loadForLog(path).campaign
            let log = logPath ?? campaign.logPath
            let name = campaign.name
            // Taking the lock would create a missing log: an empty file a later `send --log`
            // could take for a log of no letters. A missing log holds no letter to resolve.
            if let file = parts.openJournal(log) as? any LogFileJournal, file.isMissing {
                throw CommandFailure(
                    .dataError,
                    "\(log): no such delivery log, so \(address) has no delivery record in campaign \(name); nothing to resolve (check the path; no log was created)"
                )
            }
            // Everything: a letter already done is named with its time.
            let locked = try lockAndReadLog(log, campaign: campaign, occurrence: nil, keeping: .everything)
            defer { withExtendedLifetime(locked) {} }
            let journal = locked.journal
            // Runs before the locks are let go: the checkpoint takes over the verdict written.
            defer { keepChainCheckpoint(holding: locked.lease, journal: journal) }
            let key = address.lowercased()
            guard let entry = locked.ledger[key] else {
                throw CommandFailure(.dataError, "\(log): \(address) has no delivery record in campaign \(name); nothing to resolve")
            }
            if entry.isDone {
                throw CommandFailure(.dataError, "\(log): \(address) is already recorded as \(entry.status.rawValue) (\(entry.time)); nothing to resolve")
            }
            let record = DeliveryRecord(
                time: RFC5322Date.rfc3339(parts.clock.now()), campaign: name, recipient: key,
                messageID: entry.messageID, status: status, attempt: entry.attempts,
                note: "resolved by an operator (herald resolve) after status \(entry.isInDoubt ? "in doubt" : entry.status.rawValue)")
            let appender = try blockingLog(of: journal, for: "a resolve record")
            do {
                try appender.record(record)
                try appender.sync()
            } catch {
                throw CommandFailure(.ioError, "\(error)")
            }
            parts.output("\(key) \(entry.messageID): recorded as \(status.rawValue)")
            return .ok
        }
    }
}
