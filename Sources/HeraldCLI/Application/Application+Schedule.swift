import Foundation
import HeraldCore

extension Application {
    /// `herald schedule`: print the next firing times of a campaign's schedule, or of a cron
    /// expression, one RFC 3339 line each, in the schedule's time zone.
    public func schedule(campaign path: String?, cron: String?, timeZone: String?, after: String?, count: Int) -> ExitStatus {
        guard (path == nil) != (cron == nil) else {
            parts.errors("give either a campaign file or --cron EXPR, not both and not neither")
            return .usage
        }
        guard count >= 1 && count <= 10_000 else {
            parts.errors("--count must be from 1 to 10000")
            return .usage
        }
        var start = parts.clock()
        if let after {
            guard let date = RFC5322Date.parseRFC3339(after) else {
                parts.errors("--after: \"\(after)\" is not an RFC 3339 date-time such as 2026-12-01T09:00:00+01:00")
                return .usage
            }
            start = date
        }
        let schedule: Schedule
        if let path {
            do {
                let text = try PreparedCampaign.readText(path, missing: Diagnostic(.missingInput, file: path, "campaign file not found"),
                                                         kind: .badConfig)
                let campaign = try Campaign.parse(text, file: path)
                guard let parsed = campaign.parsedSchedule else {
                    parts.errors("\(path): schedule: the campaign has no schedule; add schedule = \"0 9 * * 1-5\" or an RFC 3339 time")
                    return .config
                }
                schedule = parsed
            } catch {
                for diagnostic in error.diagnostics { parts.errors(diagnostic.description) }
                return ExitStatus(error.kind)
            }
        } else {
            do { schedule = try Schedule(parsing: cron!, timeZone: timeZone) } catch {
                parts.errors("--cron: \(error)")
                return .usage
            }
        }
        let zone: TimeZone
        switch schedule {
        case .cron(_, let tz): zone = tz
        case .once: zone = TimeZone(identifier: timeZone ?? "UTC") ?? TimeZone(identifier: "UTC")!
        }
        for date in schedule.occurrences(after: start, count: count) {
            parts.output(RFC5322Date.rfc3339(date, in: zone))
        }
        return .ok
    }
}
