import Foundation
import HeraldCore

/// A journal in memory; `durable` holds what an fsync would have made safe.
public final class MemoryJournal: DeliveryJournal {
    public var records: [DeliveryRecord] = []
    /// The records an fsync would have made safe: up to the last durable append.
    public var durable: [DeliveryRecord] = []
    /// Fail every append once this many records are stored (a full disk).
    public var failAfter: Int?

    public init() {}

    public func append(_ record: DeliveryRecord, durable isDurable: Bool) throws {
        if let failAfter, records.count >= failAfter { throw CocoaError(.fileWriteOutOfSpace) }
        records.append(record)
        if isDurable { durable = records }
    }
}

