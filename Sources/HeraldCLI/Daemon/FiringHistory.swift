import HeraldCore

/// What a firing plan needs to know of a campaign's delivery log: the ledgers of the
/// occurrences it looks at, and the latest occurrence the log records.
///
/// A fold: the daemon reads only the occurrences `FiringPlan.occurrencesToRead` names (the
/// log's index finds them) and learns the latest from the index, so starting or reloading
/// the daemon costs the same however long the campaign's history; tests fold records.
struct FiringHistory: Sendable {
    let campaign: String
    private var ledgers: [String?: DeliveryLedger] = [:]
    /// The greatest occurrence recorded (occurrences sort as strings); nil when none is.
    private(set) var latestOccurrence: String?

    init(campaign: String) {
        self.campaign = campaign
    }

    /// Folds one record in; a record of another campaign is no evidence and is skipped.
    mutating func apply(_ record: DeliveryRecord) {
        guard record.campaign == campaign else { return }
        ledgers[record.occurrence, default: DeliveryLedger(campaign: campaign, occurrence: record.occurrence, keeping: .decisions)].apply(record)
        note(occurrence: record.occurrence)
    }

    /// Notes an occurrence the log records, whose records were not folded.
    mutating func note(occurrence: String?) {
        guard let occurrence, latestOccurrence.map({ occurrence > $0 }) ?? true else { return }
        latestOccurrence = occurrence
    }

    /// The ledger of one occurrence (nil: the campaign sent as a whole); empty when none was folded.
    func ledger(_ occurrence: String?) -> DeliveryLedger {
        ledgers[occurrence] ?? DeliveryLedger(campaign: campaign, occurrence: occurrence, keeping: .decisions)
    }
}
