import Foundation
import HeraldCore
import Synchronization

/// A clock whose sleeps return at once, moving its time to their deadline, and that keeps
/// every wait asked of it.
///
/// Why: a dispatcher test checks which backoffs and rate slots a run waits for, and the times
/// it writes, without sleeping and without a driver advancing a `MockClock` step by step.
/// Time only moves forward (a sleep to an earlier deadline leaves it). A cancelled task's
/// sleep throws `CancellationError`, as `SystemClock`'s does.
public final class SkippingClock: HeraldClock {
    private struct State {
        var now: Date
        var waits: [Double] = []
    }

    private let state: Mutex<State>

    public init(now: Date = Date(timeIntervalSince1970: 0)) {
        state = Mutex(State(now: now))
    }

    public func now() -> Date { state.withLock { $0.now } }

    /// The seconds each sleep was asked to wait, in order (from the clock's time when it began).
    public var waits: [Double] { state.withLock { $0.waits } }

    public func sleep(until deadline: Date) async throws {
        try Task.checkCancellation()
        state.withLock { state in
            state.waits.append(deadline.timeIntervalSince(state.now))
            if deadline > state.now { state.now = deadline }
        }
    }
}
