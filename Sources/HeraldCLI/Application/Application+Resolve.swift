import Foundation
import HeraldCore

extension Application {
    /// `herald resolve`: append an operator's verdict for a recipient in doubt (or deferred),
    /// so `send` neither reports nor resends it.
    public func resolve(campaign path: String, recipient address: String, as status: DeliveryStatus,
                        logPath: String?) -> ExitStatus {
        let (loaded, loadStatus) = load(path)
        guard let prepared = loaded else { return loadStatus }
        let log = logPath ?? prepared.campaign.logPath
        let name = prepared.campaign.name
        let (locked, lockStatus) = lockAndReadLog(log, campaign: prepared.campaign)
        guard let locked else { return lockStatus }
        defer { withExtendedLifetime(locked.lock) {} }
        let journal = locked.journal, records = locked.records
        let key = address.lowercased()
        guard let entry = DeliveryLedger(records: records, campaign: name)[key] else {
            parts.errors("\(log): \(address) has no delivery record in campaign \(name); nothing to resolve")
            return .dataError
        }
        if entry.isDone {
            parts.errors("\(log): \(address) is already recorded as \(entry.last.status.rawValue) (\(entry.last.time)); nothing to resolve")
            return .dataError
        }
        let record = DeliveryRecord(time: RFC5322Date.rfc3339(parts.clock()), campaign: name, recipient: key,
                                    messageID: entry.last.messageID, status: status, attempt: entry.attempts,
                                    note: "resolved by an operator (herald resolve) after status \(entry.isInDoubt ? "in doubt" : entry.last.status.rawValue)")
        do { try journal.append(record, durable: true) } catch {
            parts.errors("\(error)")
            return .ioError
        }
        parts.output("\(key) \(entry.last.messageID): recorded as \(status.rawValue)")
        return .ok
    }
}
