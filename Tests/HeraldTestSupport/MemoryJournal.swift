import Foundation
import HeraldCore

/// A journal in memory; `durable` holds what the syncs so far would have made safe.
/// Thread-safe: the pipeline's senders and the transports' checks read it from several threads.
///
/// The whole `DeliveryJournal` seam: `lock` refuses a second lease while one is held (as
/// another process would be refused), `readHistory` folds the stored records of the
/// occurrences asked for and refuses a record of another campaign, as the file journal does.
public final class MemoryJournal: DeliveryJournal, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [DeliveryRecord] = []
    private var synced = 0
    private var syncCount = 0
    private var leased = false
    /// Fail every write once this many records are stored (a full disk).
    public var failAfter: Int?
    /// Where the records are "kept", as messages name it.
    public let location: String

    public init(location: String = "memory") {
        self.location = location
    }

    /// Every record, in the order written.
    public var records: [DeliveryRecord] { lock.withLock { stored } }
    /// The records the syncs so far made safe.
    public var durable: [DeliveryRecord] { lock.withLock { Array(stored[..<synced]) } }
    /// How many times the journal was synced (claims included).
    public var syncs: Int { lock.withLock { syncCount } }
    /// Whether a lease is held now.
    public var isLeased: Bool { lock.withLock { leased } }

    /// Records already in the journal before a test's command runs (a log written earlier), all durable.
    public func seed(_ records: [DeliveryRecord]) {
        lock.withLock {
            stored.append(contentsOf: records)
            synced = stored.count
        }
    }

    public func claim(_ intents: [DeliveryRecord]) throws {
        try lock.withLock {
            for intent in intents { try store(intent) }
            synced = stored.count
            syncCount += 1
        }
    }

    public func record(_ record: DeliveryRecord) throws {
        try lock.withLock { try store(record) }
    }

    public func sync() throws {
        lock.withLock {
            synced = stored.count
            syncCount += 1
        }
    }

    private func store(_ record: DeliveryRecord) throws {
        if let failAfter, stored.count >= failAfter { throw CocoaError(.fileWriteOutOfSpace) }
        stored.append(record)
    }

    /// The journal's one lease; dropping it lets the next `lock` succeed.
    final class Lease: JournalLease {
        private let journal: MemoryJournal

        init(_ journal: MemoryJournal) {
            self.journal = journal
        }

        deinit {
            journal.lock.withLock { journal.leased = false }
        }
    }

    public func lock(campaign: String, campaignFile: String?, environment: [String: String]) throws(JournalError) -> any JournalLease {
        let taken = lock.withLock { () -> Bool in
            guard !leased else { return false }
            leased = true
            return true
        }
        guard taken else { throw .busy("campaign \(campaign) is being sent by pid \(getpid())") }
        return Lease(self)
    }

    public func readHistory<State>(
        campaign: String, campaignFile: String, occurrences: Set<String?>, holding lease: (any JournalLease)?,
        into initial: State, _ fold: (inout State, DeliveryRecord) -> Void
    ) throws(JournalError) -> (State, JournalRead) {
        var state = initial
        for (index, record) in records.enumerated() {
            guard record.campaign == campaign else {
                throw .damaged("\(location):\(index + 1): a record of campaign \(record.campaign), not \(campaign): one log belongs to one campaign")
            }
            if occurrences.contains(record.occurrence) { fold(&state, record) }
        }
        return (state, JournalRead(latestOccurrence: records.compactMap(\.occurrence).max()))
    }

    public func occurrences(campaign: String, campaignFile: String) throws(JournalError) -> Set<String?> {
        Set(records.map(\.occurrence)).union([nil])
    }
}
extension MemoryJournal: BounceRun.Log {}
