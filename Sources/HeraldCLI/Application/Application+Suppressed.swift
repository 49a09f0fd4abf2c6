import Foundation
import HeraldCore

extension Application {
    /// `herald suppressed list`: the suppression list beside the campaign's log, one line per
    /// address with when, which campaign and why; a note when there is none yet.
    public func suppressedList(campaign path: String, logPath: String?) -> ExitStatus {
        run { () throws(CommandFailure) -> ExitStatus in
            let prepared = try load(path)
            let file = parts.openSuppressionList(logPath ?? prepared.campaign.logPath)
            let list: SuppressionList
            do { list = try file.read() } catch { throw CommandFailure(.ioError, "\(error)") }
            let entries = list.entries
            guard !entries.isEmpty else {
                parts.output("\(file.location): no suppressed address")
                return .ok
            }
            parts.output(
                TextTable.render(
                    header: ["ADDRESS", "SINCE", "CAMPAIGN", "STATUS", "DIAGNOSTIC"],
                    rows: entries.map { [$0.address, $0.time, $0.campaign, $0.dsnStatus, $0.diagnostic].map(TerminalText.visible) },
                    rightAligned: []))
            return .ok
        }
    }

    /// The suppression list's addresses for `herald status`, as `send` would read them: empty
    /// unless the campaign says `[bounces] suppress = true`. A list that cannot be read is a
    /// warning here (status reads, it sends nothing), and its rows show as not suppressed.
    func suppressedAddresses(of campaign: Campaign, log: String) -> Set<String> {
        guard campaign.bounces?.suppress == true else { return [] }
        let file = parts.openSuppressionList(log)
        do throws(SuppressionStoreFailure) { return Set(try file.read().entries.map(\.address)) } catch {
            parts.errors("warning: \(error); rows on it show as pending, though `herald send` would stop before sending (exit 74)")
            return []
        }
    }

    /// `herald suppressed remove`: takes an address off the list (every other line kept as it
    /// was), so campaigns may write to it again. 65 when it is not on the list.
    public func suppressedRemove(campaign path: String, address: String, logPath: String?) -> ExitStatus {
        run { () throws(CommandFailure) -> ExitStatus in
            let prepared = try load(path)
            let file = parts.openSuppressionList(logPath ?? prepared.campaign.logPath)
            let removed: Bool
            do { removed = try file.remove(address) } catch { throw CommandFailure(.ioError, "\(error)") }
            guard removed else {
                throw CommandFailure(.dataError, "\(file.location): \(TerminalText.visible(address)) is not on the suppression list; nothing removed")
            }
            parts.output("\(TerminalText.visible(address.lowercased())): removed from \(file.location)")
            return .ok
        }
    }
}
