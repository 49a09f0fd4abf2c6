import Foundation

/// The state of every recipient of one occurrence of a campaign, folded from its delivery log.
///
/// Pure: built from records, so resume logic is tested without files. Compact: each
/// recipient keeps the few fields its readers need, not its records, so a ledger is as large
/// as the list, however long the log (a recurring campaign's grows by a list per occurrence).
///
/// Three sizes (`Keeping`). `.everything` keeps every field of every recipient (`herald resolve`,
/// `herald status` from the log alone, tests); `.table` what `status`'s table prints (a done
/// letter's time and reply besides its state, not always its Message-ID). `.decisions` keeps what the pipeline and the checks decide
/// on: per recipient a 128-bit hash of its key and 4 bytes of state and attempts, plus the full
/// entry only while the letter is not done (the Message-ID an in-doubt line prints, the row
/// fingerprint `EditCheck` compares), so a no-op `send` of 1,000,000 letters holds tens of
/// bytes per letter instead of about a kilobyte. A done letter's entry then has an empty
/// `messageID` and `time`, no reply and no reports: nothing decides on those.
public struct DeliveryLedger: Sendable, Equatable {
    /// What a ledger keeps of each recipient.
    public enum Keeping: Sendable, Equatable {
        /// Every field of every entry, and the recipients' keys (`recipients`).
        case everything
        /// State and attempts of every entry; the other fields only of letters not done.
        case decisions
        /// `.decisions`, and each done letter's time and reply (a done letter with refusals or
        /// delivery reports keeps its whole entry): every field `status`'s table prints; a done
        /// letter's `messageID` may be empty (the table prints it only for a letter in doubt).
        case table
    }

    /// A recipient's current state: its last record's status, Message-ID, time and reply,
    /// and how many attempts were made.
    public struct Entry: Sendable, Equatable {
        public var status: DeliveryStatus
        /// The highest attempt number recorded: the next attempt is one more.
        public var attempts: Int
        /// The Message-ID of the last record (the one a letter in doubt went out with); empty for
        /// a done letter of a `.decisions` ledger.
        public var messageID: String
        /// The time of the last record; empty for a done letter of a `.decisions` ledger.
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

        public init(
            status: DeliveryStatus, attempts: Int, messageID: String = "", time: String = "", reply: String? = nil,
            refused: [DeliveryOutcome.Refusal]? = nil, firstRow: Fingerprint? = nil, bounce: BounceFields? = nil,
            copyReports: [CopyReport]? = nil
        ) {
            self.status = status
            self.attempts = attempts
            self.messageID = messageID
            self.time = time
            self.reply = reply
            self.refused = refused
            self.firstRow = firstRow
            self.bounce = bounce
            self.copyReports = copyReports
        }

        /// Sent, failed, bounced or delayed: nothing more to do (a bounced letter is not resent,
        /// a delayed one is still on its way).
        public var isDone: Bool { Self.isDone(status) }
        /// An intent with no outcome: the server may or may not have accepted the message.
        public var isInDoubt: Bool { status == .sending }

        static func isDone(_ status: DeliveryStatus) -> Bool {
            status == .sent || status == .failed || status == .bounced || status == .delayed
        }
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

    /// What this ledger keeps of each recipient.
    public let keeping: Keeping
    /// The recipients to make room for when the first record comes.
    private let capacity: Int
    /// Every recipient's state and attempts, by the hash of its key.
    private var states: [RecipientHash: PackedState] = [:]
    /// Full entries: every recipient's (`.everything`), or those of letters not done (`.decisions`).
    private var details: [RecipientHash: Entry] = [:]
    /// The recipients' keys (`.everything` only).
    private var names: [RecipientHash: String] = [:]
    /// A done letter's time and reply (`.table` only, when it has no full entry).
    private var shown: [RecipientHash: Shown] = [:]

    /// What `status`'s table prints of a done letter besides its state.
    struct Shown: Sendable, Equatable {
        var time: String
        var reply: String?
    }
    /// The template fingerprint of the first intent that carries one: which letter this
    /// occurrence started sending with, and when.
    public private(set) var template: Fingerprint?

    /// Folds the records of one campaign, and of one occurrence of it (nil: a campaign sent
    /// as a whole, by `herald send` or a one-shot schedule); records of others are skipped.
    /// - Parameter capacity: how many recipients to make room for at once (the list's length):
    ///   a ledger that grows by doubling briefly holds its old table and its new one, about half
    ///   as much again at its peak. The room is taken by the first record folded in, so an
    ///   empty ledger passed as a fold's start (and copied) costs nothing.
    public init(
        records: [DeliveryRecord] = [], campaign: String, occurrence: String? = nil, keeping: Keeping = .everything,
        capacity: Int = 0
    ) {
        self.keeping = keeping
        self.capacity = capacity
        for record in records where record.campaign == campaign && record.occurrence == occurrence { apply(record) }
    }

    /// Folds one more record in; the caller passes only records of this ledger's campaign
    /// and occurrence (the log reader selects them, the pipeline writes only those).
    public mutating func apply(_ record: DeliveryRecord) {
        let key = RecipientHash(record.recipient)
        let before = entry(key)
        let after: Entry?
        if record.status == .bounced || record.status == .delayed {
            after = Self.applyingReport(record, to: before)
        } else {
            var entry = Entry(
                status: record.status, attempts: max(before?.attempts ?? 0, record.attempt),
                messageID: record.messageID, time: record.time, reply: record.smtpReply ?? record.error,
                refused: record.refused, firstRow: before?.firstRow, copyReports: before?.copyReports)
            if record.status == .sending {
                if template == nil, let sha256 = record.templateSHA256 { template = Fingerprint(sha256: sha256, time: record.time) }
                if entry.firstRow == nil, let sha256 = record.rowSHA256 { entry.firstRow = Fingerprint(sha256: sha256, time: record.time) }
            }
            if entry.isDone { entry.firstRow = nil }
            after = entry
        }
        guard let after else { return }
        if states.isEmpty && capacity > 0 { states.reserveCapacity(capacity) }
        states[key] = PackedState(after)
        switch keeping {
        case .everything:
            details[key] = after
            if before == nil { names[key] = record.recipient }
        case .decisions:
            details[key] = after.isDone ? nil : after
        case .table:
            if after.isDone && after.refused == nil && after.bounce == nil && after.copyReports == nil {
                details[key] = nil
                shown[key] = Shown(time: after.time, reply: after.reply)
            } else {
                details[key] = after
                shown[key] = nil
            }
        }
    }

    /// The entry of the recipient with this key; nil when the log holds no record of it.
    public subscript(recipient: String) -> Entry? { entry(RecipientHash(recipient)) }

    private func entry(_ key: RecipientHash) -> Entry? {
        if let full = details[key] { return full }
        guard let state = states[key] else { return nil }
        let seen = shown[key]
        return Entry(status: state.status, attempts: state.attempts, time: seen?.time ?? "", reply: seen?.reply)
    }

    /// True when the log holds no record of this occurrence.
    public var isEmpty: Bool { states.isEmpty }

    /// How many recipients have a record.
    public var count: Int { states.count }

    /// How many recipients' current status satisfies `predicate`.
    public func count(where predicate: (DeliveryStatus) -> Bool) -> Int {
        states.values.reduce(0) { $0 + (predicate($1.status) ? 1 : 0) }
    }

    /// The keys of the recipients with a record, in no order; empty in a `.decisions` ledger,
    /// which keeps hashes of the keys only.
    public var recipients: [String] { Array(names.values) }

    /// The entries as a collection, as `[String: Entry]` offered them: `values` (state and
    /// attempts only, the other fields as a done letter's in a `.decisions` ledger), `keys`
    /// (`.everything` only), `isEmpty`, and a subscript by key.
    public var entries: Entries { Entries(ledger: self) }

    /// A view of a ledger's entries (see `entries`).
    public struct Entries: Sendable {
        let ledger: DeliveryLedger
        public var isEmpty: Bool { ledger.isEmpty }
        public var count: Int { ledger.count }
        /// Each recipient's state and attempts.
        public var values: LazyMapCollection<[RecipientHash: PackedState].Values, Entry> {
            ledger.states.values.lazy.map { Entry(status: $0.status, attempts: $0.attempts) }
        }
        /// The recipients' keys (`.everything` only).
        public var keys: [String] { ledger.recipients }
        public subscript(recipient: String) -> Entry? { ledger[recipient] }
    }

    /// A delivery report about a letter that went out: it changes the letter's state, not its
    /// attempts or Message-ID. A report about another envelope address of the letter (a `Cc`)
    /// is kept beside the row (`copyReports`) and leaves the row's state alone, and a delay
    /// never overrides a permanent bounce (reports can arrive out of order).
    /// - Returns: the entry after the report; nil when it leaves the ledger as it was.
    private static func applyingReport(_ record: DeliveryRecord, to before: Entry?) -> Entry? {
        if let other = record.dsnRecipient, other != record.recipient, var entry = before {
            var reports = entry.copyReports ?? []
            if let index = reports.firstIndex(where: { $0.address == other }) {
                if reports[index].status == .bounced && record.status == .delayed { return nil }
                reports[index] = CopyReport(status: record.status, fields: record.bounce ?? BounceFields())
            } else {
                reports.append(CopyReport(status: record.status, fields: record.bounce ?? BounceFields()))
            }
            entry.copyReports = reports
            return entry
        }
        guard var entry = before else {
            return Entry(
                status: record.status, attempts: record.attempt, messageID: record.messageID,
                time: record.time, reply: record.diagnosticCode, bounce: record.bounce)
        }
        if entry.status == .bounced && record.status == .delayed { return nil }
        entry.status = record.status
        entry.time = record.time
        entry.reply = record.diagnosticCode ?? entry.reply
        entry.bounce = record.bounce
        entry.firstRow = nil
        return entry
    }

    public static func == (a: DeliveryLedger, b: DeliveryLedger) -> Bool {
        a.keeping == b.keeping && a.capacity == b.capacity && a.states == b.states && a.details == b.details && a.names == b.names && a.shown == b.shown
            && a.template == b.template
    }
}

extension DeliveryLedger {
    /// A recipient key's identity in a ledger: the first 128 bits of the SHA-256 of its UTF-8
    /// bytes, 16 bytes held inline where the key itself would be a heap string.
    ///
    /// Why a cryptographic hash: two keys of one hash would share an entry, and a letter could
    /// be taken for done; at 128 bits the chance for a million keys is about 10⁻²⁷.
    public struct RecipientHash: Hashable, Sendable {
        let a: UInt32, b: UInt32, c: UInt32, d: UInt32

        /// The hash of the key's canonical (NFC) form: two keys are one recipient exactly when
        /// Swift's `String` says they are equal (canonical equivalence), as the list's duplicate
        /// check and the ledger's earlier `[String: …]` table did. An address re-saved in NFD (a
        /// macOS export) is the same recipient, never a second letter. ASCII keys, nearly all,
        /// are their own canonical form and skip the normalisation.
        init(_ key: String) {
            let bytes = key.utf8.allSatisfy { $0 < 0x80 } ? Array(key.utf8) : Array(key.precomposedStringWithCanonicalMapping.utf8)
            let digest = SHA256.digest(bytes)
            func word(_ at: Int) -> UInt32 {
                UInt32(digest[at]) << 24 | UInt32(digest[at + 1]) << 16 | UInt32(digest[at + 2]) << 8 | UInt32(digest[at + 3])
            }
            (a, b, c, d) = (word(0), word(4), word(8), word(12))
        }
    }

    /// A recipient's status and attempts in 32 bits: the status in the low 3, the attempts
    /// above (clamped to 0...2²⁹−1; the log's attempts are small counts).
    public struct PackedState: Hashable, Sendable {
        private let bits: UInt32
        private static let statuses = DeliveryStatus.allCases

        init(_ entry: Entry) {
            let index = UInt32(Self.statuses.firstIndex(of: entry.status) ?? 0)
            bits = index | UInt32(min(max(entry.attempts, 0), 0x1FFF_FFFF)) << 3
        }

        var status: DeliveryStatus { Self.statuses[Int(bits & 7)] }
        var attempts: Int { Int(bits >> 3) }
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
            throw ForeignRecord(
                log: log, line: firstForeign.line, recorded: firstForeign.campaign, campaign: campaign,
                campaignFile: campaignFile, wholeLog: !sawOwn)
        }
    }
}
