/// The state of every recipient of one occurrence of a campaign, folded from its delivery log.
///
/// Pure: built from records, so resume logic is tested without files. Compact: each
/// recipient keeps the few fields the pipeline, `EditCheck`, `herald status` and `herald
/// resolve` read, not its records, so a ledger is as large as the list, however long the
/// log (a recurring campaign's grows by a list per occurrence).
public struct DeliveryLedger: Sendable, Equatable {
    /// A recipient's current state: its last record's status, Message-ID, time and reply,
    /// and how many attempts were made.
    public struct Entry: Sendable, Equatable {
        public var status: DeliveryStatus
        /// The highest attempt number recorded: the next attempt is one more.
        public var attempts: Int
        /// The Message-ID of the last record (the one a letter in doubt went out with).
        public var messageID: String
        /// The time of the last record.
        public var time: String
        /// The server's reply on the last record, else its error (nil on an intent).
        public var reply: String?
        /// On a `sent` last record: the other envelope recipients the server refused.
        public var refused: [DeliveryOutcome.Refusal]?
        /// The row fingerprint of the recipient's first intent that carries one, while the
        /// letter is not done: what `EditCheck` compares a pending row with. Dropped once
        /// the letter is done, since edits no longer concern it.
        public var firstRow: Fingerprint?
        /// On a `bounced` or `delayed` entry: the delivery report's fields.
        public var bounce: BounceFields?
        /// Delivery reports about other envelope addresses of the letter (a `Cc`, a `Bcc`),
        /// one per address (a delay never overrides a bounce): shown beside the row, they
        /// leave its state alone.
        public var copyReports: [CopyReport]?

        /// Sent, failed, bounced or delayed: nothing more to do (a bounced letter is not resent,
        /// a delayed one is still on its way).
        public var isDone: Bool { status == .sent || status == .failed || status == .bounced || status == .delayed }
        /// An intent with no outcome: the server may or may not have accepted the message.
        public var isInDoubt: Bool { status == .sending }
    }

    /// A delivery report about another envelope address of a row's letter than the row's own.
    public struct CopyReport: Sendable, Equatable {
        /// `bounced` or `delayed`.
        public var status: DeliveryStatus
        /// The report's fields; `dsnRecipient` is the address it is about.
        public var fields: BounceFields

        public init(status: DeliveryStatus, fields: BounceFields) {
            self.status = status
            self.fields = fields
        }

        /// The address the report is about, lowercased.
        public var address: String { fields.dsnRecipient ?? "" }
    }

    /// A fingerprint recorded on an intent, with the intent's time.
    public struct Fingerprint: Sendable, Equatable {
        public var sha256: String
        public var time: String

        public init(sha256: String, time: String) {
            self.sha256 = sha256
            self.time = time
        }
    }

    public private(set) var entries: [String: Entry] = [:]
    /// The template fingerprint of the first intent that carries one: which letter this
    /// occurrence started sending with, and when.
    public private(set) var template: Fingerprint?

    /// Folds the records of one campaign, and of one occurrence of it (nil: a campaign sent
    /// as a whole, by `herald send` or a one-shot schedule); records of others are skipped.
    public init(records: [DeliveryRecord] = [], campaign: String, occurrence: String? = nil) {
        for record in records where record.campaign == campaign && record.occurrence == occurrence { apply(record) }
    }

    /// Folds one more record in; the caller passes only records of this ledger's campaign
    /// and occurrence (the log reader selects them, the pipeline writes only those).
    public mutating func apply(_ record: DeliveryRecord) {
        let before = entries[record.recipient]
        if record.status == .bounced || record.status == .delayed {
            applyReport(record, before: before)
            return
        }
        var entry = Entry(status: record.status, attempts: max(before?.attempts ?? 0, record.attempt),
                          messageID: record.messageID, time: record.time, reply: record.smtpReply ?? record.error,
                          refused: record.refused, firstRow: before?.firstRow, copyReports: before?.copyReports)
        if record.status == .sending {
            if template == nil, let sha256 = record.templateSHA256 { template = Fingerprint(sha256: sha256, time: record.time) }
            if entry.firstRow == nil, let sha256 = record.rowSHA256 { entry.firstRow = Fingerprint(sha256: sha256, time: record.time) }
        }
        if entry.isDone { entry.firstRow = nil }
        entries[record.recipient] = entry
    }

    public subscript(recipient: String) -> Entry? { entries[recipient] }

    /// A delivery report about a letter that went out: it changes the letter's state, not its
    /// attempts or Message-ID. A report about another envelope address of the letter (a `Cc`)
    /// is kept beside the row (`copyReports`) and leaves the row's state alone, and a delay never overrides a permanent bounce (reports
    /// can arrive out of order).
    private mutating func applyReport(_ record: DeliveryRecord, before: Entry?) {
        if let other = record.dsnRecipient, other != record.recipient, var entry = before {
            var reports = entry.copyReports ?? []
            if let index = reports.firstIndex(where: { $0.address == other }) {
                if reports[index].status == .bounced && record.status == .delayed { return }
                reports[index] = CopyReport(status: record.status, fields: record.bounce ?? BounceFields())
            } else {
                reports.append(CopyReport(status: record.status, fields: record.bounce ?? BounceFields()))
            }
            entry.copyReports = reports
            entries[record.recipient] = entry
            return
        }
        guard var entry = before else {
            entries[record.recipient] = Entry(status: record.status, attempts: record.attempt, messageID: record.messageID,
                                              time: record.time, reply: record.diagnosticCode, bounce: record.bounce)
            return
        }
        if entry.status == .bounced && record.status == .delayed { return }
        entry.status = record.status
        entry.time = record.time
        entry.reply = record.diagnosticCode ?? entry.reply
        entry.bounce = record.bounce
        entry.firstRow = nil
        entries[record.recipient] = entry
    }
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

    /// The ownership rule applied record by record, so a log is checked while it is read
    /// and never has to be held in memory.
    ///
    /// When the campaign has records in the log, the first record under another name is
    /// reported; when it has none, the log is another campaign's and its first record is.
    public struct OwnershipCheck: Sendable {
        private let log: String
        private let campaign: String
        private let campaignFile: String
        private var firstForeign: (line: Int, campaign: String)?
        private var sawOwn = false

        public init(log: String, campaign: String, campaignFile: String) {
            self.log = log
            self.campaign = campaign
            self.campaignFile = campaignFile
        }

        /// Notes the campaign of the record on `line`; call in log order.
        public mutating func see(line: Int, campaign recorded: String) {
            if recorded == campaign {
                sawOwn = true
            } else if firstForeign == nil {
                firstForeign = (line, recorded)
            }
        }

        /// Throws for the first foreign record seen, once every record was seen.
        public func verdict() throws(ForeignRecord) {
            guard let firstForeign else { return }
            // When the campaign has no record at all, the first foreign record is the log's first.
            throw ForeignRecord(log: log, line: firstForeign.line, recorded: firstForeign.campaign, campaign: campaign,
                                campaignFile: campaignFile, wholeLog: !sawOwn)
        }
    }
}
