import Foundation

/// Herald's one RFC 3339 date-time parser (§5.6 `date-time`), for a campaign's one-shot
/// `schedule`, `herald schedule --after` and the daemon's reading of logged occurrences.
///
/// Accepted: `YYYY-MM-DD`, `T` (or `t`, or a space, as §5.6's note allows), `HH:MM:SS`,
/// an optional fraction of a second (any number of digits), then `Z` (or `z`) or a numeric
/// offset `±HH:MM`. Nothing else: no surrounding whitespace, no missing offset (a local time
/// would be ambiguous), no `+0100`, no leap second (second 60), and every field in range
/// for its calendar month (`2026-02-29` and `2026-04-31` are refused, `2028-02-29` is not).
/// Formatting is ``RFC5322Date/rfc3339(_:)`` and ``RFC5322Date/rfc3339(_:in:)``.
public enum RFC3339 {
    /// Why a text is not an RFC 3339 date-time.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Reason: Sendable, Equatable {
            /// The text is a date and time without `Z` or an offset.
            case missingOffset
            /// Anything else, as a phrase: `month 13 is out of range 1-12`.
            case invalid(String)
        }

        /// The text as given.
        public var text: String
        public var reason: Reason

        public init(text: String, reason: Reason) {
            self.text = text
            self.reason = reason
        }

        /// `"2026-13-01T09:00:00Z" is not a valid RFC 3339 date-time: month 13 is out of range 1-12`.
        public var description: String {
            switch reason {
            case .missingOffset:
                return "\"\(text)\" has no UTC offset; add \"Z\" or an offset such as \"+01:00\""
            case .invalid(let why):
                return "\"\(text)\" is not a valid RFC 3339 date-time: \(why)"
            }
        }
    }

    /// Parses `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±HH:MM)`.
    public static func parse(_ text: String) throws(ParseError) -> Date {
        let bytes = Array(text.utf8)
        func fail(_ why: String) -> ParseError { ParseError(text: text, reason: .invalid(why)) }
        let shape = "expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset such as +01:00"
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
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

        guard let year = number(0, 4), byte(4) == UInt8(ascii: "-"), let month = number(5, 2),
            byte(7) == UInt8(ascii: "-"), let day = number(8, 2),
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
            throw ParseError(text: text, reason: .missingOffset)
        default:
            throw fail(shape)
        }
        if index != bytes.count { throw fail("unexpected text after the UTC offset") }

        guard (1...12).contains(month) else { throw fail("month \(month) is out of range 1-12") }
        let monthLength = CivilDate.daysIn(month: month, year: year)
        guard (1...monthLength).contains(day) else {
            throw fail("day \(day) is out of range 1-\(monthLength) for \(String(format: "%04d-%02d", year, month))")
        }
        guard hour <= 23 else { throw fail("hour \(hour) is out of range 0-23") }
        guard minute <= 59 else { throw fail("minute \(minute) is out of range 0-59") }
        if second == 60 { throw fail("leap seconds (second 60) are not supported") }
        guard second <= 59 else { throw fail("second \(second) is out of range 0-59") }

        let wall = CivilDate.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(wall - offset) + fraction)
    }
}
