import HeraldCore

extension CurlTransport {
    /// This transport's own thread, where its blocking transfers run: a task that prefers it
    /// (the pipeline's connection task) calls `deliver` without a hop per letter.
    public var deliveryExecutor: (any TaskExecutor)? { thread }

    /// Hands one message to the server without blocking Swift's cooperative pool: the blocking
    /// libcurl transfer (`deliver(_:)`, unchanged) runs on this transport's own thread.
    ///
    /// Contract (`MailTransport`): returns when the transfer is over, with its outcome; the
    /// proof (`lastHandOver`) is set before it returns. Cancellation does not cut the transfer
    /// short: a stop lets the letter in flight finish (libcurl's own timeouts bound it). The
    /// transport's thread starts at the first call (or `deliveryExecutor`) and stops when the
    /// transport goes. A caller already on that thread (it prefers `deliveryExecutor`) does not
    /// hop at all: the transfer runs in the caller's own job.
    public func deliver(_ message: ComposedMessage) async -> DeliveryOutcome {
        await withTaskExecutorPreference(thread) {
            // On the transport's thread here: the preference moved this nonisolated closure there.
            deliver(message)
        }
    }

    /// The transport's thread, made at the first use.
    private var thread: DeliveryThread {
        if let deliveryThread { return deliveryThread }
        let made = DeliveryThread()
        deliveryThread = made
        return made
    }
}
