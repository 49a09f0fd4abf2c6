/// Finds edits made to a campaign after it started sending, so a half-sent campaign never
/// mixes two versions of the letter without the operator saying so.
///
/// Compares the template's and each pending recipient's fingerprint with those recorded on
/// the first intent in the ledger (one occurrence's, as the pipeline sends it). Recipients
/// already done are not affected by edits.
public enum EditCheck {
    /// Human-readable descriptions of what changed; empty when it is safe to resume.
    public static func changes(in prepared: PreparedCampaign, ledger: DeliveryLedger) -> [Diagnostic] {
        // A campaign that never started sending has nothing to compare with: no walk of the lists.
        guard !ledger.entries.isEmpty else { return [] }
        var rows: [Diagnostic] = []
        var anyPending = false
        // Streamed; a list that changed since it was checked is caught row by row when sending.
        try? prepared.forEachRecipient { recipient in
            let entry = ledger[recipient.key]
            if entry?.isDone == true { return true }
            anyPending = true
            guard let first = entry?.firstRow, first.sha256 != recipient.fingerprint else { return true }
            rows.append(
                Diagnostic(
                    .badData, file: recipient.file, line: recipient.line, field: "row",
                    "\(recipient.key)'s row changed since its first attempt at \(first.time)"))
            return true
        }
        guard anyPending else { return [] }
        guard let first = ledger.template, first.sha256 != prepared.fingerprint else { return rows }
        let sent = ledger.entries.values.count { [.sent, .bounced, .delayed].contains($0.status) }
        return [
            Diagnostic(
                .badData, file: prepared.template.file, field: "template",
                "changed since this campaign started sending at \(first.time) (\(sent) letter\(sent == 1 ? "" : "s") went out with the earlier version)")
        ]
            + rows
    }
}
