import Foundation
import Testing

@testable import HeraldCore

@Suite struct ScheduleTests {
    // MARK: One-shot instants

    @Test(arguments: [
        ("2026-12-01T09:00:00+01:00", "2026-12-01T08:00:00Z"),
        ("2026-12-01T09:00:00Z", "2026-12-01T09:00:00Z"),
        ("2026-12-01t09:00:00z", "2026-12-01T09:00:00Z"),
        ("2026-12-01 09:00:00-05:30", "2026-12-01T14:30:00Z"),
        ("2026-12-01T00:30:00+02:00", "2026-11-30T22:30:00Z"),
        ("2028-02-29T23:59:59+00:00", "2028-02-29T23:59:59Z"),
        ("  2027-01-01T00:00:00Z\n", "2027-01-01T00:00:00Z"),
    ])
    func oneShotInstant(text: String, utc: String) throws {
        let schedule = try Schedule(parsing: text, timeZone: nil)
        #expect(schedule == .once(CronTestTime.date(utc)))
    }

    @Test func fractionalSecondsAreKept() throws {
        let schedule = try Schedule(parsing: "2026-12-01T09:00:00.250+01:00", timeZone: "Europe/Brussels")
        #expect(schedule == .once(CronTestTime.date("2026-12-01T08:00:00.250Z")))
    }

    @Test(arguments: [
        (
            "2026-12-01T09:00:00",
            #""2026-12-01T09:00:00" has no UTC offset; add "Z" or an offset such as "+01:00" (or give a cron expression with a time zone)"#
        ),
        ("2026-12-01", #""2026-12-01" is not a valid RFC 3339 date-time: expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset such as +01:00"#),
        (
            "2026-12-01T09:00+01:00",
            #""2026-12-01T09:00+01:00" is not a valid RFC 3339 date-time: expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset such as +01:00"#
        ),
        ("2026-13-01T09:00:00Z", #""2026-13-01T09:00:00Z" is not a valid RFC 3339 date-time: month 13 is out of range 1-12"#),
        ("2026-02-29T09:00:00Z", #""2026-02-29T09:00:00Z" is not a valid RFC 3339 date-time: day 29 is out of range 1-28 for 2026-02"#),
        ("2026-04-31T09:00:00Z", #""2026-04-31T09:00:00Z" is not a valid RFC 3339 date-time: day 31 is out of range 1-30 for 2026-04"#),
        ("2026-12-01T24:00:00Z", #""2026-12-01T24:00:00Z" is not a valid RFC 3339 date-time: hour 24 is out of range 0-23"#),
        ("2026-12-01T09:60:00Z", #""2026-12-01T09:60:00Z" is not a valid RFC 3339 date-time: minute 60 is out of range 0-59"#),
        ("2026-12-31T23:59:60Z", #""2026-12-31T23:59:60Z" is not a valid RFC 3339 date-time: leap seconds (second 60) are not supported"#),
        ("2026-12-01T09:00:00+1:00", #""2026-12-01T09:00:00+1:00" is not a valid RFC 3339 date-time: the UTC offset must look like +01:00 or -05:30"#),
        ("2026-12-01T09:00:00+0100", #""2026-12-01T09:00:00+0100" is not a valid RFC 3339 date-time: the UTC offset must look like +01:00 or -05:30"#),
        ("2026-12-01T09:00:00+24:00", #""2026-12-01T09:00:00+24:00" is not a valid RFC 3339 date-time: the UTC offset is out of range"#),
        ("2026-12-01T09:00:00Z please", #""2026-12-01T09:00:00Z please" is not a valid RFC 3339 date-time: unexpected text after the UTC offset"#),
        ("2026-12-01T09:00:00.Z", #""2026-12-01T09:00:00.Z" is not a valid RFC 3339 date-time: the fraction of a second after "." has no digits"#),
        (
            "2026-12-01T09:00:00 CET",
            #""2026-12-01T09:00:00 CET" is not a valid RFC 3339 date-time: expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset such as +01:00"#
        ),
    ])
    func invalidInstantIsRejected(text: String, message: String) {
        do {
            let schedule = try Schedule(parsing: text, timeZone: nil)
            Issue.record("accepted \(text.debugDescription) as \(schedule)")
        } catch {
            #expect(error.message == message)
            #expect(error.description == message)
        }
    }

    // MARK: Cron schedules and zones

    @Test func cronWithAZone() throws {
        let schedule = try Schedule(parsing: "0 9 * * MON", timeZone: "Europe/Brussels")
        #expect(schedule == .cron(try CronExpression(parsing: "0 9 * * MON"), TimeZone(identifier: "Europe/Brussels")!))
    }

    @Test func cronWithoutAZoneIsUTC() throws {
        let schedule = try Schedule(parsing: "@daily", timeZone: nil)
        guard case .cron(let expression, let zone) = schedule else {
            Issue.record("expected a cron schedule, got \(schedule)")
            return
        }
        #expect(expression.description == "@daily")
        #expect(zone.secondsFromGMT(for: CronTestTime.date("2026-07-01T00:00:00Z")) == 0)
        #expect(schedule.next(after: CronTestTime.date("2026-07-01T10:00:00Z")) == CronTestTime.date("2026-07-02T00:00:00Z"))
    }

    @Test func invalidCronNamesTheField() {
        do {
            _ = try Schedule(parsing: "0 25 * * *", timeZone: "Europe/London")
            Issue.record("accepted hour 25")
        } catch {
            #expect(error.message == #"invalid cron expression "0 25 * * *": hour: "25" is out of range 0-23"#)
        }
    }

    @Test func emptyTextIsRejected() {
        #expect(throws: Schedule.ParseError.self) { try Schedule(parsing: "  ", timeZone: nil) }
    }

    @Test(arguments: ["Europe/Brusels", "europe/brussels", "Mars/Olympus_Mons", "", "GMT+1", "UTC-05:00"])
    func unknownZoneIsNamed(zone: String) {
        for text in ["0 9 * * *", "2026-12-01T09:00:00Z"] {
            do {
                let schedule = try Schedule(parsing: text, timeZone: zone)
                Issue.record("accepted zone \(zone.debugDescription) as \(schedule)")
            } catch {
                #expect(error.message == "unknown time zone \"\(zone)\"; use an IANA name such as \"Europe/Brussels\" or \"UTC\"")
            }
        }
    }

    @Test(arguments: ["UTC", "Europe/Brussels", "Europe/London", "America/New_York", "Asia/Kolkata", "Etc/UTC"])
    func knownZoneIsAccepted(zone: String) throws {
        let schedule = try Schedule(parsing: "0 9 * * *", timeZone: zone)
        #expect(schedule == .cron(try CronExpression(parsing: "0 9 * * *"), TimeZone(identifier: zone)!))
    }

    // MARK: next and occurrences

    @Test func oneShotFiresOnceAndOnlyInTheFuture() {
        let instant = CronTestTime.date("2026-12-01T08:00:00Z")
        let schedule = Schedule.once(instant)
        #expect(schedule.next(after: instant.addingTimeInterval(-1)) == instant)
        #expect(schedule.next(after: instant) == nil)
        #expect(schedule.next(after: instant.addingTimeInterval(1)) == nil)
        #expect(schedule.occurrences(after: instant.addingTimeInterval(-3600), count: 5) == [instant])
        #expect(schedule.occurrences(after: instant, count: 5) == [])
        #expect(schedule.occurrences(after: instant.addingTimeInterval(-3600), count: 0) == [])
    }

    @Test func cronOccurrencesFollowTheZone() throws {
        // 09:00 Brussels time is 08:00 UTC in winter and 07:00 UTC in summer; Mondays around the March change.
        let schedule = try Schedule(parsing: "0 9 * * MON", timeZone: "Europe/Brussels")
        let fired = schedule.occurrences(after: CronTestTime.date("2026-03-17T00:00:00Z"), count: 3).map(CronTestTime.text)
        #expect(fired == ["2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z", "2026-04-06T07:00:00Z"])
        #expect(schedule.next(after: CronTestTime.date("2026-03-17T00:00:00Z")) == CronTestTime.date("2026-03-23T08:00:00Z"))
    }

    @Test func occurrencesStopWhenTheScheduleRunsOut() throws {
        let never = Schedule.cron(try CronExpression(parsing: "0 0 30 2 *"), TimeZone(identifier: "UTC")!)
        #expect(never.next(after: CronTestTime.date("2026-01-01T00:00:00Z")) == nil)
        #expect(never.occurrences(after: CronTestTime.date("2026-01-01T00:00:00Z"), count: 3) == [])
        #expect(try Schedule(parsing: "* * * * *", timeZone: nil).occurrences(after: Date(), count: -1) == [])
    }

    @Test func occurrencesAreStrictlyIncreasing() throws {
        let schedule = try Schedule(parsing: "*/7 1-3 * * *", timeZone: "Europe/London")
        let fired = schedule.occurrences(after: CronTestTime.date("2026-10-24T23:00:00Z"), count: 60)
        #expect(fired.count == 60)
        #expect(zip(fired, fired.dropFirst()).allSatisfy { $0 < $1 })
    }
}
