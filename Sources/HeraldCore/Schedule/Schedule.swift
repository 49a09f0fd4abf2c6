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
            throw ParseError(
                message: "the schedule is empty; give an RFC 3339 time such as "
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
        let offsetStyle =
            (upper.hasPrefix("GMT") || upper.hasPrefix("UTC"))
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

    /// Reads an RFC 3339 date-time with ``RFC3339/parse(_:)``; a missing offset gets a hint
    /// that a cron expression (which takes a time zone) may have been meant.
    private static func instant(rfc3339 text: String) throws(ParseError) -> Date {
        do {
            return try RFC3339.parse(text)
        } catch {
            let hint = error.reason == .missingOffset ? " (or give a cron expression with a time zone)" : ""
            throw ParseError(message: error.description + hint)
        }
    }
}
