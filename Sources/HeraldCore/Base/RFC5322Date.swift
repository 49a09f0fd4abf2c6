import Foundation

/// Formats dates for the `Date:` header (RFC 5322 §3.3) and the delivery log (RFC 3339, UTC).
///
/// Written byte by byte rather than with `String(format:)`: every letter and every log
/// record carries a date, and Foundation's formatting costs more than the rest of a header.
public enum RFC5322Date {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 29 Nov 2026 03:33:49 +0000`: always UTC, English names, independent of locale.
    public static func format(_ date: Date) -> String {
        let parts = CivilDate.fields(ofSeconds: CivilDate.wholeSeconds(date.timeIntervalSince1970))
        var out: [UInt8] = []
        out.reserveCapacity(31)
        out += days[parts.weekday].utf8
        out += ", ".utf8
        append(parts.day, width: 2, to: &out)
        out.append(UInt8(ascii: " "))
        out += months[parts.month - 1].utf8
        out.append(UInt8(ascii: " "))
        append(parts.year, width: 4, to: &out)
        out.append(UInt8(ascii: " "))
        appendTime(parts, to: &out)
        out += " +0000".utf8
        return String(decoding: out, as: UTF8.self)
    }

    /// `2026-11-29T03:33:49Z`.
    public static func rfc3339(_ date: Date) -> String {
        wallClock(CivilDate.wholeSeconds(date.timeIntervalSince1970)) + "Z"
    }

    /// Parses an RFC 3339 date-time with `Z` or an offset (`2026-12-01T09:00:00+01:00`),
    /// with or without fractional seconds; nil for anything else. The parser is
    /// ``RFC3339/parse(_:)``, which says why a text was refused.
    public static func parseRFC3339(_ text: String) -> Date? {
        try? RFC3339.parse(text)  // the contract: nil for any refusal; RFC3339.parse says why
    }

    /// `2026-12-01T09:00:00+01:00`: the instant as wall-clock time in `timeZone`, with its offset.
    public static func rfc3339(_ date: Date, in timeZone: TimeZone) -> String {
        let offset = timeZone.secondsFromGMT(for: date)
        guard offset != 0 else { return wallClock(CivilDate.wholeSeconds(date.timeIntervalSince1970)) + "Z" }
        var zone: [UInt8] = [offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")]
        append(abs(offset) / 3600, width: 2, to: &zone)
        zone.append(UInt8(ascii: ":"))
        append(abs(offset) % 3600 / 60, width: 2, to: &zone)
        return wallClock(CivilDate.wholeSeconds(date.timeIntervalSince1970) + offset) + String(decoding: zone, as: UTF8.self)
    }

    /// `2026-11-29T03:33:49`: a wall-clock time, given as seconds since 1970-01-01 00:00:00 on that clock.
    private static func wallClock(_ seconds: Int) -> String {
        let parts = CivilDate.fields(ofSeconds: seconds)
        var out: [UInt8] = []
        out.reserveCapacity(19)
        append(parts.year, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        append(parts.month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        append(parts.day, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendTime(parts, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `03:33:49`.
    private static func appendTime(_ parts: CivilDate.Fields, to out: inout [UInt8]) {
        append(parts.hour, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        append(parts.minute, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        append(parts.second, width: 2, to: &out)
    }

    /// `value` in decimal, zero-padded to at least `width` characters counting a minus sign,
    /// as C's `%0*d` writes it (`-5` at width 4 is `-005`).
    private static func append(_ value: Int, width: Int, to out: inout [UInt8]) {
        let magnitude = value.magnitude
        var divisor: UInt = 1, digits = 1
        while divisor <= magnitude / 10 {
            divisor *= 10
            digits += 1
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        let length = digits + (value < 0 ? 1 : 0)
        if length < width { out += repeatElement(UInt8(ascii: "0"), count: width - length) }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
            divisor /= 10
        }
    }
}
