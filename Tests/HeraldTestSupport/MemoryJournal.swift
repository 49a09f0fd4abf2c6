import Foundation
import HeraldCore

/// A journal in memory; `durable` holds what the syncs so far would have made safe.
/// Thread-safe: the pipeline's senders and the transports' checks read it from several threads.
public final class MemoryJournal: DeliveryJournal, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [DeliveryRecord] = []
    private var synced = 0
    private var syncCount = 0
    /// Fail every write once this many records are stored (a full disk).
    public var failAfter: Int?

    public init() {}

    /// Every record, in the order written.
    public var records: [DeliveryRecord] { lock.withLock { stored } }
    /// The records the syncs so far made safe.
    public var durable: [DeliveryRecord] { lock.withLock { Array(stored[..<synced]) } }
    /// How many times the journal was synced (claims included).
    public var syncs: Int { lock.withLock { syncCount } }

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
}
