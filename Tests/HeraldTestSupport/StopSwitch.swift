import Synchronization

/// Cancels a task from anywhere, once it is attached: how a test stops a run at a chosen
/// moment (a stop is the cancellation of the run's task).
///
/// Pulled before the task is attached, it cancels the task as soon as it is.
public final class StopSwitch: Sendable {
    private struct State {
        var cancel: (@Sendable () -> Void)?
        var pulled = false
    }

    private let state = Mutex(State())

    public init() {}

    /// The task the switch cancels.
    public func attach<Success: Sendable, Failure: Error>(_ task: Task<Success, Failure>) {
        let pulled = state.withLock { state -> Bool in
            state.cancel = { task.cancel() }
            return state.pulled
        }
        if pulled { task.cancel() }
    }

    /// Cancels the attached task (now, or once attached).
    public func pull() {
        let cancel = state.withLock { state -> (@Sendable () -> Void)? in
            state.pulled = true
            return state.cancel
        }
        cancel?()
    }

    /// Whether the switch was pulled.
    public var isPulled: Bool { state.withLock { $0.pulled } }
}
