import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Cron expressions that can never fire (a day of month no selected month has) are refused
/// when a schedule is parsed, with the months and days named.
@Suite struct CronNeverFiresTests {
    @Test(arguments: [
        ("0 0 30 2 *", "February has no 30th"),
        ("0 0 31 2 *", "February has no 31st"),
        ("0 0 30,31 2 *", "February has no 30th or 31st"),
        ("0 0 31 4,6,9,11 *", "April, June, September and November have no 31st"),
        ("0 0 31 APR,JUN *", "April and June have no 31st"),
        ("*/5 9-17 31 2,4 *", "February and April have no 31st"),
        ("0 0 30-31 FEB *", "February has no 30th or 31st"),
    ])
    func neverFiringExpressionsAreNamed(expression: String, reason: String) throws {
        #expect(try CronExpression(parsing: expression).neverFiresReason == reason)
        #expect(throws: Schedule.ParseError(message: "the cron expression \"\(expression)\" never fires: \(reason)")) {
            try Schedule(parsing: expression, timeZone: "Europe/Brussels")
        }
    }

    @Test(arguments: [
        "0 0 29 2 *",  // leap years
        "0 0 31 1-12/2 *",  // January
        "0 0 31 */2 *",
        "0 0 30 2 MON",  // both day fields restricted: either one fires (every Monday)
        "0 0 31 4 1-5",
        "0 0 * 2 *",
        "0 0 1-31 2 *",
        "0 0 30 2,3 *",  // March 30th
        "@yearly", "@monthly", "* * * * *",
        "0 0 31 * *",
    ])
    func expressionsThatFireAreAccepted(expression: String) throws {
        #expect(try CronExpression(parsing: expression).neverFiresReason == nil)
        let schedule = try Schedule(parsing: expression, timeZone: "UTC")
        #expect(schedule.next(after: CronTestTime.date("2026-01-01T00:00:00Z")) != nil)
    }

    @Test func february29thFiresOnlyInLeapYears() throws {
        let schedule = try Schedule(parsing: "0 0 29 2 *", timeZone: "UTC")
        let fired = schedule.occurrences(after: CronTestTime.date("2026-01-01T00:00:00Z"), count: 3).map(CronTestTime.text)
        #expect(fired == ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"])
    }

    /// croniter 7 accepts these expressions and raises CroniterBadDateError ("failed to find
    /// next date") on get_next; the oracle script turns that into an empty list. Herald's
    /// refusal must match exactly the cases where croniter finds nothing.
    @Test func agreesWithCroniterOnWhichExpressionsNeverFire() throws {
        let expressions = [
            "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 29 2 *", "0 0 30 2 MON", "0 0 31 2,4 *",
            "0 0 31 1-12/2 *", "0 0 30,31 2 *", "0 0 31 */2 *", "0 0 31 9 *", "0 0 31 8 *",
        ]
        struct Case: Codable { var expr: String; var tz: String; var start: String; var count: Int }
        let folder = TemporaryDirectory("herald-cron-never")
        let cases = expressions.map { Case(expr: $0, tz: "UTC", start: "2026-01-01T00:00:00Z", count: 1) }
        let input = folder.write("cases.json", String(decoding: try JSONEncoder().encode(cases), as: UTF8.self))
        let oracle = try Subprocess.run(PackagePaths.python, [PackagePaths.path("Tests/Support/cron_oracle.py"), input])
        try #require(oracle.status == 0, "cron_oracle.py failed (is croniter installed?): \(oracle)")
        let expected = try JSONDecoder().decode([[String]].self, from: Data(oracle.stdout.utf8))
        for (expression, firings) in zip(expressions, expected) {
            let refused = try CronExpression(parsing: expression).neverFiresReason != nil
            #expect(refused == firings.isEmpty, "\(expression): croniter \(firings)")
        }
    }
}
