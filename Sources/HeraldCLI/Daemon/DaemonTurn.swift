import Synchronization

/// One daemon job at a time: a firing or a bounce pass waits here for the one before it.
///
/// Why: both take the campaign's lock, and a firing that met a bounce pass holding it would be
/// refused (exit 75) and lost until the next occurrence. The scheduler and the bounce poller
/// are separate services, so they queue here, first come first served, as they did when one
/// loop ran both. A waiter cancelled (graceful shutdown) leaves the queue and does not run.
final class DaemonTurn: Sendable {
    private struct State {
        var busy = false
        var nextID = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    }

    private let state = Mutex(State())

    init() {}

    /// Runs `work` when no other job runs; nil, without running it, when the task is cancelled first.
    func run<T: Sendable>(_ work: () async -> T) async -> T? {
        guard await acquire() else { return nil }
        defer { release() }
        return await work()
    }

    private func acquire() async -> Bool {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                enum Now { case granted, cancelled, queued }
                let now = state.withLock { state -> Now in
                    if Task.isCancelled { return .cancelled }
                    if !state.busy {
                        state.busy = true
                        return .granted
                    }
                    state.waiters.append((id, continuation))
                    return .queued
                }
                switch now {
                case .granted: continuation.resume(returning: true)
                case .cancelled: continuation.resume(returning: false)
                case .queued: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: false)
        }
    }

    /// Hands the turn to the first waiter, or frees it.
    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiters.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume(returning: true)
    }
}
