/// The proleptic Gregorian calendar as arithmetic on day numbers (days since 1970-01-01,
/// negative before): Herald's one civil-date computation, used for RFC 3339 and RFC 5322
/// dates and for cron schedules.
///
/// The conversions are Howard Hinnant's `days_from_civil` and `civil_from_days`. Every
/// function is total over `Int` (no optionals, no force unwraps) and independent of
/// locale, time zone and Foundation's `Calendar`; a time zone enters only as an offset in
/// seconds that the caller adds first.
enum CivilDate {
    /// Whole days and seconds: `a / b` rounded towards minus infinity (`b` > 0).
    static func floorDivide(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The length of `month` (1-12) in `year`.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a date; `month` 1-12 and `day` 1-31 (a `day` past the end
    /// of the month counts on into the next, as the formula does).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day number.
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The day of the week of a day number: 0 is Sunday, 6 Saturday (1970-01-01 was a Thursday).
    static func weekday(ofDays days: Int) -> Int {
        ((days % 7) + 7 + 4) % 7
    }

    /// A wall-clock time broken into its fields.
    struct Fields: Equatable {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
        /// 0 is Sunday.
        var weekday: Int
    }

    /// The fields of a wall-clock time given as whole seconds since 1970-01-01 00:00:00
    /// (UTC plus the zone's offset, for a time in a zone).
    static func fields(ofSeconds seconds: Int) -> Fields {
        let dayNumber = floorDivide(seconds, 86_400)
        let time = seconds - dayNumber * 86_400
        let (year, month, day) = civil(fromDays: dayNumber)
        return Fields(
            year: year, month: month, day: day, hour: time / 3600, minute: time / 60 % 60,
            second: time % 60, weekday: weekday(ofDays: dayNumber))
    }

    /// Whole seconds since 1970 of an interval, rounded down (the second a fractional
    /// instant falls in), clamped to ±10^15 s (some 30 million years) so that any interval,
    /// an infinite one included, converts without trapping; NaN gives 0.
    static func wholeSeconds(_ interval: Double) -> Int {
        if interval.isNaN { return 0 }
        return Int(max(-1e15, min(1e15, interval.rounded(.down))))
    }
}
