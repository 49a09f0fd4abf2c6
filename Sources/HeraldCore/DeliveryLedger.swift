/// The state of every recipient of a campaign, folded from its delivery log.
///
/// Pure: built from records, so resume logic is tested without files.
public struct DeliveryLedger: Sendable {
    /// A recipient's current state: the last record seen for it, and how many attempts were made.
    public struct Entry: Sendable, Equatable {
        public var last: DeliveryRecord
        public var attempts: Int

        /// Sent or failed: nothing more to do.
        public var isDone: Bool { last.status == .sent || last.status == .failed }
        /// An intent with no outcome: the server may or may not have accepted the message.
        public var isInDoubt: Bool { last.status == .sending }
    }

    public private(set) var entries: [String: Entry] = [:]

    /// Folds the records of one campaign, and of one occurrence of it (nil: a campaign sent
    /// as a whole, by `herald send` or a one-shot schedule).
    public init(records: [DeliveryRecord] = [], campaign: String, occurrence: String? = nil) {
        for record in records where record.campaign == campaign && record.occurrence == occurrence { apply(record) }
    }

    /// Folds one more record in.
    public mutating func apply(_ record: DeliveryRecord) {
        let attempts = max(entries[record.recipient]?.attempts ?? 0, record.attempt)
        entries[record.recipient] = Entry(last: record, attempts: attempts)
    }

    public subscript(recipient: String) -> Entry? { entries[recipient] }
}
