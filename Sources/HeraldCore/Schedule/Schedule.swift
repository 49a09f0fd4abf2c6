import Foundation

/// When a campaign fires: once at an RFC 3339 instant, or on a cron expression in an IANA time zone.
///
/// A cron schedule is always paired with a zone because "09:00 every Monday" means a
/// different instant in Brussels than in London, and moves with daylight saving; a
/// one-shot instant carries its own UTC offset and needs no zone. Pure: no clock is read,
/// callers pass the "now" they mean.
public enum Schedule: Sendable, Equatable {
    case once(Date)
    case cron(CronExpression, TimeZone)

    /// Why a schedule or its time zone was rejected, written for the person editing the campaign.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String

        public init(message: String) { self.message = message }

        public var description: String { message }
    }

    /// `text` is either RFC 3339 with offset (`2026-12-01T09:00:00+01:00`, `...Z`) or a cron expression / macro; `timeZone` an IANA name (nil = UTC). Unknown zone → error naming it.
    ///
    /// A cron expression that can never fire (`0 0 30 2 *`: February has no 30th) is refused,
    /// naming the months and days that never meet (see ``CronExpression/neverFiresReason``).
    ///
    /// Text that starts like a date (`YYYY-MM-DD`) is read as an RFC 3339 date-time and must
    /// carry `Z` or a numeric offset: a local time without one would be ambiguous, so it is
    /// refused rather than guessed. Anything else is read as a ``CronExpression``, whose
    /// error (naming the field) is passed on. The zone is checked even for a one-shot
    /// instant, so a typo in it is reported before it could matter; names are IANA names
    /// as Foundation knows them (`Europe/Brussels`, `UTC`), and Foundation's own
    /// `GMT+1`-style spellings are refused because their sign is easily confused with the
    /// opposite convention of IANA's `Etc/GMT+1`.
    public init(parsing text: String, timeZone: String?) throws(ParseError) {
        let zone = try Self.zone(named: timeZone)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            throw ParseError(message: "the schedule is empty; give an RFC 3339 time such as "
                + "\"2026-12-01T09:00:00+01:00\" or a cron expression such as \"0 9 * * MON\"")
        }
        if Self.looksLikeDate(trimmed) {
            self = .once(try Self.instant(rfc3339: trimmed))
            return
        }
        let expression: CronExpression
        do {
            expression = try CronExpression(parsing: trimmed)
        } catch {
            throw ParseError(message: "invalid cron expression \"\(trimmed)\": \(error)")
        }
        if let reason = expression.neverFiresReason {
            throw ParseError(message: "the cron expression \"\(trimmed)\" never fires: \(reason)")
        }
        self = .cron(expression, zone)
    }

    /// The next firing strictly after `date`; for a one-shot schedule, its instant if that is later than `date`, else nil.
    public func next(after date: Date) -> Date? {
        switch self {
        case .once(let instant):
            return instant > date ? instant : nil
        case .cron(let expression, let zone):
            return expression.next(after: date, in: zone)
        }
    }

    /// Up to `count` consecutive firings after `date`, earliest first; fewer when the schedule runs out (a one-shot fires once).
    public func occurrences(after date: Date, count: Int) -> [Date] {
        var result: [Date] = []
        var cursor = date
        while result.count < count, let firing = next(after: cursor) {
            result.append(firing)
            cursor = firing
        }
        return result
    }

    // MARK: - Parsing helpers

    private static func zone(named name: String?) throws(ParseError) -> TimeZone {
        guard let name else { return TimeZone(identifier: "UTC")! }
        let upper = name.uppercased()
        let offsetStyle = (upper.hasPrefix("GMT") || upper.hasPrefix("UTC"))
            && upper.dropFirst(3).first.map { $0 == "+" || $0 == "-" } == true
        guard !offsetStyle, !name.isEmpty, let zone = TimeZone(identifier: name) else {
            throw ParseError(message: "unknown time zone \"\(name)\"; use an IANA name such as \"Europe/Brussels\" or \"UTC\"")
        }
        return zone
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// True when the text begins `YYYY-MM-DD`, which no cron expression can.
    private static func looksLikeDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8.prefix(10))
        guard bytes.count == 10 else { return false }
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 7 {
                if byte != UInt8(ascii: "-") { return false }
            } else if !isDigit(byte) {
                return false
            }
        }
        return true
    }

    /// Parses `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±HH:MM)` (RFC 3339 §5.6).
    private static func instant(rfc3339 text: String) throws(ParseError) -> Date {
        let bytes = Array(text.utf8)
        func fail(_ why: String) -> ParseError {
            ParseError(message: "\"\(text)\" is not a valid RFC 3339 date-time: \(why)")
        }
        let shape = "expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset such as +01:00"
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + length)] {
                guard isDigit(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }

        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let separator = byte(10), [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(separator),
              let hour = number(11, 2), byte(13) == UInt8(ascii: ":"), let minute = number(14, 2),
              byte(16) == UInt8(ascii: ":"), let second = number(17, 2)
        else { throw fail(shape) }

        var index = 19
        var fraction = 0.0
        if byte(index) == UInt8(ascii: ".") {
            index += 1
            let start = index
            while let digit = byte(index), isDigit(digit) { index += 1 }
            if index == start { throw fail("the fraction of a second after \".\" has no digits") }
            fraction = Double("0." + String(decoding: bytes[start..<index], as: UTF8.self)) ?? 0
        }

        var offset = 0
        switch byte(index) {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = byte(index) == UInt8(ascii: "-") ? -1 : 1
            guard let offsetHours = number(index + 1, 2), byte(index + 3) == UInt8(ascii: ":"),
                  let offsetMinutes = number(index + 4, 2)
            else { throw fail("the UTC offset must look like +01:00 or -05:30") }
            guard offsetHours <= 23, offsetMinutes <= 59 else { throw fail("the UTC offset is out of range") }
            offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
            index += 6
        case nil:
            throw ParseError(message: "\"\(text)\" has no UTC offset; add \"Z\" or an offset such as \"+01:00\" "
                + "(or give a cron expression with a time zone)")
        default:
            throw fail(shape)
        }
        if index != bytes.count { throw fail("unexpected text after the UTC offset") }

        guard (1...12).contains(month) else { throw fail("month \(month) is out of range 1-12") }
        let monthLength = CronExpression.days(year: month == 12 ? year + 1 : year, month: month == 12 ? 1 : month + 1, day: 1)
            - CronExpression.days(year: year, month: month, day: 1)
        guard (1...monthLength).contains(day) else {
            throw fail("day \(day) is out of range 1-\(monthLength) for \(String(format: "%04d-%02d", year, month))")
        }
        guard hour <= 23 else { throw fail("hour \(hour) is out of range 0-23") }
        guard minute <= 59 else { throw fail("minute \(minute) is out of range 0-59") }
        if second == 60 { throw fail("leap seconds (second 60) are not supported") }
        guard second <= 59 else { throw fail("second \(second) is out of range 0-59") }

        let wall = CronExpression.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(wall - offset) + fraction)
    }
}
