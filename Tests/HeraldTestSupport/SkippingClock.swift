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
    /// How far each reading of the time moves it on (0: it stands still between sleeps).
    private let tick: Double

    /// - Parameter tick: seconds each `now()` moves the clock on, for a run whose pace is
    ///   measured from its clock (claim sizing) without depending on the machine's speed.
    public init(now: Date = Date(timeIntervalSince1970: 0), tick: Double = 0) {
        state = Mutex(State(now: now))
        self.tick = tick
    }

    public func now() -> Date {
        state.withLock { state in
            defer { if tick > 0 { state.now = state.now.addingTimeInterval(tick) } }
            return state.now
        }
    }

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
