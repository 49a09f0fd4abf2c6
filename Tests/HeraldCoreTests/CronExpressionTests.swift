import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// RFC 3339 UTC conversions for the schedule tests (the code under test has its own parser).
enum CronTestTime {
    static func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        guard let date = formatter.date(from: text) else { fatalError("bad test date \(text)") }
        return date
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, by arithmetic: a formatter per call would dominate the oracle test.
    static func text(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let day = Int((Double(seconds) / 86_400).rounded(.down))
        let (year, month, dayOfMonth) = CivilDate.civil(fromDays: day)
        let time = seconds - day * 86_400
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(dayOfMonth))T\(two(time / 3600)):\(two(time / 60 % 60)):\(two(time % 60))Z"
    }

    /// `count` firings after `start`, as UTC strings, stopping early at nil.
    static func firings(_ expression: CronExpression, zone: TimeZone, after start: Date, count: Int) -> [String] {
        var result: [String] = []
        var cursor = start
        while result.count < count, let next = expression.next(after: cursor, in: zone) {
            result.append(text(next))
            cursor = next
        }
        return result
    }
}

@Suite struct CronExpressionTests {
    static let utc = TimeZone(identifier: "UTC")!

    // MARK: Valid expressions and when they fire (UTC; worked out by hand from a calendar)

    @Test(arguments: [
        ("* * * * *", "2026-01-01T00:00:30Z", ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"]),
        (
            "*/15 * * * *", "2026-01-01T00:07:30Z",
            ["2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"]
        ),
        ("5/10 * * * *", "2026-01-01T00:50:00Z", ["2026-01-01T00:55:00Z", "2026-01-01T01:05:00Z", "2026-01-01T01:15:00Z"]),
        (
            "1-30/7 * * * *", "2026-01-01T00:00:00Z",
            [
                "2026-01-01T00:01:00Z", "2026-01-01T00:08:00Z", "2026-01-01T00:15:00Z", "2026-01-01T00:22:00Z",
                "2026-01-01T00:29:00Z", "2026-01-01T01:01:00Z",
            ]
        ),
        ("59/15 * * * *", "2026-01-01T00:00:00Z", ["2026-01-01T00:59:00Z", "2026-01-01T01:59:00Z"]),
        (
            "0,30 9-10 * * *", "2026-01-01T09:00:00Z",
            ["2026-01-01T09:30:00Z", "2026-01-01T10:00:00Z", "2026-01-01T10:30:00Z", "2026-01-02T09:00:00Z"]
        ),
        // 2026-01-02 is a Friday.
        ("0 9 * * MON-FRI", "2026-01-02T10:00:00Z", ["2026-01-05T09:00:00Z", "2026-01-06T09:00:00Z"]),
        ("0 9 * * mon-fri", "2026-01-02T08:00:00Z", ["2026-01-02T09:00:00Z", "2026-01-05T09:00:00Z"]),
        ("0 0 * * 7", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
        ("0 0 * * 0", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
        (
            "0 0 * * 5-7", "2026-01-01T00:00:00Z",
            ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-09T00:00:00Z"]
        ),
        (
            "0 0 * * SUN/2", "2026-01-01T00:00:00Z",
            ["2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-06T00:00:00Z"]
        ),
        ("0 12 1 JAN,jul *", "2026-01-01T12:00:00Z", ["2026-07-01T12:00:00Z", "2027-01-01T12:00:00Z"]),
        ("0 0 1 */4 *", "2026-01-01T00:00:00Z", ["2026-05-01T00:00:00Z", "2026-09-01T00:00:00Z", "2027-01-01T00:00:00Z"]),
        ("0 0 31 * *", "2026-01-01T00:00:00Z", ["2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"]),
        ("0 0 29 2 *", "2026-01-01T00:00:00Z", ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]),
        (
            "0 0 28-31 * *", "2026-02-01T00:00:00Z",
            ["2026-02-28T00:00:00Z", "2026-03-28T00:00:00Z", "2026-03-29T00:00:00Z"]
        ),
        // Both day fields restricted: either may match (Friday the 2nd, 9th, the 13th, Friday the 16th).
        (
            "0 0 13 * FRI", "2026-01-01T00:00:00Z",
            ["2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z"]
        ),
        (
            "0 0 */10 * 1", "2026-01-01T00:00:00Z",
            ["2026-01-05T00:00:00Z", "2026-01-11T00:00:00Z", "2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z"]
        ),
        // One day field unrestricted: both must match.
        ("0 0 13 * *", "2026-01-01T00:00:00Z", ["2026-01-13T00:00:00Z", "2026-02-13T00:00:00Z"]),
        ("0 0 1 * 1,*", "2026-01-01T00:00:00Z", ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]),
        // croniter's reading of a full day field: "1-31" beside "*/2" is unrestricted (weekdays 0,2,4,6) …
        (
            "0 0 1-31 * */2", "2026-01-01T00:00:00Z",
            ["2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-06T00:00:00Z"]
        ),
        // … while "*/1" beside "MON" is restricted, so the OR makes it every day.
        (
            "0 0 */1 * MON", "2026-01-01T00:00:00Z",
            ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z"]
        ),
        // An equal range is that one value (croniter would read the whole field).
        ("5-5 * * * *", "2026-01-01T00:00:00Z", ["2026-01-01T00:05:00Z", "2026-01-01T01:05:00Z"]),
        ("@hourly", "2026-01-01T00:00:00Z", ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"]),
        ("@daily", "2026-01-01T00:00:00Z", ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]),
        ("@midnight", "2026-01-01T12:00:00Z", ["2026-01-02T00:00:00Z"]),
        ("@weekly", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
        ("@monthly", "2026-01-01T00:00:00Z", ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]),
        ("@yearly", "2026-01-01T00:00:00Z", ["2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"]),
        ("@ANNUALLY", "2026-06-01T00:00:00Z", ["2027-01-01T00:00:00Z"]),
        ("  0\t0  * * *  ", "2026-12-31T23:59:59Z", ["2027-01-01T00:00:00Z"]),
        ("00 07 * * *", "2026-01-01T00:00:00Z", ["2026-01-01T07:00:00Z"]),
        ("0 0 30 2 *", "2026-01-01T00:00:00Z", []),
    ])
    func validExpressionFires(expression: String, start: String, expected: [String]) throws {
        let cron = try CronExpression(parsing: expression)
        let fired = CronTestTime.firings(cron, zone: Self.utc, after: CronTestTime.date(start), count: max(expected.count, 1))
        #expect(fired == expected)
    }

    // MARK: Invalid expressions and what they say

    @Test(arguments: [
        (
            "* * * *", "expression",
            #"expression: "* * * *" has 4 fields; expected 5 (minute hour day-of-month month day-of-week)"#
        ),
        (
            "0 * * * * *", "expression",
            #"expression: "0 * * * * *" has 6 fields; expected 5 (minute hour day-of-month month day-of-week); a seconds field is not supported"#
        ),
        ("", "expression", #"expression: "" has 0 fields; expected 5 (minute hour day-of-month month day-of-week)"#),
        ("60 * * * *", "minute", #"minute: "60" is out of range 0-59"#),
        ("0 25 * * *", "hour", #"hour: "25" is out of range 0-23"#),
        ("0 1-24 * * *", "hour", #"hour: "24" is out of range 0-23"#),
        ("0 0 0 * *", "day-of-month", #"day-of-month: "0" is out of range 1-31"#),
        ("0 0 32 * *", "day-of-month", #"day-of-month: "32" is out of range 1-31"#),
        ("0 0 * 13 *", "month", #"month: "13" is out of range 1-12"#),
        ("0 0 * 0 *", "month", #"month: "0" is out of range 1-12"#),
        ("0 0 * * 8", "day-of-week", #"day-of-week: "8" is out of range 0-7"#),
        ("0 0 * * 99999999999999999999", "day-of-week", #"day-of-week: "99999999999999999999" is out of range 0-7"#),
        ("5-1 * * * *", "minute", #"minute: "5-1" is an inverted range (5 is after 1); write the lower bound first"#),
        (
            "0 0 * * FRI-MON", "day-of-week",
            #"day-of-week: "FRI-MON" is an inverted range (5 is after 1); write the lower bound first"#
        ),
        ("0 0 * DEC-JAN *", "month", #"month: "DEC-JAN" is an inverted range (12 is after 1); write the lower bound first"#),
        ("*/0 * * * *", "minute", #"minute: "*/0" has a step of 0; steps must be 1 or more"#),
        ("0 1-5/00 * * *", "hour", #"hour: "1-5/00" has a step of 0; steps must be 1 or more"#),
        ("*/-5 * * * *", "minute", #"minute: "*/-5" has a negative step; steps must be 1 or more"#),
        ("*/x * * * *", "minute", #"minute: "*/x" has a step that is not a number"#),
        ("0 9-17/ * * *", "hour", #"hour: "9-17/" has an empty step"#),
        ("*/5/2 * * * *", "minute", #"minute: "*/5/2" has more than one step ("/")"#),
        ("/5 * * * *", "minute", #"minute: "/5" has no value before the step"#),
        ("1,,2 * * * *", "minute", #"minute: "1,,2" has an empty list item"#),
        ("0 1, * * *", "hour", #"hour: "1," has an empty list item"#),
        ("0 0 ,1 * *", "day-of-month", #"day-of-month: ",1" has an empty list item"#),
        ("-5 * * * *", "minute", #"minute: "-5" is negative; values start at 0"#),
        ("0 0 1- * *", "day-of-month", #"day-of-month: "1-" is a range with no upper bound"#),
        ("1-2-3 * * * *", "minute", #"minute: "1-2-3" is not a valid range (one "-" between two values)"#),
        ("0 0 * JANUARY *", "month", #"month: "JANUARY" is not a number or a month name (JAN-DEC)"#),
        ("0 0 * * FOO", "day-of-week", #"day-of-week: "FOO" is not a number or a day name (SUN-SAT)"#),
        ("0 0 * MON *", "month", #"month: "MON" is not a number or a month name (JAN-DEC)"#),
        ("0 0 * * JAN", "day-of-week", #"day-of-week: "JAN" is not a number or a day name (SUN-SAT)"#),
        ("MON * * * *", "minute", #"minute: "MON" is not a number"#),
        ("0 0 L * *", "day-of-month", #"day-of-month: "L" is not a number"#),
        ("0 0 ? * *", "day-of-month", #"day-of-month: "?" is not a number"#),
        ("0 0 * * 1#2", "day-of-week", #"day-of-week: "1#2" is not a number or a day name (SUN-SAT)"#),
        ("0 0 15W * *", "day-of-month", #"day-of-month: "15W" is not a number"#),
        ("H * * * *", "minute", #"minute: "H" is not a number"#),
        (
            "@reboot", "expression",
            #"expression: "@reboot" is not supported: a campaign schedule needs times, and @reboot has none"#
        ),
        (
            "@fortnightly", "expression",
            #"expression: "@fortnightly" is not a known macro (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)"#
        ),
        (
            "@daily 0", "expression",
            #"expression: "@daily 0" is not a known macro (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)"#
        ),
    ])
    func invalidExpressionIsRejected(expression: String, field: String, message: String) {
        do {
            let accepted = try CronExpression(parsing: expression)
            Issue.record("accepted \(expression.debugDescription) as \(accepted)")
        } catch {
            #expect(error.field == field)
            #expect(error.description == message)
        }
    }

    @Test func descriptionIsTheTrimmedSourceText() throws {
        #expect(try CronExpression(parsing: " */15 9-17 * * MON-FRI ").description == "*/15 9-17 * * MON-FRI")
        #expect(try CronExpression(parsing: "@Weekly").description == "@Weekly")
        #expect("\(try CronExpression(parsing: "0 9 * * *"))" == "0 9 * * *")
    }

    @Test(arguments: [
        ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"), ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@hourly", "0 * * * *"),
    ])
    func macroFiresLikeItsExpansion(macro: String, expansion: String) throws {
        let zone = TimeZone(identifier: "Europe/Brussels")!
        let start = CronTestTime.date("2026-03-20T10:00:00Z")
        let fromMacro = CronTestTime.firings(try CronExpression(parsing: macro), zone: zone, after: start, count: 30)
        let fromFields = CronTestTime.firings(try CronExpression(parsing: expansion), zone: zone, after: start, count: 30)
        #expect(fromMacro == fromFields)
        #expect(fromMacro.count == 30)
    }

    @Test func equalityFollowsTheText() throws {
        #expect(try CronExpression(parsing: "0 9 * * 1") == CronExpression(parsing: "0 9 * * 1"))
        #expect(try CronExpression(parsing: "0 9 * * 1") != CronExpression(parsing: "0 10 * * 1"))
    }

    @Test func nextIsStrictlyAfterTheStartEvenOnAFiringMinute() throws {
        let cron = try CronExpression(parsing: "0 9 * * *")
        let nine = CronTestTime.date("2026-05-04T09:00:00Z")
        #expect(cron.next(after: nine, in: Self.utc) == CronTestTime.date("2026-05-05T09:00:00Z"))
        #expect(cron.next(after: nine.addingTimeInterval(-0.001), in: Self.utc) == nine)
    }

    // MARK: Daylight saving (expected values are croniter 7's; see CronExpression.next)

    @Test(arguments: [
        // Brussels spring forward, 2026-03-29 02:00 CET → 03:00 CEST: a skipped 02:30 fires at 03:00 CEST.
        (
            "Europe/Brussels", "30 2 * * *", "2026-03-28T23:00:00Z",
            ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]
        ),
        // … but with an hour field of "*" the skipped times are dropped.
        (
            "Europe/Brussels", "0 * * * *", "2026-03-28T23:00:00Z",
            ["2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"]
        ),
        // Skipped 02:00-02:45 collapse into the single 03:00 CEST.
        (
            "Europe/Brussels", "*/15 1-3 * * *", "2026-03-28T23:30:00Z",
            [
                "2026-03-29T00:00:00Z", "2026-03-29T00:15:00Z", "2026-03-29T00:30:00Z", "2026-03-29T00:45:00Z",
                "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z",
            ]
        ),
        // Brussels fall back, 2026-10-25 03:00 CEST → 02:00 CET: the repeated 02:30 fires in both passes.
        (
            "Europe/Brussels", "30 2 * * *", "2026-10-24T22:00:00Z",
            ["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z"]
        ),
        (
            "Europe/Brussels", "0 * * * *", "2026-10-24T22:30:00Z",
            ["2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"]
        ),
        (
            "Europe/Brussels", "*/15 1-3 * * *", "2026-10-25T00:40:00Z",
            [
                "2026-10-25T00:45:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:15:00Z", "2026-10-25T01:30:00Z",
                "2026-10-25T01:45:00Z", "2026-10-25T02:00:00Z",
            ]
        ),
        // Starting in the second pass of the repeated hour.
        ("Europe/Brussels", "15 2 * * *", "2026-10-25T01:10:00Z", ["2026-10-25T01:15:00Z", "2026-10-26T01:15:00Z"]),
        // London spring forward, 2026-03-29 01:00 GMT → 02:00 BST: a skipped 01:30 fires at 02:00 BST.
        ("Europe/London", "30 1 * * *", "2026-03-29T00:00:00Z", ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]),
        ("Europe/London", "30 2 * * *", "2026-03-29T00:00:00Z", ["2026-03-29T01:30:00Z", "2026-03-30T01:30:00Z"]),
        ("Europe/London", "0 * * * *", "2026-03-28T23:30:00Z", ["2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z"]),
        // London fall back, 2026-10-25 02:00 BST → 01:00 GMT: 01:30 fires twice, 02:30 once.
        (
            "Europe/London", "30 1 * * *", "2026-10-24T23:00:00Z",
            ["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z"]
        ),
        ("Europe/London", "30 2 * * *", "2026-10-24T23:00:00Z", ["2026-10-25T02:30:00Z", "2026-10-26T02:30:00Z"]),
        (
            "Europe/London", "*/15 1-3 * * *", "2026-10-25T00:40:00Z",
            [
                "2026-10-25T00:45:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:15:00Z", "2026-10-25T01:30:00Z",
                "2026-10-25T01:45:00Z", "2026-10-25T02:00:00Z",
            ]
        ),
    ])
    func daylightSaving(zone: String, expression: String, start: String, expected: [String]) throws {
        let cron = try CronExpression(parsing: expression)
        let fired = CronTestTime.firings(
            cron, zone: TimeZone(identifier: zone)!, after: CronTestTime.date(start),
            count: expected.count)
        #expect(fired == expected)
    }

    // MARK: croniter as the outside oracle

    /// One expression × start case sent to `Tests/Support/cron_oracle.py`.
    struct OracleCase: Codable, Sendable {
        var expr: String
        var tz: String
        var start: String
        var count: Int
    }

    @Test func agreesWithCroniter() throws {
        let cases = CronCaseGenerator.cases()
        let folder = TemporaryDirectory("herald-cron")
        let input = folder.write("cases.json", String(decoding: try JSONEncoder().encode(cases), as: UTF8.self))
        let clock = ContinuousClock()
        let began = clock.now
        let oracle = try Subprocess.run(PackagePaths.python, [PackagePaths.path("Tests/Support/cron_oracle.py"), input])
        try #require(oracle.status == 0, "cron_oracle.py failed (is croniter installed? `pip install croniter`): \(oracle)")
        let expected = try JSONDecoder().decode([[String]].self, from: Data(oracle.stdout.utf8))
        try #require(expected.count == cases.count)

        let oracleTime = clock.now - began
        var mismatches: [String] = []
        var firings = 0
        for (index, oracleCase) in cases.enumerated() {
            let cron = try CronExpression(parsing: oracleCase.expr)
            let fired = CronTestTime.firings(
                cron, zone: TimeZone(identifier: oracleCase.tz)!,
                after: CronTestTime.date(oracleCase.start), count: oracleCase.count)
            firings += expected[index].count
            if fired != expected[index] {
                mismatches.append(
                    "\(oracleCase.expr.debugDescription) in \(oracleCase.tz) after \(oracleCase.start):\n"
                        + "  croniter \(expected[index])\n  herald   \(fired)")
            }
        }
        let differing = mismatches.count
        #expect(differing == 0, "\(differing) of \(cases.count) cases differ:\n\(mismatches.prefix(15).joined(separator: "\n"))")
        print(
            "cron oracle: compared \(cases.count) expression×start cases (\(firings) firing times) with croniter, \(mismatches.count) differ; croniter took \(oracleTime), Herald \(clock.now - began - oracleTime)"
        )
        // README ("Schedules") quotes the printed line: change it with these counts.
        #expect(cases.count == 2922)
        #expect(firings == 23024)
    }
}

/// A deterministic mix of cron expressions and start times for the croniter comparison.
///
/// Expressions mix lists, ranges, steps, names and macros, with values biased towards
/// the small hours (where daylight saving changes happen) and month ends. The spellings
/// where Herald deliberately reads the text differently from croniter (equal ranges such as
/// `5-5`, a day-of-week step from 7) are not generated.
enum CronCaseGenerator {
    /// The shared deterministic generator (HeraldTestSupport).
    typealias Random = SplitMix

    struct FieldShape {
        var low: Int
        var high: Int
        /// Top of an open step (`N/s`): 6 for day-of-week.
        var stepTop: Int
        var starPercent: Int
        var favourites: [Int]
        var names: [String]  // index = value - nameBase
        var nameBase: Int
        var fullSpellings: [String]
    }

    static let minute = FieldShape(
        low: 0, high: 59, stepTop: 59, starPercent: 15, favourites: [0, 0, 15, 30, 45, 59, 5],
        names: [], nameBase: 0, fullSpellings: [])
    static let hour = FieldShape(
        low: 0, high: 23, stepTop: 23, starPercent: 30, favourites: [0, 1, 2, 2, 3, 4, 23],
        names: [], nameBase: 0, fullSpellings: [])
    static let dayOfMonth = FieldShape(
        low: 1, high: 31, stepTop: 31, starPercent: 55,
        favourites: [1, 15, 28, 29, 29, 30, 31, 31, 25],
        names: [], nameBase: 1, fullSpellings: ["*/1", "1-31", "1-31/1"])
    static let month = FieldShape(
        low: 1, high: 12, stepTop: 12, starPercent: 60, favourites: [2, 3, 10, 12, 1],
        names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
        nameBase: 1, fullSpellings: ["1-12", "*/1"])
    static let dayOfWeek = FieldShape(
        low: 0, high: 7, stepTop: 6, starPercent: 55, favourites: [0, 1, 5, 6, 7],
        names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
        nameBase: 0, fullSpellings: ["0-6", "0-7", "*/1", "SUN-SAT", "sun-7"])

    static let macros = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@Daily", "@HOURLY"]

    /// Written by hand: the daylight-saving shapes the brief names, and their neighbours.
    static let fixedExpressions = [
        "30 2 * * *", "0 * * * *", "*/15 1-3 * * *", "15 1-3 * * *", "0 2 * * *", "30 1 * * *", "59 1 * * *",
        "*/30 * * * *", "0 1,2,3 * * *", "30 2,3 * * *", "*/20 2 * * *", "* 2 * * *", "* * * * *", "0 3 * * *",
        "45 0-3 * * SUN", "0 2 25 10 *", "30 2 29 3 *", "0 0 1 * *", "0 9 * * MON-FRI", "0 0 29 2 *", "0 0 30 2 *",
        "0 0 31 4,6,9,11 *", "0 0 13 * FRI", "0 0 1-31 * */2", "0 0 */1 * MON", "0 12 * * 5-7", "0 0 * * 1-7/2",
        "0 0 31 * *", "0,30 0-4 * * *", "59 23 31 12 *", "0 0 * * 1,*",
    ]

    /// The start instants, each with its zone: DST weeks, month and year ends, a leap day.
    static let starts: [(zone: String, start: String)] = [
        ("Europe/Brussels", "2026-03-28T21:17:00Z"),  // Saturday evening before spring forward
        ("Europe/Brussels", "2026-03-29T00:40:00Z"),  // 01:40 CET, just before the gap
        ("Europe/Brussels", "2026-10-24T22:05:00Z"),  // 00:05 CEST on the fall-back day
        ("Europe/Brussels", "2026-10-25T00:40:00Z"),  // 02:40 CEST, first pass of the repeated hour
        ("Europe/Brussels", "2026-10-25T01:10:00Z"),  // 02:10 CET, second pass
        ("Europe/Brussels", "2027-03-27T23:59:00Z"),
        ("Europe/Brussels", "2027-10-30T23:30:00Z"),  // 01:30 CEST on 2027-10-31
        ("Europe/Brussels", "2028-02-28T22:59:30Z"),  // 23:59:30 before the leap day
        ("Europe/London", "2026-03-28T22:00:00Z"),
        ("Europe/London", "2026-03-29T00:20:00Z"),  // 00:20 GMT, before the gap
        ("Europe/London", "2026-10-25T00:20:00Z"),  // 01:20 BST, first pass
        ("Europe/London", "2026-10-25T01:20:00Z"),  // 01:20 GMT, second pass
        ("Europe/London", "2027-03-28T00:59:59Z"),
        ("Europe/London", "2027-10-30T23:00:00Z"),
        ("Europe/London", "2026-12-31T23:44:00Z"),  // year end
        ("UTC", "2026-01-31T23:59:00Z"),  // month end
        ("UTC", "2028-02-29T00:00:00Z"),  // leap day
        ("UTC", "2026-12-31T23:59:59.500Z"),
        ("America/New_York", "2026-03-08T06:30:00Z"),  // 01:30 EST before spring forward
        ("America/New_York", "2026-11-01T05:30:00Z"),  // 01:30 EDT, first pass
        ("Australia/Sydney", "2026-04-04T15:30:00Z"),  // 02:30 AEDT, first pass of the repeated hour
        ("Australia/Sydney", "2026-10-03T15:30:00Z"),  // 01:30 AEST before spring forward
    ]

    static func cases(
        seed: UInt64 = 0x4845_5241_4C44, generated: Int = 320, startsPerExpression: Int = 7,
        count: Int = 8
    ) -> [CronExpressionTests.OracleCase] {
        var random = Random(seed: seed)
        var result: [CronExpressionTests.OracleCase] = []
        for expression in fixedExpressions {
            for (zone, start) in starts {
                result.append(.init(expr: expression, tz: zone, start: start, count: count))
            }
        }
        for _ in 0..<generated {
            let expression = random.chance(5) ? random.pick(macros) : self.expression(&random)
            for _ in 0..<startsPerExpression {
                let (zone, start) = random.pick(starts)
                result.append(.init(expr: expression, tz: zone, start: start, count: count))
            }
        }
        return result
    }

    static func expression(_ random: inout Random) -> String {
        [
            field(minute, &random), field(hour, &random), field(dayOfMonth, &random), field(month, &random),
            field(dayOfWeek, &random),
        ].joined(separator: " ")
    }

    static func field(_ shape: FieldShape, _ random: inout Random) -> String {
        if random.chance(shape.starPercent) { return "*" }
        if !shape.fullSpellings.isEmpty && random.chance(8) { return random.pick(shape.fullSpellings) }
        let items = random.chance(25) ? random.int(2...3) : 1
        return (0..<items).map { _ in item(shape, &random) }.joined(separator: ",")
    }

    static func value(_ shape: FieldShape, in range: ClosedRange<Int>, _ random: inout Random) -> Int {
        let favourites = shape.favourites.filter { range.contains($0) }
        if !favourites.isEmpty && random.chance(45) { return random.pick(favourites) }
        return random.int(range)
    }

    static func spell(_ value: Int, _ shape: FieldShape, _ random: inout Random) -> String {
        let index = value - shape.nameBase
        if !shape.names.isEmpty && index >= 0 && index < shape.names.count && random.chance(40) {
            let name = shape.names[index]
            return random.chance(50) ? name : name.lowercased()
        }
        if value < 10 && random.chance(8) { return "0\(value)" }
        return String(value)
    }

    static func item(_ shape: FieldShape, _ random: inout Random) -> String {
        let span = shape.stepTop - shape.low + 1
        switch random.int(0...9) {
        case 0...3:
            return spell(value(shape, in: shape.low...shape.high, &random), shape, &random)
        case 4...5:
            let first = value(shape, in: shape.low...(shape.high - 1), &random)
            let last = value(shape, in: (first + 1)...shape.high, &random)
            return spell(first, shape, &random) + "-" + spell(last, shape, &random)
        case 6:
            return "*/\(random.int(1...max(2, span)))"
        case 7...8:
            let first = value(shape, in: shape.low...(shape.high - 1), &random)
            let last = value(shape, in: (first + 1)...shape.high, &random)
            return spell(first, shape, &random) + "-" + spell(last, shape, &random) + "/\(random.int(1...max(2, span / 2)))"
        default:
            let first = value(shape, in: shape.low...shape.stepTop, &random)
            return spell(first, shape, &random) + "/\(random.int(1...max(2, span / 2)))"
        }
    }
}
