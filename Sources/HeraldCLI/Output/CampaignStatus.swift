import Foundation
import HeraldCore

/// Each recipient's state, for `herald status`: the campaign's list joined with its log.
struct CampaignStatus {
    enum State: String {
        case sent, failed, deferred, pending
        case inDoubt = "in doubt"
    }

    struct Row {
        var recipient: String
        var state: State
        var attempts: Int
        var time: String
        var detail: String
        /// Other envelope recipients (a Cc, a Bcc) the server refused on the sent letter.
        var refused: [DeliveryOutcome.Refusal] = []
    }

    let campaign: String
    let rows: [Row]

    init(prepared: PreparedCampaign, ledger: DeliveryLedger) {
        campaign = prepared.campaign.name
        // The lists were checked a moment ago; one that changed since shows no rows rather than wrong ones.
        rows = ((try? prepared.recipients) ?? []).map { recipient in
            guard let entry = ledger[recipient.key] else {
                return Row(recipient: recipient.key, state: .pending, attempts: 0, time: "", detail: "")
            }
            let state: State
            switch entry.last.status {
            case .sent: state = .sent
            case .failed: state = .failed
            case .deferred: state = .deferred
            case .sending: state = .inDoubt
            }
            var detail = entry.last.smtpReply ?? entry.last.error ?? (state == .inDoubt ? entry.last.messageID : "")
            let refused = state == .sent ? entry.last.refused ?? [] : []
            for refusal in refused { detail += "; refused \(refusal.recipient): \(refusal.reply)" }
            return Row(recipient: recipient.key, state: state, attempts: entry.attempts, time: entry.last.time, detail: detail,
                       refused: refused)
        }
    }

    func count(_ state: State) -> Int { rows.filter { $0.state == state }.count }

    func table() -> String {
        TextTable.render(header: ["RECIPIENT", "STATUS", "ATTEMPTS", "TIME", "LAST REPLY"],
                         rows: rows.map { [$0.recipient, $0.state.rawValue, "\($0.attempts)", $0.time, $0.detail] },
                         rightAligned: [2])
    }

    func line() -> String {
        let partly = rows.filter { !$0.refused.isEmpty }.count
        return "\(campaign): \(rows.count) recipients: \(count(.sent)) sent, \(count(.failed)) failed, \(count(.deferred)) deferred, \(count(.inDoubt)) in doubt, \(count(.pending)) pending"
            + (partly > 0 ? "; \(partly) sent with a Cc or Bcc refused (not retried)" : "")
    }

    /// `{"campaign", "total", "sent", "failed", "deferred", "pending", "in_doubt"}`: a contract for scripts.
    func json() -> String {
        struct Summary: Encodable {
            var campaign: String
            var total, sent, failed, deferred, pending, in_doubt: Int
        }
        let summary = Summary(campaign: campaign, total: rows.count, sent: count(.sent), failed: count(.failed),
                              deferred: count(.deferred), pending: count(.pending), in_doubt: count(.inDoubt))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(summary), as: UTF8.self)
    }
}
