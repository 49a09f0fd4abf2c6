import Foundation

/// Formats dates for the `Date:` header (RFC 5322 §3.3) and the delivery log (RFC 3339, UTC).
public enum RFC5322Date {
    /// `Sun, 29 Nov 2026 03:33:49 +0000`: always UTC, English names, independent of locale.
    public static func format(_ date: Date) -> String {
        let parts = CivilDate.fields(ofSeconds: CivilDate.wholeSeconds(date.timeIntervalSince1970))
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return String(format: "%@, %02d %@ %04d %02d:%02d:%02d +0000",
                      days[parts.weekday], parts.day, months[parts.month - 1], parts.year,
                      parts.hour, parts.minute, parts.second)
    }

    /// `2026-11-29T03:33:49Z`.
    public static func rfc3339(_ date: Date) -> String {
        wallClock(CivilDate.wholeSeconds(date.timeIntervalSince1970)) + "Z"
    }

    /// Parses an RFC 3339 date-time with `Z` or an offset (`2026-12-01T09:00:00+01:00`),
    /// with or without fractional seconds; nil for anything else. The parser is
    /// ``RFC3339/parse(_:)``, which says why a text was refused.
    public static func parseRFC3339(_ text: String) -> Date? {
        try? RFC3339.parse(text)
    }

    /// `2026-12-01T09:00:00+01:00`: the instant as wall-clock time in `timeZone`, with its offset.
    public static func rfc3339(_ date: Date, in timeZone: TimeZone) -> String {
        let offset = timeZone.secondsFromGMT(for: date)
        let zone = offset == 0 ? "Z" : String(format: "%@%02d:%02d", offset < 0 ? "-" : "+", abs(offset) / 3600, abs(offset) % 3600 / 60)
        return wallClock(CivilDate.wholeSeconds(date.timeIntervalSince1970) + offset) + zone
    }

    /// `2026-11-29T03:33:49`: a wall-clock time, given as seconds since 1970-01-01 00:00:00 on that clock.
    private static func wallClock(_ seconds: Int) -> String {
        let parts = CivilDate.fields(ofSeconds: seconds)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year, parts.month, parts.day,
                      parts.hour, parts.minute, parts.second)
    }
}
