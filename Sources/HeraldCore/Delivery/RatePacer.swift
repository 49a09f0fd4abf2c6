import Foundation

/// Spaces hand-overs to the server evenly under a campaign's rate ceiling.
///
/// A token bucket holding one token: a message (a retry too) may go one interval after the
/// previous hand-over, or now if that is later. Counting from the actual hand-over, not
/// from the slot, means a sender that woke late never lets the next one go early: no two
/// hand-overs are closer than the interval, so a provider's limit holds over any stretch
/// of the run, and a pause (a slow server, a backoff) earns no burst afterwards. With both
/// a per-second and a per-minute ceiling the stricter interval applies. Pure: the caller
/// passes the time, waits, and reports the hand-over.
public struct RatePacer: Sendable, Equatable {
    /// The highest `messages_per_second` (and `messages_per_minute`) a campaign may set.
    ///
    /// The pacer keeps times as `Date`s: a `Double` of seconds since 2001, whose step is
    /// 2⁻²³ s (about 0.12 µs) from 2001+2²⁹ s (2018) to 2001+2³⁰ s (2035). A million a second is an interval of
    /// 1 µs, about eight such steps, and still spaces hand-overs; ten million would be an
    /// interval of one step or less, which adding to a time rounds to one step or to nothing,
    /// so the ceiling would silently become another rate or none.
    public static let maxRate: Double = 1_000_000

    /// The longest interval between two hand-overs a campaign may set: one day (a rate of at
    /// least 1/86400 a second, 1/1440 a minute).
    ///
    /// Why: the wait for a hand-over's turn is a deadline that the clock and the stop path turn
    /// into nanoseconds; an interval of about 9.2·10⁹ s overflows them (`1e-10` a second crashed
    /// `send` after its first letter). A day is far inside that and far beyond any useful ceiling.
    public static let maxInterval: Double = 86_400

    /// Seconds between two hand-overs.
    public let interval: Double
    private var lastHandOver: Date?

    /// nil when the limits set no rate ceiling.
    public init?(_ limits: SendLimits) {
        let intervals = [limits.messagesPerSecond.map { 1 / $0 }, limits.messagesPerMinute.map { 60 / $0 }].compactMap { $0 }
        guard let interval = intervals.max() else { return nil }
        self.interval = interval
    }

    /// The earliest time the next message may be handed over.
    public func nextSlot(now: Date) -> Date {
        guard let lastHandOver else { return now }
        return max(now, lastHandOver.addingTimeInterval(interval))
    }

    /// Notes that a message was handed over at `time`.
    public mutating func handedOver(at time: Date) {
        lastHandOver = time
    }
}
