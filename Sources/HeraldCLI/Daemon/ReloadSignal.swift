import Foundation
import HeraldCore
import Synchronization

/// A request to read the campaign folder again (SIGHUP, or a test), seen by every daemon service.
///
/// A broadcast by generation: `request()` counts up and wakes every waiter; a service remembers
/// the generation it last acted on, so a request that arrives while it is busy (firing, reading
/// a mailbox) is seen at its next pass, never lost. Waiting is a suspension, never a blocked
/// thread; a cancelled waiter (graceful shutdown) returns at once.
public final class ReloadSignal: Sendable {
    private struct State {
        var generation = 0
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// How many reloads were requested so far.
    public var generation: Int { state.withLock { $0.generation } }

    /// Asks every service to reload, and wakes the ones waiting.
    public func request() {
        let woken = state.withLock { state in
            state.generation += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Suspends until a request newer than `seen` arrives or the task is cancelled.
    func wait(past seen: Int) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Cancellation is checked under the lock the handler takes: a cancel before the
                // waiter is stored is seen here, one after finds the waiter and resumes it.
                let resumeNow = state.withLock { state in
                    if state.generation > seen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Sleeps on `clock` until `deadline`, or until a request newer than `seen`, or a
    /// cancellation, whichever comes first: the idle wait of every daemon service.
    func sleep(on clock: any HeraldClock, until deadline: Date, unlessNewerThan seen: Int) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Cancelled when the reload came first or the daemon stops: either way the
                // wait is over, and the caller checks which.
                do { try await clock.sleep(until: deadline) } catch {}
            }
            group.addTask { await self.wait(past: seen) }
            await group.next()
            group.cancelAll()
        }
    }
}
