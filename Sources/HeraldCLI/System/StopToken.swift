import Foundation
import Synchronization

/// The daemon's request to stop gracefully: its ServiceGroup's graceful shutdown calls
/// `stop()`, the schedule loop waits on it (a firing's send is stopped by cancelling its
/// task, see `CampaignScheduler.awaitDispatch`). `herald send` no longer uses it.
///
/// Contract: `stop()` is one-way and idempotent, callable from any thread or task, and wakes
/// every thread blocked in `wait(until:orUntil:)` at once, so a backoff pause or the daemon's
/// idle wait ends without polling. Checking the flag is a lock-free atomic load, cheap enough
/// for the dispatcher to do before every message. `wait` blocks its thread: call it only on a
/// thread of its own (see `onOwnThread`), never from a task on Swift's cooperative pool.
public final class StopToken: Sendable {
    /// Set once, under `condition`'s lock, so a waiter that checked it under the lock and then
    /// went to sleep cannot miss the broadcast.
    private let requested = Atomic<Bool>(false)
    /// The lock and condition variable waiters sleep on.
    private let condition = NSCondition()

    public init() {}

    /// True once `stop()` was called.
    public var isStopRequested: Bool { requested.load(ordering: .acquiring) }

    /// Asks every holder to stop after the work in hand, and wakes every waiter.
    public func stop() {
        condition.lock()
        requested.store(true, ordering: .releasing)
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes every waiter so it checks its `orUntil` condition again; does not stop anything.
    ///
    /// For a waiter that also waits for something else (the daemon's reload request): set
    /// that state first, then call `nudge()`.
    public func nudge() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks the calling thread until a stop is requested, `deadline` passes, or `wake`
    /// returns true, whichever comes first; `wake` is checked under the lock, at the start
    /// and after every `nudge()`, so a nudge that follows a state change is never missed.
    public func wait(until deadline: Date, orUntil wake: () -> Bool = { false }) {
        condition.lock()
        defer { condition.unlock() }
        while !isStopRequested, !wake(), Date() < deadline {
            _ = condition.wait(until: deadline)
        }
    }

    /// Waits `seconds` unless a stop comes first; false when a stop was requested (the
    /// contract of `ApplicationParts.pause` and the dispatcher's backoff).
    public func pause(_ seconds: Double) -> Bool {
        wait(until: Date().addingTimeInterval(max(0, seconds)))
        return !isStopRequested
    }
}
