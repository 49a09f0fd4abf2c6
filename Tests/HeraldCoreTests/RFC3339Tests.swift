import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// The one RFC 3339 parser (`RFC3339.parse`), and that every caller reads a text the same way:
/// a campaign's one-shot `schedule` (`Schedule`) and `--after` / logged occurrences
/// (`RFC5322Date.parseRFC3339`).
@Suite struct RFC3339Tests {
    static func seconds(_ text: String) throws -> Double {
        try RFC3339.parse(text).timeIntervalSince1970
    }

    static func reason(_ text: String) -> RFC3339.ParseError.Reason? {
        do {
            let date = try RFC3339.parse(text)
            Issue.record("accepted \(text.debugDescription) as \(date.timeIntervalSince1970)")
            return nil
        } catch {
            #expect(error.text == text)
            return error.reason
        }
    }

    // MARK: Accepted

    @Test(arguments: [
        // Z, z, and the offsets: the instant is the wall time minus the offset.
        ("1970-01-01T00:00:00Z", 0.0),
        ("1970-01-01t00:00:00z", 0.0),
        ("1970-01-01 00:00:00Z", 0.0),
        ("1970-01-01T01:00:00+01:00", 0.0),
        ("1969-12-31T19:00:00-05:00", 0.0),
        ("1970-01-01T05:30:00+05:30", 0.0),
        ("1970-01-01T00:00:00+00:00", 0.0),
        ("1970-01-01T00:00:00-00:00", 0.0),
        ("1970-01-01T23:59:00+23:59", 0.0),
        ("1969-12-31T00:01:00-23:59", 0.0),
        ("1969-12-31T23:59:59Z", -1.0),
        // Fields at their limits.
        ("2026-12-31T23:59:59Z", 1_798_761_599.0),
        ("2028-02-29T12:00:00Z", 1_835_438_400.0),
        ("2000-02-29T00:00:00Z", 951_782_400.0),
        ("0000-01-01T00:00:00Z", -62_167_219_200.0),
        ("9999-12-31T23:59:59Z", 253_402_300_799.0),
    ])
    func accepted(text: String, expected: Double) throws {
        #expect(try Self.seconds(text) == expected)
    }

    @Test func fractionalSeconds() throws {
        #expect(try Self.seconds("1970-01-01T00:00:00.5Z") == 0.5)
        #expect(try Self.seconds("1970-01-01T00:00:01.250+00:00") == 1.25)
        #expect(try Self.seconds("1970-01-01T01:00:00.75+01:00") == 0.75)
        // A Date counts from 2001, so far from it only about a microsecond survives.
        #expect(abs(try Self.seconds("1970-01-01T00:00:00.000000001Z")) < 1e-6)
        #expect(abs(try Self.seconds("1970-01-01T00:00:00.999999Z") - 0.999999) < 1e-6)
        #expect(abs(try Self.seconds("2026-12-01T09:00:00.1234567890123Z") - 1_796_115_600.123457) < 1e-6)
        #expect(try Self.seconds("2026-12-01T09:00:00.250Z") == 1_796_115_600.25)
    }

    // MARK: Refused

    @Test(arguments: [
        ("2026-02-29T09:00:00Z", "day 29 is out of range 1-28 for 2026-02"),
        ("2026-02-30T09:00:00Z", "day 30 is out of range 1-28 for 2026-02"),
        ("2028-02-30T09:00:00Z", "day 30 is out of range 1-29 for 2028-02"),
        ("1900-02-29T09:00:00Z", "day 29 is out of range 1-28 for 1900-02"),
        ("2026-04-31T09:00:00Z", "day 31 is out of range 1-30 for 2026-04"),
        ("2026-12-00T09:00:00Z", "day 0 is out of range 1-31 for 2026-12"),
        ("2026-00-10T09:00:00Z", "month 0 is out of range 1-12"),
        ("2026-13-01T09:00:00Z", "month 13 is out of range 1-12"),
        ("2026-12-01T24:00:00Z", "hour 24 is out of range 0-23"),
        ("2026-12-01T09:60:00Z", "minute 60 is out of range 0-59"),
        ("2026-12-01T09:00:61Z", "second 61 is out of range 0-59"),
        ("2026-12-31T23:59:60Z", "leap seconds (second 60) are not supported"),
        ("2026-12-01T09:00:00+24:00", "the UTC offset is out of range"),
        ("2026-12-01T09:00:00+01:60", "the UTC offset is out of range"),
        ("2026-12-01T09:00:00+0100", "the UTC offset must look like +01:00 or -05:30"),
        ("2026-12-01T09:00:00+01", "the UTC offset must look like +01:00 or -05:30"),
        ("2026-12-01T09:00:00.Z", "the fraction of a second after \".\" has no digits"),
        ("2026-12-01T09:00:00Z ", "unexpected text after the UTC offset"),
        (" 2026-12-01T09:00:00Z", "expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset such as +01:00"),
        ("2026-12-01T09:00Z", "expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset such as +01:00"),
        ("2026/12/01T09:00:00Z", "expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset such as +01:00"),
        ("2026-12-01X09:00:00Z", "expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset such as +01:00"),
        ("2026-12-01T09:00:00 CET", "expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset such as +01:00"),
        ("+2026-12-01T09:00:00Z", "expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset such as +01:00"),
        ("", "expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset such as +01:00"),
    ])
    func refused(text: String, why: String) {
        #expect(Self.reason(text) == .invalid(why))
    }

    @Test func aMissingOffsetIsItsOwnReason() {
        #expect(Self.reason("2026-12-01T09:00:00") == .missingOffset)
        #expect(Self.reason("2026-12-01T09:00:00.5") == .missingOffset)
        let error = RFC3339.ParseError(text: "2026-12-01T09:00:00", reason: .missingOffset)
        #expect(error.description == #""2026-12-01T09:00:00" has no UTC offset; add "Z" or an offset such as "+01:00""#)
    }

    // MARK: One reading for every caller

    /// Texts the old `--after` parser (Foundation's ISO8601DateFormatter) and the schedule's
    /// own parser read differently; now every caller gives the same answer.
    @Test(arguments: [
        "2026-12-01T09:00:00+01:00", "2026-12-01t09:00:00z", "2026-12-01 09:00:00Z", "2026-12-01T09:00:00.25Z",
        "2026-02-30T09:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T09:00:00+0100", "2026-12-01T09:00:00+24:00",
        "2026-12-31T23:59:60Z", "2026-13-01T09:00:00Z", "2026-12-01T09:00:00",
    ])
    func scheduleAndRFC5322DateAgree(text: String) {
        let direct = try? RFC3339.parse(text)
        #expect(RFC5322Date.parseRFC3339(text) == direct)
        let schedule = try? Schedule(parsing: text, timeZone: nil)
        #expect(schedule == direct.map(Schedule.once))
    }

    /// What Herald writes (the log's UTC times, `herald schedule`'s zoned lines) reads back as the same instant.
    @Test func formattedTimesParseBack() throws {
        // Zones whose offsets are whole minutes since 1970 (earlier local mean times have seconds).
        let zones = ["UTC", "Europe/Brussels", "America/St_Johns", "Asia/Kolkata", "Pacific/Chatham", "America/Los_Angeles"]
            .compactMap(TimeZone.init(identifier:))
        #expect(zones.count == 6)
        var random = SplitMix(seed: 3339)
        for _ in 0..<2000 {
            let utc = Date(timeIntervalSince1970: Double(random.next(in: -62_167_219_200...253_402_300_799)))
            #expect(RFC5322Date.parseRFC3339(RFC5322Date.rfc3339(utc)) == utc)
            let instant = Date(timeIntervalSince1970: Double(random.next(in: 0...4_102_444_800)))
            for zone in zones {
                let text = RFC5322Date.rfc3339(instant, in: zone)
                #expect(try RFC3339.parse(text) == instant, "\(text)")
            }
        }
    }
}
