import NIOPosix

/// A task executor that is one thread of its own: the jobs of the tasks that prefer it run
/// there, in order, one at a time.
///
/// Why: a `CurlTransport`'s transfer blocks its thread for the whole SMTP dialogue. The
/// pipeline's connection task prefers its transport's `DeliveryThread`, so the task itself
/// runs here and calls the blocking transfer directly, without a hop from Swift's cooperative
/// pool to a transfer thread and back for every letter (each hop a wake-up of another
/// thread). The thread starts with the executor and stops when the executor goes.
public final class DeliveryThread: TaskExecutor {
    /// The one thread (`NIOThreadPool` of one: its work queue and wake-ups are NIO's).
    private let thread = NIOThreadPool(numberOfThreads: 1)

    public init() {
        thread.start()
    }

    deinit {
        // Joins the thread on a queue of NIO's, never here: the last job may be running on it.
        thread.shutdownGracefully { _ in }
    }

    /// Runs `job` on the thread, after the jobs enqueued before it.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        thread.submit { _ in
            // Run even when the pool was already shut down (then on the submitting or NIO's
            // shutdown thread): a task's job must never be dropped.
            job.runSynchronously(on: executor)
        }
    }
}
