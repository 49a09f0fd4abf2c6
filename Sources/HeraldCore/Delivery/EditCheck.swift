/// Finds edits made to a campaign after it started sending, so a half-sent campaign never
/// mixes two versions of the letter without the operator saying so.
///
/// Compares the template's and each pending recipient's fingerprint with those recorded on
/// the first intent in the log. Recipients already done are not affected by edits.
public enum EditCheck {
    /// Human-readable descriptions of what changed; empty when it is safe to resume.
    public static func changes(in prepared: PreparedCampaign, records: [DeliveryRecord], occurrence: String? = nil) -> [Diagnostic] {
        let name = prepared.campaign.name
        let intents = records.filter { $0.campaign == name && $0.occurrence == occurrence && $0.status == .sending }
        guard !intents.isEmpty else { return [] }
        let ledger = DeliveryLedger(records: records, campaign: name, occurrence: occurrence)
        var pending: [Recipient] = []
        try? prepared.forEachRecipient { recipient in
            if !(ledger[recipient.key]?.isDone ?? false) { pending.append(recipient) }
            return true
        }
        guard !pending.isEmpty else { return [] }
        var problems: [Diagnostic] = []
        if let first = intents.first(where: { $0.templateSHA256 != nil }), first.templateSHA256 != prepared.template.fingerprint {
            let sent = ledger.entries.values.filter { $0.last.status == .sent }.count
            problems.append(Diagnostic(.badData, file: prepared.template.file, field: "template",
                                       "changed since this campaign started sending at \(first.time) (\(sent) letter\(sent == 1 ? "" : "s") went out with the earlier version)"))
        }
        var firstRow: [String: DeliveryRecord] = [:]
        for intent in intents where intent.rowSHA256 != nil && firstRow[intent.recipient] == nil {
            firstRow[intent.recipient] = intent
        }
        for recipient in pending {
            guard let first = firstRow[recipient.key], first.rowSHA256 != recipient.fingerprint else { continue }
            problems.append(Diagnostic(.badData, file: recipient.file, line: recipient.line, field: "row",
                                       "\(recipient.key)'s row changed since its first attempt at \(first.time)"))
        }
        return problems
    }
}
