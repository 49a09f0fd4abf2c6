import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Compares the byte-by-byte date formats with the `String(format:)` ones they replaced,
/// on instants across the whole clamped range: years before 1000 and before year 0 (C's
/// `%04d` writes `-005`), beyond 9999, fractions, NaN and the infinities.
@Suite struct RFC5322DateDifferentialTests {
    /// The formats before, kept as the reference. Do not change them.
    enum Legacy {
        static func format(_ date: Date) -> String { LegacyLetterPath.legacyDate(date) }

        static func rfc3339(_ date: Date) -> String {
            wallClock(CivilDate.wholeSeconds(date.timeIntervalSince1970)) + "Z"
        }

        static func rfc3339(_ date: Date, in timeZone: TimeZone) -> String {
            let offset = timeZone.secondsFromGMT(for: date)
            let zone = offset == 0 ? "Z" : String(format: "%@%02d:%02d", offset < 0 ? "-" : "+", abs(offset) / 3600, abs(offset) % 3600 / 60)
            return wallClock(CivilDate.wholeSeconds(date.timeIntervalSince1970) + offset) + zone
        }

        static func wallClock(_ seconds: Int) -> String {
            let parts = CivilDate.fields(ofSeconds: seconds)
            return String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year, parts.month, parts.day,
                parts.hour, parts.minute, parts.second)
        }
    }

    static let instants: [Date] = {
        var random = SplitMix(seed: 3339)
        var seconds: [Double] = [
            0, -1, -0.5, 918_000_000, 253_402_300_799, 253_402_300_800, -62_135_596_800, -62_135_596_801,
            -62_167_219_200, -62_198_755_200, -62_482_838_400, 1e15, -1e15, 2e15, -2e15, .nan, .infinity, -.infinity,
        ]
        for _ in 0..<3_000 { seconds.append(Double(random.int(-70_000_000_000...260_000_000_000)) + Double(random.int(0...999)) / 1000) }
        for _ in 0..<500 { seconds.append(Double(random.int(-1_000_000_000_000_000...1_000_000_000_000_000))) }
        return seconds.map(Date.init(timeIntervalSince1970:))
    }()

    static let zones: [TimeZone] = [
        TimeZone(identifier: "Europe/Brussels"), TimeZone(identifier: "America/St_Johns"),
        TimeZone(secondsFromGMT: -12_600), TimeZone(secondsFromGMT: 50_400), TimeZone(secondsFromGMT: 0),
        TimeZone(secondsFromGMT: -30),
    ].compactMap { $0 }

    @Test func datesMatchTheOldFormats() {
        var differing: [Date] = []
        for (index, date) in Self.instants.enumerated() {
            let zone = Self.zones[index % Self.zones.count]
            if RFC5322Date.format(date) != Legacy.format(date) || RFC5322Date.rfc3339(date) != Legacy.rfc3339(date)
                || RFC5322Date.rfc3339(date, in: zone) != Legacy.rfc3339(date, in: zone)
            {
                differing.append(date)
            }
        }
        #expect(differing.isEmpty, "\(differing.count) differ, first: \(differing.first.map { "\($0.timeIntervalSince1970)" } ?? "")")
    }
}
