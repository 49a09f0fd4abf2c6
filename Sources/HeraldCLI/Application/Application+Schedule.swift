import Foundation
import HeraldCore

extension Application {
    /// `herald schedule`: print the next firing times of a campaign's schedule, or of a cron
    /// expression, one RFC 3339 line each, in the schedule's time zone.
    public func schedule(campaign path: String?, cron: String?, timeZone: String?, after: String?, count: Int) -> ExitStatus {
        run { () throws(CommandFailure) -> ExitStatus in
            enum Source {
                case campaign(String)
                case cron(String)
            }
            let source: Source
            switch (path, cron) {
            case (let path?, nil): source = .campaign(path)
            case (nil, let cron?): source = .cron(cron)
            default: throw CommandFailure(.usage, "give either a campaign file or --cron EXPR, not both and not neither")
            }
            guard count >= 1 && count <= 10_000 else {
                throw CommandFailure(.usage, "--count must be from 1 to 10000")
            }
            var start = parts.clock.now()
            if let after {
                guard let date = RFC5322Date.parseRFC3339(after) else {
                    throw CommandFailure(.usage, "--after: \"\(after)\" is not an RFC 3339 date-time such as 2026-12-01T09:00:00+01:00")
                }
                start = date
            }
            let schedule: Schedule
            switch source {
            case .campaign(let path):
                let campaign: Campaign
                do throws(ValidationFailure) {
                    let text = try InputFile.readText(
                        path, missing: Diagnostic(.missingInput, file: path, "campaign file not found"),
                        kind: .badConfig)
                    campaign = try Campaign.parse(text, file: path)
                } catch {
                    throw CommandFailure(error)
                }
                guard let parsed = campaign.parsedSchedule else {
                    throw CommandFailure(.config, "\(path): schedule: the campaign has no schedule; add schedule = \"0 9 * * 1-5\" or an RFC 3339 time")
                }
                schedule = parsed
            case .cron(let cron):
                do throws(Schedule.ParseError) { schedule = try Schedule(parsing: cron, timeZone: timeZone) } catch {
                    throw CommandFailure(.usage, "--cron: \(error)")
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
}
