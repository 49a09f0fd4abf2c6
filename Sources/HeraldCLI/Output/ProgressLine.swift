import Foundation
import HeraldCore

/// One line on a terminal, rewritten in place while a send runs: letters done of the total,
/// the rate, the time left, and the failures so far.
///
/// A line per letter scrolls a 100,000-letter send past anyone watching; the line shows
/// where it stands instead. Redrawn at most every `interval` seconds (a terminal is slow
/// next to a fast server), and cleared by `finish` before the summary. Used only when stdout
/// is a terminal; redirected output keeps one line per letter, for scripts and logs.
/// Called from the pipeline's writer, one record at a time.
final class ProgressLine {
    private let total: Int
    private let draw: (String) -> Void
    private let now: () -> Date
    private let interval: Double
    private let verb: String
    private var started: Date?
    private var lastDrawn: Date?
    private(set) var done = 0
    private(set) var failed = 0
    private(set) var deferred = 0

    /// - Parameters:
    ///   - total: the letters this run will try.
    ///   - draw: writes the line (the caller adds the carriage return and erase).
    init(
        total: Int, verb: String = "sending", interval: Double = 0.2, now: @escaping () -> Date = Date.init,
        draw: @escaping (String) -> Void
    ) {
        self.total = total
        self.verb = verb
        self.interval = interval
        self.now = now
        self.draw = draw
    }

    /// Counts one outcome (intents are not counted) and redraws when it is time.
    func count(_ record: DeliveryRecord) {
        switch record.status {
        case .sending, .bounced, .delayed: return
        case .sent: done += 1
        case .failed: done += 1; failed += 1
        case .deferred: deferred += 1
        }
        step()
    }

    /// Counts one letter done (a preview written) and redraws when it is time.
    func countOne() {
        done += 1
        step()
    }

    private func step() {
        let time = now()
        if started == nil { started = time }
        if let lastDrawn, time.timeIntervalSince(lastDrawn) < interval, done < total { return }
        lastDrawn = time
        draw(
            Self.text(
                verb: verb, done: done, total: max(total, done), failed: failed, deferred: deferred,
                elapsed: time.timeIntervalSince(started ?? time)))
    }

    /// The line: `sending 1,234/10,000  412/s  0:21 left  2 failed  1 deferred`.
    static func text(verb: String, done: Int, total: Int, failed: Int, deferred: Int, elapsed: Double) -> String {
        var parts = ["\(verb) \(grouped(done))/\(grouped(total))"]
        if elapsed >= 0.5 && done > 0 {
            let rate = Double(done) / elapsed
            parts.append("\(grouped(Int(rate.rounded())))/s")
            let left = Double(max(0, total - done)) / rate
            parts.append("\(clock(left)) left")
        }
        if failed > 0 { parts.append("\(grouped(failed)) failed") }
        if deferred > 0 { parts.append("\(grouped(deferred)) deferred") }
        return parts.joined(separator: "  ")
    }

    /// 12345 → "12,345".
    static func grouped(_ number: Int) -> String {
        let digits = Array(String(number))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// Seconds as `m:ss`, or `h:mm:ss` from an hour.
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
        let twoDigits = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(twoDigits(minutes)):\(twoDigits(rest))" : "\(minutes):\(twoDigits(rest))"
    }
}
