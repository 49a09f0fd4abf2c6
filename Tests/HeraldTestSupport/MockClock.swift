import Foundation
import HeraldCore
import Synchronization

/// A clock that moves only when a test says so: sleepers wake when `advance` passes their deadline.
///
/// Why: the daemon, retries and pacing are tested without sleeping. A test starts the work,
/// waits until it is asleep (`waitForSleepers`), moves time, and checks what happened.
/// Cancellation wakes a sleeper at once with `CancellationError`, as `SystemClock` does.
public final class MockClock: HeraldClock {
    private struct Sleeper {
        var id: Int
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [Sleeper] = []
        var nextID = 0
        /// Total sleeps begun, for `waitForSleepers(count:)`-style assertions.
        var sleepsBegun = 0
    }

    private let state: Mutex<State>

    public init(now: Date = Date(timeIntervalSince1970: 917_827_200)) {  // 1999-02-01T00:00:00Z
        state = Mutex(State(now: now))
    }

    public func now() -> Date { state.withLock { $0.now } }

    /// Deadlines of the tasks asleep now, earliest first.
    public var sleepingUntil: [Date] { state.withLock { $0.sleepers.map(\.deadline).sorted() } }

    /// How many sleeps have begun since the clock was made.
    public var sleepsBegun: Int { state.withLock { $0.sleepsBegun } }

    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Cancelled before the sleeper was registered: the cancellation handler already
                // ran and found nothing to wake, so the sleep ends here (checked under the lock
                // the handler takes).
                let resume: Result<Void, CancellationError>? = state.withLock { state in
                    state.sleepsBegun += 1
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let resume { continuation.resume(with: resume) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    public func advance(by seconds: Double) {
        advance(to: now().addingTimeInterval(seconds))
    }

    /// Moves time to `instant` (never backwards) and wakes every sleeper whose deadline has come.
    public func advance(to instant: Date) {
        let woken = state.withLock { state -> [Sleeper] in
            if instant > state.now { state.now = instant }
            let due = state.sleepers.filter { $0.deadline <= state.now }
            state.sleepers.removeAll { $0.deadline <= state.now }
            return due
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Waits (yielding, never sleeping on the wall clock beyond `timeout`) until at least
    /// `count` tasks are asleep on this clock; false if that did not happen within `timeout`.
    @discardableResult
    public func waitForSleepers(_ count: Int = 1, timeout: Duration = .seconds(10)) async -> Bool {
        let end = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < end {
            if state.withLock({ $0.sleepers.count }) >= count { return true }
            await Task.yield()
            try? await Task.sleep(for: .milliseconds(1))
        }
        return false
    }
}
