import NIOPosix

/// A task executor on a dispatch queue of its own, off Swift's cooperative pool.
///
/// Why: most integration tests are synchronous and block their cooperative thread while a
/// `herald` process runs (seconds each, two threads on a two-core machine), so an async test
/// run beside them can wait minutes for a thread. A test that drives services in-process on a
/// mock clock runs them here (`run`), where blocked tests cannot hold them up.
public final class DedicatedExecutor: TaskExecutor {
    /// A thread of its own (a one-thread NIO pool), not a dispatch queue: dispatch's worker
    /// threads are capped like the cooperative pool's, and in a combined run a queue waited
    /// behind the blocked subprocess tests too (a mid-firing shutdown came after 300 s).
    private let thread = NIOThreadPool(numberOfThreads: 1)

    /// The executor the current test runs on (`OffCooperativePool`), for the unstructured tasks
    /// it starts: `Task {}` does not inherit an executor preference, so a test's `Task` must be
    /// given it (`Task(executorPreference: DedicatedExecutor.current)`) or it lands on the pool.
    @TaskLocal public static var current: DedicatedExecutor?

    public init(label: String = "herald.test.executor") {
        thread.start()
    }

    deinit {
        // Joined on NIO's own queue, never here: the last job may be running on this thread.
        thread.shutdownGracefully { _ in }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        // Run even once the pool is shut down (then on NIO's shutdown thread): a job is never dropped.
        thread.submit { _ in job.runSynchronously(on: executor) }
    }

    public func run<T: Sendable>(_ operation: () async throws -> T) async rethrows -> T {
        try await withTaskExecutorPreference(self, operation: operation)
    }
}
