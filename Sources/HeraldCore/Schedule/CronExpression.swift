import Foundation

/// A standard 5-field cron expression (minute hour day-of-month month day-of-week).
///
/// Accepted syntax, per field: `*`, numbers, lists (`1,2,5`), ranges (`1-5`), steps
/// (`*/15`, `1-30/7`, and `5/10`, which means "from 5 to the field's maximum, every 10"),
/// and the names `JAN`–`DEC` and `SUN`–`SAT` (any case, also in ranges: `MON-FRI`).
/// Day-of-week runs 0–7, where both 0 and 7 are Sunday. The macros `@yearly`/`@annually`,
/// `@monthly`, `@weekly`, `@daily`/`@midnight` and `@hourly` stand for their usual
/// five fields. Anything else is rejected with a ``ParseError`` that names the field:
/// a field count other than five (so no seconds or years), values out of range,
/// inverted ranges (`5-1`), steps that are zero or negative, empty list items, unknown
/// names, `@reboot` and other unknown macros.
///
/// Day matching follows Vixie cron as `croniter` implements it: when both day-of-month
/// and day-of-week are restricted, a day matches if EITHER matches; otherwise both must.
/// A day field counts as unrestricted when it is `*` (or has a bare `*` in its list), or
/// when it lists every value *and* the other day field is written with a `*` in it
/// (`1-31` with `*/2` means "every other weekday"; `*/1` with `MON` means every day).
///
/// Two places where Herald reads the text more plainly than `croniter` 7 does:
/// an equal range such as `5-5` or `MON-MON` is just that one value (croniter expands it
/// to the whole field), and a day-of-week step starting at Sunday-as-7 (`7/2`) is Sunday
/// alone (croniter reads it as `0/2`).
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// Why a cron expression was rejected: which field, which text, and what is wrong with it.
    ///
    /// `field` is `minute`, `hour`, `day-of-month`, `month`, `day-of-week`, or `expression`
    /// for problems with the whole text (field count, macros). The description reads like
    /// `hour: "25" is out of range 0-23`, written for the person editing the schedule.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The field at fault (`hour`, `day-of-week`, …) or `expression`.
        public var field: String
        /// The offending text: a single value or list item where possible, else the whole field.
        public var text: String
        /// What is wrong, as a phrase that follows the quoted text.
        public var problem: String

        public init(field: String, text: String, problem: String) {
            self.field = field
            self.text = text
            self.problem = problem
        }

        public var description: String { "\(field): \"\(text)\" \(problem)" }
    }

    /// The source text, trimmed of surrounding whitespace (a macro stays a macro).
    public let description: String

    // Each field as a bit set: bit n set means value n matches.
    let minutes: UInt64
    let hours: UInt64
    let months: UInt64
    /// One selector for the AND reading, two (day-of-month alone, day-of-week alone) for OR.
    let daySelectors: [DaySelector]

    /// The days a selector accepts: a nil set is unrestricted, and both sets must accept.
    struct DaySelector: Sendable, Equatable {
        var daysOfMonth: UInt64?
        /// Sunday is bit 0 (a written 7 is folded onto it).
        var daysOfWeek: UInt64?

        func accepts(day: Int, weekday: Int) -> Bool {
            if let daysOfMonth, daysOfMonth & (1 << UInt64(day)) == 0 { return false }
            if let daysOfWeek, daysOfWeek & (1 << UInt64(weekday)) == 0 { return false }
            return true
        }
    }

    private static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Parses `text`; see the type's documentation for the accepted syntax.
    public init(parsing text: String) throws(ParseError) {
        let source = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var body = source
        if source.hasPrefix("@") {
            let name = source.lowercased()
            if name == "@reboot" {
                throw ParseError(
                    field: "expression", text: source,
                    problem: "is not supported: a campaign schedule needs times, and @reboot has none")
            }
            guard let expansion = Self.macros[name] else {
                throw ParseError(
                    field: "expression", text: source,
                    problem: "is not a known macro (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)")
            }
            body = expansion
        }
        let parts = body.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map(String.init)
        guard parts.count == 5 else {
            var problem = "has \(parts.count) field\(parts.count == 1 ? "" : "s"); expected 5 (minute hour day-of-month month day-of-week)"
            if parts.count == 6 { problem += "; a seconds field is not supported" }
            if parts.count == 7 { problem += "; seconds and year fields are not supported" }
            throw ParseError(field: "expression", text: source, problem: problem)
        }
        let minute = try Field.minute.parse(parts[0])
        let hour = try Field.hour.parse(parts[1])
        let dayOfMonth = try Field.dayOfMonth.parse(parts[2])
        let month = try Field.month.parse(parts[3])
        let dayOfWeek = try Field.dayOfWeek.parse(parts[4])

        // croniter's reading of "restricted": a bare `*`, or a full set when the other day
        // field is written with a `*` somewhere in it.
        let domFree = dayOfMonth.hasBareStar || (dayOfMonth.bits == Field.dayOfMonth.all && parts[4].contains("*"))
        let dowFree = dayOfWeek.hasBareStar || (dayOfWeek.bits == Field.dayOfWeek.all && parts[2].contains("*"))
        if !domFree && !dowFree {
            daySelectors = [
                DaySelector(daysOfMonth: dayOfMonth.bits, daysOfWeek: nil),
                DaySelector(daysOfMonth: nil, daysOfWeek: dayOfWeek.bits),
            ]
        } else {
            daySelectors = [
                DaySelector(
                    daysOfMonth: domFree ? nil : dayOfMonth.bits,
                    daysOfWeek: dowFree ? nil : dayOfWeek.bits)
            ]
        }
        self.description = source
        self.minutes = minute.bits
        self.hours = hour.bits
        self.months = month.bits
    }

    /// Why the expression can never fire, such as `February has no 30th` for `0 0 30 2 *`;
    /// nil when it fires at least once every few years.
    ///
    /// That happens only when the day of month is restricted, the day of week is not (when
    /// both are, a day matching either fires), and no selected month has any selected day.
    /// February counts 29 days, so `0 0 29 2 *` fires, in leap years. ``Schedule`` refuses
    /// such an expression; the type itself accepts it, and ``next(after:in:)`` gives nil.
    public var neverFiresReason: String? {
        guard daySelectors.count == 1, let days = daySelectors[0].daysOfMonth, daySelectors[0].daysOfWeek == nil else {
            return nil
        }
        let selectedMonths = (1...12).filter { months & (1 << UInt64($0)) != 0 }
        let selectedDays = (1...31).filter { days & (1 << UInt64($0)) != 0 }
        guard let firstDay = selectedDays.first else { return nil }
        let longest = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        if selectedMonths.contains(where: { firstDay <= longest[$0] }) { return nil }
        let monthNames = [
            "", "January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December",
        ]
        func ordinal(_ day: Int) -> String {
            let suffix = (11...13).contains(day % 100) ? "th" : [1: "st", 2: "nd", 3: "rd"][day % 10] ?? "th"
            return "\(day)\(suffix)"
        }
        func list(_ items: [String], _ conjunction: String) -> String {
            items.count <= 1 ? items.joined() : items.dropLast().joined(separator: ", ") + " \(conjunction) " + items.last!
        }
        let names = list(selectedMonths.map { monthNames[$0] }, "and")
        return "\(names) \(selectedMonths.count == 1 ? "has" : "have") no \(list(selectedDays.map(ordinal), "or"))"
    }

    /// The first firing time strictly after `date`, evaluated in `timeZone`; nil if none within a bounded search (e.g. "0 0 30 2 *").
    ///
    /// The expression is matched against wall-clock time in `timeZone`, at whole minutes,
    /// starting with the minute after the one holding `date`. The search looks at most
    /// about 50 years ahead (as `croniter` does), so an expression that can never match,
    /// such as February 30th, gives nil rather than looping.
    ///
    /// Daylight-saving changes are handled exactly as `croniter` 7 does for
    /// `croniter(expr, start_with_zoneinfo_tz).get_next(datetime)`, checked against it for
    /// Europe/Brussels and Europe/London:
    ///
    /// - **Skipped hour (spring forward).** A firing time that falls in the missing hour
    ///   fires once, at the first minute after the gap (03:00 in Brussels, 02:00 in London),
    ///   so a daily `30 2 * * *` still runs that day, at 03:00 CEST. Several skipped times
    ///   collapse into that one firing, which also stands for a real match at the same
    ///   minute: `*/15 1-3 * * *` in Brussels goes 01:45 CET, 03:00 CEST, 03:15 CEST.
    ///   The exception is an hour field of `*` (every hour): then the skipped times are
    ///   simply dropped, so `0 * * * *` goes 01:00 CET, 03:00 CEST and `*/30 * * * *`
    ///   goes 01:30 CET, 03:00 CEST.
    /// - **Repeated hour (fall back).** A firing time in the hour that happens twice fires
    ///   twice, once in each pass: `30 2 * * *` in Brussels fires at 02:30 CEST (00:30 UTC)
    ///   and again at 02:30 CET (01:30 UTC); `0 * * * *` fires at both 02:00s.
    ///
    /// Mechanically (this is croniter's algorithm, which the rules above summarise): find
    /// the next matching wall time after the current wall time; place it in the zone,
    /// taking the earlier of two readings if that is still after `date`, else the later, and
    /// moving a non-existent time forward to the first existing minute (or, for an hour
    /// field of `*`, skipping to the next match that exists). If the UTC offset there
    /// differs from the offset at `date`, also search from `date`'s wall time shifted by
    /// that difference, and take that candidate when it exists, lies after `date` and is
    /// earlier. When both day fields are restricted, the day-of-month and day-of-week
    /// readings are evaluated this way separately and the earlier result wins.
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var best: Date?
        for selector in daySelectors {
            guard let candidate = next(after: date, in: timeZone, days: selector) else { continue }
            if best.map({ candidate < $0 }) ?? true { best = candidate }
        }
        return best
    }

    // MARK: - Evaluation in a time zone

    private func next(after date: Date, in zone: TimeZone, days: DaySelector) -> Date? {
        let now = date.timeIntervalSince1970
        let nowOffset = zone.secondsFromGMT(for: date)
        let nowWall = now + Double(nowOffset)

        guard var wall = nextWallMinute(atOrAfter: Self.minuteAfter(nowWall), days: days) else { return nil }
        var (instant, exists) = Self.place(wall, in: zone, after: now)
        if !exists && (Double(instant) <= now || hours == Field.hour.all) {
            while !exists {
                guard let later = nextWallMinute(atOrAfter: wall + 60, days: days) else { return nil }
                wall = later
                (instant, exists) = Self.place(wall, in: zone, after: now)
            }
        }
        let delta = Self.offset(at: instant, in: zone) - nowOffset
        if delta == 0 { return Date(timeIntervalSince1970: Double(instant)) }

        // The offset changed between now and the candidate: a search from the wall time
        // shifted by that change may find a real instant sooner (the repeated hour).
        guard let alternativeWall = nextWallMinute(atOrAfter: Self.minuteAfter(nowWall + Double(delta)), days: days)
        else { return Date(timeIntervalSince1970: Double(instant)) }
        let (alternative, alternativeExists) = Self.place(alternativeWall, in: zone, after: now)
        if alternativeExists && Double(alternative) > now && instant > alternative {
            return Date(timeIntervalSince1970: Double(alternative))
        }
        return Date(timeIntervalSince1970: Double(instant))
    }

    /// The wall-clock minute after the one holding `wall` (seconds since 1970-01-01 00:00 local).
    private static func minuteAfter(_ wall: Double) -> Int {
        Int((wall / 60).rounded(.down)) * 60 + 60
    }

    private static func offset(at instant: Int, in zone: TimeZone) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant)))
    }

    /// The instants (seconds since the epoch) whose wall time in `zone` is `wall`, earliest
    /// first: none in a spring-forward gap, two in a fall-back overlap.
    private static func instants(ofWall wall: Int, in zone: TimeZone) -> [Int] {
        var found: [Int] = []
        for probe in [wall - 86_400, wall, wall + 86_400] {
            let offset = offset(at: probe, in: zone)
            let instant = wall - offset
            if !found.contains(instant) && Self.offset(at: instant, in: zone) == offset { found.append(instant) }
        }
        return found.sorted()
    }

    /// Places a wall time in the zone: the earlier reading if it is after `now`, else the
    /// later; a time in a gap moves to the first existing minute and reports `exists: false`.
    private static func place(_ wall: Int, in zone: TimeZone, after now: Double) -> (instant: Int, exists: Bool) {
        let readings = instants(ofWall: wall, in: zone)
        switch readings.count {
        case 0:
            var shifted = wall + 60
            for _ in 0..<(2 * 24 * 60) {
                if let first = instants(ofWall: shifted, in: zone).first { return (first, false) }
                shifted += 60
            }
            return (wall - offset(at: wall, in: zone), false)
        case 1:
            return (readings[0], true)
        default:
            return (Double(readings[0]) > now ? readings[0] : readings[readings.count - 1], true)
        }
    }

    // MARK: - Wall-clock search

    /// The first wall-clock minute at or after `start` that matches, searching at most 50
    /// calendar years ahead.
    func nextWallMinute(atOrAfter start: Int, days: DaySelector) -> Int? {
        let startDay = CivilDate.floorDivide(start, 86_400)
        var minuteOfDay = (start - startDay * 86_400) / 60
        var (year, month, day) = CivilDate.civil(fromDays: startDay)
        let lastYear = year + 50
        while year <= lastYear {
            if months & (1 << UInt64(month)) == 0 || day > CivilDate.daysIn(month: month, year: year) {
                month += 1
                if month > 12 { month = 1; year += 1 }
                day = 1
                minuteOfDay = 0
                continue
            }
            let dayNumber = CivilDate.days(year: year, month: month, day: day)
            let weekday = CivilDate.weekday(ofDays: dayNumber)  // Sunday is 0
            if days.accepts(day: day, weekday: weekday), let minute = firstMinute(atOrAfter: minuteOfDay) {
                return dayNumber * 86_400 + minute * 60
            }
            day += 1
            minuteOfDay = 0
        }
        return nil
    }

    /// The first matching minute of a day at or after `minuteOfDay`, or nil.
    private func firstMinute(atOrAfter minuteOfDay: Int) -> Int? {
        var hour = minuteOfDay / 60
        var minute = minuteOfDay % 60
        while hour < 24 {
            if hours & (1 << UInt64(hour)) != 0 {
                let remaining = minutes & (~UInt64(0) << UInt64(minute))
                if remaining != 0 { return hour * 60 + remaining.trailingZeroBitCount }
            }
            hour += 1
            minute = 0
        }
        return nil
    }
}

// MARK: - Field parsing

extension CronExpression {
    /// One of the five fields: its name, its value range and the names it accepts.
    struct Field {
        let name: String
        let low: Int
        /// The largest value that may be written (7 for day-of-week).
        let high: Int
        /// The top of `*` and of an open step `N/s` (6 for day-of-week: Sunday is 0).
        let cycleHigh: Int
        let names: [String: Int]
        let nameHint: String?

        static let minute = Field(name: "minute", low: 0, high: 59, cycleHigh: 59, names: [:], nameHint: nil)
        static let hour = Field(name: "hour", low: 0, high: 23, cycleHigh: 23, names: [:], nameHint: nil)
        static let dayOfMonth = Field(name: "day-of-month", low: 1, high: 31, cycleHigh: 31, names: [:], nameHint: nil)
        static let month = Field(
            name: "month", low: 1, high: 12, cycleHigh: 12,
            names: [
                "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
                "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
            ],
            nameHint: "a month name (JAN-DEC)")
        static let dayOfWeek = Field(
            name: "day-of-week", low: 0, high: 7, cycleHigh: 6,
            names: ["SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6],
            nameHint: "a day name (SUN-SAT)")

        /// Every value of the field as a bit set (Sunday once, as 0, for day-of-week).
        var all: UInt64 {
            var bits: UInt64 = 0
            for value in low...cycleHigh { bits |= 1 << UInt64(value) }
            return bits
        }

        func error(_ text: some StringProtocol, _ problem: String) -> ParseError {
            ParseError(field: name, text: String(text), problem: problem)
        }

        /// Parses one field into its bit set, noting whether a bare `*` appeared in it.
        func parse(_ text: String) throws(ParseError) -> (bits: UInt64, hasBareStar: Bool) {
            var bits: UInt64 = 0
            var hasBareStar = false
            for item in text.split(separator: ",", omittingEmptySubsequences: false) {
                if item.isEmpty { throw error(text, "has an empty list item") }
                let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
                if pieces.count > 2 { throw error(item, "has more than one step (\"/\")") }
                let base = pieces[0]
                var step = 1
                if pieces.count == 2 {
                    step = try parseStep(pieces[1], item: item)
                }
                if base.isEmpty { throw error(item, "has no value before the step") }

                var first: Int
                var last: Int
                if base == "*" {
                    first = low
                    last = cycleHigh
                    if pieces.count == 1 { hasBareStar = true }
                } else if base.hasPrefix("-") {
                    throw error(item, "is negative; values start at \(low)")
                } else if let dash = base.firstIndex(of: "-") {
                    let lowerText = base[..<dash]
                    let upperText = base[base.index(after: dash)...]
                    if upperText.isEmpty { throw error(item, "is a range with no upper bound") }
                    if upperText.contains("-") { throw error(item, "is not a valid range (one \"-\" between two values)") }
                    first = try value(lowerText)
                    last = try value(upperText)
                    if first > last {
                        throw error(item, "is an inverted range (\(first) is after \(last)); write the lower bound first")
                    }
                } else {
                    first = try value(base)
                    // `N/s` runs from N to the top of the field's cycle.
                    last = pieces.count == 2 ? max(first, cycleHigh) : first
                }
                var value = first
                while value <= last {
                    bits |= 1 << UInt64(value % (cycleHigh + 1))  // folds day-of-week 7 onto 0
                    value += step
                }
            }
            return (bits, hasBareStar)
        }

        private func parseStep(_ text: Substring, item: Substring) throws(ParseError) -> Int {
            if text.isEmpty { throw error(item, "has an empty step") }
            if text.hasPrefix("-") { throw error(item, "has a negative step; steps must be 1 or more") }
            guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                throw error(item, "has a step that is not a number")
            }
            let digits = text.drop(while: { $0 == "0" })
            if digits.isEmpty { throw error(item, "has a step of 0; steps must be 1 or more") }
            // Any step past the field's span selects only the first value; cap to stay in Int.
            return digits.count > 4 ? 10_000 : Int(digits)!
        }

        /// A single value: a number in range or, for month and day-of-week, a name.
        private func value(_ text: Substring) throws(ParseError) -> Int {
            if !text.isEmpty && text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                let digits = text.drop(while: { $0 == "0" })
                let number = digits.isEmpty ? 0 : (digits.count > 4 ? Int.max : Int(digits)!)
                guard number >= low && number <= high else { throw error(text, "is out of range \(low)-\(high)") }
                return number
            }
            if text.hasPrefix("-") { throw error(text, "is negative; values start at \(low)") }
            if let number = names[text.uppercased()] { return number }
            if let nameHint { throw error(text, "is not a number or \(nameHint)") }
            throw error(text, "is not a number")
        }
    }
}
