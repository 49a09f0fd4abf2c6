import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// The one civil-date computation (`CivilDate`), checked against Foundation's Gregorian
/// calendar, and the date formats built on it (`RFC5322Date`), checked against the
/// Calendar-based formatting they replaced.
@Suite struct CivilDateTests {
    static let utc = TimeZone(identifier: "UTC")!

    static func calendar(_ zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    @Test func knownDays() {
        #expect(CivilDate.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilDate.days(year: 1969, month: 12, day: 31) == -1)
        #expect(CivilDate.days(year: 2000, month: 3, day: 1) - CivilDate.days(year: 2000, month: 2, day: 28) == 2)
        #expect(CivilDate.days(year: 1900, month: 3, day: 1) - CivilDate.days(year: 1900, month: 2, day: 28) == 1)
        #expect(CivilDate.days(year: 0, month: 1, day: 1) == -719_528)
        #expect(CivilDate.civil(fromDays: 0) == (1970, 1, 1))
        #expect(CivilDate.civil(fromDays: -1) == (1969, 12, 31))
        #expect(CivilDate.civil(fromDays: 11_016) == (2000, 2, 29))
        #expect(CivilDate.weekday(ofDays: 0) == 4, "1970-01-01 was a Thursday")
        #expect(CivilDate.weekday(ofDays: -1) == 3)
        #expect(CivilDate.weekday(ofDays: -4) == 0, "1969-12-28 was a Sunday")
        #expect(CivilDate.isLeap(2000) && CivilDate.isLeap(2028) && !CivilDate.isLeap(1900) && !CivilDate.isLeap(2026))
        #expect((1...12).map { CivilDate.daysIn(month: $0, year: 2026) } == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
        #expect(CivilDate.daysIn(month: 2, year: 2028) == 29)
    }

    @Test func fieldsOfSeconds() {
        #expect(CivilDate.fields(ofSeconds: 0) == .init(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, weekday: 4))
        #expect(CivilDate.fields(ofSeconds: -1) == .init(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59, weekday: 3))
        #expect(
            CivilDate.fields(ofSeconds: 1_798_761_599)
                == .init(year: 2026, month: 12, day: 31, hour: 23, minute: 59, second: 59, weekday: 4))
        #expect(CivilDate.wholeSeconds(59.9) == 59)
        #expect(CivilDate.wholeSeconds(-0.5) == -1)
        #expect(CivilDate.wholeSeconds(.infinity) == 1_000_000_000_000_000)
        #expect(CivilDate.wholeSeconds(-.infinity) == -1_000_000_000_000_000)
        #expect(CivilDate.wholeSeconds(.nan) == 0)
    }

    /// Every day number round-trips, and agrees with Foundation's Gregorian calendar (from
    /// 1583: before that, Foundation's calendar is Julian while `CivilDate` is proleptic).
    @Test func agreesWithFoundationsCalendar() throws {
        let calendar = Self.calendar(Self.utc)
        let first = CivilDate.days(year: 1583, month: 1, day: 1)
        let last = CivilDate.days(year: 9999, month: 12, day: 31)
        var random = SplitMix(seed: 1970)
        var samples = (0..<3000).map { _ in random.next(in: first...last) }
        samples += [first, last, -1, 0, 1, 11_016, 10_957]
        for dayNumber in samples {
            let (year, month, day) = CivilDate.civil(fromDays: dayNumber)
            #expect(CivilDate.days(year: year, month: month, day: day) == dayNumber)
            let date = Date(timeIntervalSince1970: Double(dayNumber) * 86_400)
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: date)
            #expect([parts.year, parts.month, parts.day] == [year, month, day], "day \(dayNumber)")
            #expect(parts.weekday.map { $0 - 1 } == CivilDate.weekday(ofDays: dayNumber), "day \(dayNumber)")
        }
    }

    // MARK: The formats built on it

    /// The `Date:` header and the log's RFC 3339 times as the Calendar-based code wrote them.
    static func calendarFormats(_ date: Date, zone: TimeZone) -> (header: String, utc: String, zoned: String)? {
        let utcParts = calendar(utc).dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let zoned = calendar(zone).dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        guard let year = utcParts.year, let month = utcParts.month, let day = utcParts.day, let hour = utcParts.hour,
            let minute = utcParts.minute, let second = utcParts.second, let weekday = utcParts.weekday,
            let zYear = zoned.year, let zMonth = zoned.month, let zDay = zoned.day, let zHour = zoned.hour,
            let zMinute = zoned.minute, let zSecond = zoned.second
        else { return nil }
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let header = String(
            format: "%@, %02d %@ %04d %02d:%02d:%02d +0000", days[weekday - 1], day, months[month - 1], year,
            hour, minute, second)
        let utcText = String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, day, hour, minute, second)
        let offset = zone.secondsFromGMT(for: date)
        let suffix = offset == 0 ? "Z" : String(format: "%@%02d:%02d", offset < 0 ? "-" : "+", abs(offset) / 3600, abs(offset) % 3600 / 60)
        let zonedText = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", zYear, zMonth, zDay, zHour, zMinute, zSecond) + suffix
        return (header, utcText, zonedText)
    }

    @Test func formatsAreThoseOfTheCalendar() throws {
        let zones = ["UTC", "Europe/Brussels", "Europe/London", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham"]
            .compactMap(TimeZone.init(identifier:))
        #expect(zones.count == 6)
        var random = SplitMix(seed: 5322)
        for _ in 0..<1500 {
            let date = Date(timeIntervalSince1970: Double(random.next(in: 0...4_102_444_800)))
            for zone in zones {
                let expected = try #require(Self.calendarFormats(date, zone: zone))
                #expect(RFC5322Date.format(date) == expected.header)
                #expect(RFC5322Date.rfc3339(date) == expected.utc)
                #expect(RFC5322Date.rfc3339(date, in: zone) == expected.zoned)
            }
        }
    }

    @Test func formatsOfKnownInstants() {
        let date = Date(timeIntervalSince1970: 918_000_000)  // 1999-02-03T00:00:00Z, a Wednesday
        #expect(RFC5322Date.format(date) == "Wed, 03 Feb 1999 00:00:00 +0000")
        #expect(RFC5322Date.rfc3339(date) == "1999-02-03T00:00:00Z")
        #expect(RFC5322Date.rfc3339(date, in: TimeZone(identifier: "Europe/Brussels")!) == "1999-02-03T01:00:00+01:00")
        #expect(RFC5322Date.rfc3339(date, in: TimeZone(identifier: "America/St_Johns")!) == "1999-02-02T20:30:00-03:30")
        // A fraction of a second never rounds up into the next second (or day).
        let lastMoment = Date(timeIntervalSince1970: 918_000_000 - 0.25)
        #expect(RFC5322Date.format(lastMoment) == "Tue, 02 Feb 1999 23:59:59 +0000")
        #expect(RFC5322Date.rfc3339(lastMoment) == "1999-02-02T23:59:59Z")
        #expect(RFC5322Date.rfc3339(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
    }
}
