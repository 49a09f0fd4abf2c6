import Foundation
import HeraldCore

/// Each recipient's state, for `herald status`: the campaign's list joined with its log.
struct CampaignStatus {
    enum State: String {
        case sent, failed, deferred, pending
        /// Sent, then a delivery report said it was refused for good (`herald bounces`).
        case bounced
        /// Sent, then a delivery report said a server on the way is still trying.
        case delayed
        case inDoubt = "in doubt"
        /// Not sent (pending or deferred), and `herald send` gives it no letter: its address is on
        /// the suppression list (`[bounces] suppress = true`). Pending again once it is removed.
        case suppressed
    }

    struct Row {
        var recipient: String
        var state: State
        var attempts: Int
        var time: String
        var detail: String
        /// Other envelope recipients (a Cc, a Bcc) the server refused on the sent letter.
        var refused: [DeliveryOutcome.Refusal] = []
        /// Delivery reports about other envelope recipients of the letter (a Cc, a Bcc).
        var copyReports: [DeliveryLedger.CopyReport] = []
    }

    /// How many rows are in each state, and how many carry refusals or copy reports: what
    /// `line()` and `json()` print, counted as the rows go by.
    struct Tally: Equatable {
        var total = 0
        var states: [State: Int] = [:]
        /// Rows sent with a Cc or Bcc refused.
        var partly = 0
        /// Rows with a delivery report on a Cc or Bcc.
        var copiesReported = 0

        mutating func count(_ row: Row) {
            total += 1
            states[row.state, default: 0] += 1
            if !row.refused.isEmpty { partly += 1 }
            if !row.copyReports.isEmpty { copiesReported += 1 }
        }
    }

    let campaign: String
    /// The occurrence shown, for a recurring campaign's; nil for the campaign sent as a whole.
    let occurrence: String?
    /// Every row, when the status was built with them (`keepingRows`); empty for a streamed status.
    let rows: [Row]
    let tally: Tally
    /// Built from the log alone (the letters' inputs are missing): recipients without a record are not known.
    private(set) var logOnly = false

    /// - Parameters:
    ///   - suppressed: the suppression list's addresses (lowercased) when the campaign obeys it:
    ///     a row not yet sent whose address is there is `suppressed`, as `send` skips it.
    ///   - keepingRows: false for a status whose rows are not needed (`--json`, or printed as
    ///     they go by `forEachRow`): only the tally is kept, so memory does not grow with the list.
    ///   - visit: sees each row as it is counted (a streamed table measures its columns).
    /// - Throws: when a recipient list changed since the campaign was checked.
    init(
        prepared: PreparedCampaign, ledger: DeliveryLedger, occurrence: String? = nil, suppressed: Set<String> = [],
        keepingRows: Bool = true, visit: (Row) -> Void = { _ in }
    ) throws(PreparedCampaign.ListChanged) {
        campaign = prepared.campaign.name
        self.occurrence = occurrence
        var rows: [Row] = []
        if keepingRows { rows.reserveCapacity(prepared.recipientCount) }
        var tally = Tally()
        try Self.forEachRow(prepared: prepared, ledger: ledger, suppressed: suppressed) { row in
            visit(row)
            tally.count(row)
            if keepingRows { rows.append(row) }
        }
        self.rows = rows
        self.tally = tally
    }

    /// The rows the log records, by recipient, when the campaign's inputs (template, lists,
    /// attachments) are missing: status must not need them to read the log. Letters with no
    /// record yet are not known, so none shows as pending. Needs a `.everything` ledger (the keys).
    init(campaign: String, ledger: DeliveryLedger, occurrence: String? = nil, keepingRows: Bool = true, visit: (Row) -> Void = { _ in }) {
        self.campaign = campaign
        self.occurrence = occurrence
        var rows: [Row] = []
        var tally = Tally()
        Self.forEachRow(ledger: ledger) { row in
            visit(row)
            tally.count(row)
            if keepingRows { rows.append(row) }
        }
        self.rows = rows
        self.tally = tally
        logOnly = true
    }

    /// Hands each recipient's row to `visit`, in the lists' order: what the table prints and the
    /// tally counts, one row at a time (the lists and the ledger are read, nothing is held).
    /// - Throws: when a recipient list changed since the campaign was checked.
    static func forEachRow(
        prepared: PreparedCampaign, ledger: DeliveryLedger, suppressed: Set<String> = [],
        _ visit: (Row) -> Void
    ) throws(PreparedCampaign.ListChanged) {
        try prepared.forEachRecipient { recipient in
            var row = Self.row(recipient.key, ledger[recipient.key])
            // As `send` decides it: an unfinished letter that is not in doubt.
            if row.state == .pending || row.state == .deferred, !suppressed.isEmpty, suppressed.contains(recipient.address.normalized) {
                row.state = .suppressed
            }
            visit(row)
            return true
        }
    }

    /// Hands each row the log records to `visit`, by recipient (see `init(campaign:ledger:)`).
    static func forEachRow(ledger: DeliveryLedger, _ visit: (Row) -> Void) {
        for recipient in ledger.recipients.sorted() { visit(Self.row(recipient, ledger[recipient])) }
    }

    /// A recipient's row from its ledger entry (none: pending).
    private static func row(_ recipient: String, _ entry: DeliveryLedger.Entry?) -> Row {
        guard let entry else { return Row(recipient: recipient, state: .pending, attempts: 0, time: "", detail: "") }
        let state: State
        switch entry.status {
        case .sent: state = .sent
        case .failed: state = .failed
        case .deferred: state = .deferred
        case .sending: state = .inDoubt
        case .bounced: state = .bounced
        case .delayed: state = .delayed
        }
        var detail = entry.reply ?? (state == .inDoubt ? entry.messageID : "")
        if let bounce = entry.bounce {
            // The report's status first, then its diagnostic and the server that gave it.
            detail = [bounce.dsnStatus, bounce.diagnosticCode, bounce.remoteMTA.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
        }
        let refused = state == .sent ? entry.refused ?? [] : []
        for refusal in refused { detail += "; refused \(refusal.recipient): \(refusal.reply)" }
        let copyReports = entry.copyReports ?? []
        for report in copyReports {
            let fields = report.fields
            detail +=
                "; \(report.status.rawValue) \(report.address): "
                + [fields.dsnStatus, fields.diagnosticCode, fields.remoteMTA.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
        }
        return Row(
            recipient: recipient, state: state, attempts: entry.attempts, time: entry.time, detail: detail, refused: refused,
            copyReports: copyReports)
    }

    func count(_ state: State) -> Int { tally.states[state] ?? 0 }

    /// The table's header and each row's cells, as `table()` and a streamed table print them.
    static let header = ["RECIPIENT", "STATUS", "ATTEMPTS", "TIME", "LAST REPLY"]
    static let rightAligned: Set<Int> = [2]
    static func cells(_ row: Row) -> [String] {
        [TerminalText.visible(row.recipient), row.state.rawValue, "\(row.attempts)", row.time, TerminalText.visible(row.detail)]
    }

    func table() -> String {
        TextTable.render(header: Self.header, rows: rows.map(Self.cells), rightAligned: Self.rightAligned)
    }

    func line() -> String {
        let partly = tally.partly
        let copiesBounced = tally.copiesReported
        let label = occurrence.map { "\(campaign) @ \($0)" } ?? campaign
        return
            "\(label): \(tally.total) recipients: \(count(.sent)) sent, \(count(.failed)) failed, \(count(.deferred)) deferred, \(count(.inDoubt)) in doubt, \(count(.pending)) pending"
            + (count(.suppressed) > 0 ? ", \(count(.suppressed)) suppressed (not sent: on the suppression list)" : "")
            + (count(.bounced) + count(.delayed) > 0 ? "; after sending: \(count(.bounced)) bounced, \(count(.delayed)) delayed" : "")
            + (partly > 0 ? "; \(partly) sent with a Cc or Bcc refused (not retried)" : "")
            + (copiesBounced > 0 ? "; \(copiesBounced) with a report on a Cc or Bcc" : "")
            + (logOnly ? "; from the log alone: letters it does not record yet are not counted (the inputs are missing)" : "")
    }

    /// `{"campaign", "total", "sent", "failed", "deferred", "pending", "in_doubt", "bounced", "delayed", "suppressed"}`:
    /// a contract for scripts. Each recipient counts once: a bounced letter is in `bounced`, not `sent`;
    /// a suppressed one in `suppressed`, not `pending` (a script waiting for `pending == 0` is never
    /// held up by a letter `send` will not send).
    func json() -> String {
        struct Summary: Encodable {
            var campaign: String
            var total, sent, failed, deferred, pending, in_doubt, bounced, delayed, suppressed: Int
            /// Present (true) only when the status was read from the log alone: `pending` is then unknown.
            var inputs_missing: Bool?
        }
        let summary = Summary(
            campaign: campaign, total: tally.total, sent: count(.sent), failed: count(.failed),
            deferred: count(.deferred), pending: count(.pending), in_doubt: count(.inDoubt),
            bounced: count(.bounced), delayed: count(.delayed), suppressed: count(.suppressed),
            inputs_missing: logOnly ? true : nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Cannot fail: JSONEncoder throws only for a non-finite float or a value's own encoding
        // error, and the summary holds Ints, a String and a Bool.
        return String(decoding: (try? encoder.encode(summary)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

extension CampaignStatus {
    /// The status's line about the log's hash chain: intact (with the hash to anchor), broken
    /// (where, and the command that says more), or not chained.
    static func chainLine(_ chain: LogChain.Verdict?, log: String) -> String {
        guard let chain else { return "log chain: no log yet" }
        if let broken = chain.broken {
            return "log chain: BROKEN at \(log):\(broken.line): the log was changed after it was written; run herald verify-log \(log)"
        }
        let chained = chain.records - chain.unchained
        if chain.records == 0 { return "log chain: empty log" }
        if chained == 0 { return "log chain: not chained (\(chain.records) records written before Herald chained its log)" }
        let older = chain.chainedFrom.map { "; not chained before line \($0)" } ?? ""
        return "log chain: intact, \(chained) records, last record's SHA-256 \(chain.head ?? "")\(older)"
    }
}
