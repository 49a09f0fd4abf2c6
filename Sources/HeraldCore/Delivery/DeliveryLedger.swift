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

extension DeliveryLedger {
    /// A delivery-log record of another campaign than the one reading the log.
    ///
    /// One log belongs to one campaign. The ledger keys on the campaign name, so a record
    /// under another name is invisible to it: after a rename every letter would look
    /// unsent and go out again with new Message-IDs. Such a log is refused instead.
    public struct ForeignRecord: Error, Sendable, Equatable, CustomStringConvertible {
        /// The log's path, as given.
        public var log: String
        /// The 1-based line of the record in the log.
        public var line: Int
        /// The campaign name the record holds.
        public var recorded: String
        /// The name in the campaign file.
        public var campaign: String
        public var campaignFile: String
        /// No record in the log is the campaign's: the whole log is another campaign's
        /// (or this one's under its earlier name).
        public var wholeLog: Bool

        public init(log: String, line: Int, recorded: String, campaign: String, campaignFile: String, wholeLog: Bool) {
            self.log = log
            self.line = line
            self.recorded = recorded
            self.campaign = campaign
            self.campaignFile = campaignFile
            self.wholeLog = wholeLog
        }

        public var description: String {
            if wholeLog {
                return "\(log):\(line): this log belongs to campaign \"\(recorded)\", but \(campaignFile) is named \"\(campaign)\"; "
                    + "if you renamed the campaign, put back name = \"\(recorded)\" (the name is part of every Message-ID, "
                    + "so a renamed campaign would send every letter again); a new campaign needs its own log"
            }
            return "\(log):\(line): this record belongs to campaign \"\(recorded)\", but the log and \(campaignFile) are campaign \"\(campaign)\"; "
                + "one log holds one campaign: if that line was edited, put back \"campaign\":\"\(campaign)\"; "
                + "another campaign's records belong in its own log"
        }
    }

    /// Checks that every record of a log belongs to `campaign`.
    ///
    /// When the campaign has records in the log, the first record under another name is
    /// reported; when it has none, the log is another campaign's and its first record is.
    /// - Parameter records: the log's records with their line numbers, in log order.
    public static func checkOwnership(of records: [(line: Int, record: DeliveryRecord)], log: String,
                                      campaign: String, campaignFile: String) throws(ForeignRecord) {
        guard let foreign = records.first(where: { $0.record.campaign != campaign }) else { return }
        // When the campaign has no record at all, `foreign` is the log's first record.
        let wholeLog = !records.contains { $0.record.campaign == campaign }
        throw ForeignRecord(log: log, line: foreign.line, recorded: foreign.record.campaign, campaign: campaign,
                            campaignFile: campaignFile, wholeLog: wholeLog)
    }
}
