import Synchronization

/// A queue between the pipeline's tasks: any task sends, one task receives, in order; a wait
/// for the next element is not ended by cancellation.
///
/// Why not `AsyncStream`: its iterator ends as soon as the receiving task is cancelled, and a
/// stop is the cancellation of the run's task, which must still take in the answers of the
/// letters its connections hold. A receive here ends only with an element or `close()`.
final class PipelineChannel<Element: Sendable>: Sendable {
    private struct State {
        var buffer: [Element] = []
        var head = 0
        var receiver: CheckedContinuation<Element?, Never>?
        var closed = false

        mutating func take() -> Element? {
            guard head < buffer.count else { return nil }
            let element = buffer[head]
            head += 1
            if head == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                head = 0
            }
            return element
        }
    }

    private let state = Mutex(State())

    init() {}

    /// Queues `element` for the receiver (dropped once the channel is closed).
    func send(_ element: Element) {
        let receiver = state.withLock { state -> CheckedContinuation<Element?, Never>? in
            guard !state.closed else { return nil }
            if let receiver = state.receiver {
                state.receiver = nil
                return receiver
            }
            state.buffer.append(element)
            return nil
        }
        receiver?.resume(returning: element)
    }

    /// Ends the channel: the receiver gets what was queued, then nil.
    func close() {
        let receiver = state.withLock { state -> CheckedContinuation<Element?, Never>? in
            state.closed = true
            defer { state.receiver = nil }
            return state.receiver
        }
        receiver?.resume(returning: nil)
    }

    /// The next element, waiting for one; nil once the channel is closed and drained. One receiver at a time.
    func receive() async -> Element? {
        if let element = state.withLock({ $0.take() }) { return element }
        return await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Element?? in
                if let element = state.take() { return .some(element) }
                if state.closed { return .some(nil) }
                state.receiver = continuation
                return .none
            }
            if let now { continuation.resume(returning: now) }
        }
    }
}
