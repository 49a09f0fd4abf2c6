import Dispatch

/// A task executor on a dispatch queue of its own, off Swift's cooperative pool.
///
/// Why: most integration tests are synchronous and block their cooperative thread while a
/// `herald` process runs (seconds each, two threads on a two-core machine), so an async test
/// run beside them can wait minutes for a thread. A test that drives services in-process on a
/// mock clock runs them here (`run`), where blocked tests cannot hold them up.
public final class DedicatedExecutor: TaskExecutor {
    private let queue: DispatchQueue

    /// The executor the current test runs on (`OffCooperativePool`), for the unstructured tasks
    /// it starts: `Task {}` does not inherit an executor preference, so a test's `Task` must be
    /// given it (`Task(executorPreference: DedicatedExecutor.current)`) or it lands on the pool.
    @TaskLocal public static var current: DedicatedExecutor?

    public init(label: String = "herald.test.executor") {
        queue = DispatchQueue(label: label)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    /// Runs `operation`, and every child task it starts, on this executor.
    public func run<T: Sendable>(_ operation: () async throws -> T) async rethrows -> T {
        try await withTaskExecutorPreference(self, operation: operation)
    }
}
