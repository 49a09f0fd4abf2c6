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
