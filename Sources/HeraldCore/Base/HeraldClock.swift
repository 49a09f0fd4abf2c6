import Foundation

/// The one source of time for everything that waits or stamps: wall-clock now, and a sleep until a wall-clock instant.
///
/// Contract: `now()` is the time written in records and `Date` headers and read by schedules,
/// rate and retry policy; `sleep(until:)` returns at or after `deadline` as seen by `now()`,
/// or throws `CancellationError` as soon as the calling task is cancelled (a stop never waits
/// out a backoff). Pure code never calls either: it takes `now` as an argument. The live one is
/// `SystemClock`; tests use `MockClock` (HeraldTestSupport), which only moves when told to, so
/// no test sleeps.
public protocol HeraldClock: Sendable {
    /// The current wall-clock time.
    func now() -> Date
    /// Suspends until `deadline`; throws `CancellationError` when the task is cancelled first.
    func sleep(until deadline: Date) async throws
}

extension HeraldClock {
    /// Suspends for `seconds` from now (nothing when not positive).
    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { try Task.checkCancellation(); return }
        try await sleep(until: now().addingTimeInterval(seconds))
    }
}

/// The wall clock: `Date()` and `Task.sleep`.
public struct SystemClock: HeraldClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        guard seconds > 0 else { try Task.checkCancellation(); return }
        try await Task.sleep(nanoseconds: UInt64(min(seconds, 1e9) * 1e9))
    }
}
