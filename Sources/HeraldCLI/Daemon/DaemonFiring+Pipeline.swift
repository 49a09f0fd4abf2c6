import HeraldCore
import Logging

/// The one bridge between the daemon's services and today's synchronous send pipeline
/// (libcurl, fsync, backoff waits on a `StopToken`), and the only place the daemon touches a
/// `StopToken` or a thread of its own. When `Application.dispatch` is async and takes
/// cancellation as its stop, this file goes: `runPipeline { token in work(token) }` becomes
/// `await work()`, and `application(stoppingOn:meta:)` becomes `buildApplication(parts(meta:))`.
extension DaemonFiring {
    /// Runs a job of the synchronous pipeline on a thread of its own (never on the cooperative
    /// pool) and suspends until it returns; a cancellation meanwhile (the daemon's graceful
    /// shutdown) stops it after the letter in flight, which is finished and logged.
    func runPipeline<T: Sendable>(_ work: @escaping @Sendable (StopToken) -> T) async -> T {
        let token = StopToken()
        return await withTaskCancellationHandler {
            await onOwnThread { work(token) }
        } onCancel: {
            token.stop()
        }
    }

    /// The application of one job, stopping on `runPipeline`'s token.
    func application(stoppingOn token: StopToken, meta: Logger.Metadata) -> Application {
        var parts = parts(meta: meta)
        parts.shouldStop = { token.isStopRequested }
        // A condition wait on the token: a stop ends a backoff at once.
        parts.pause = { token.pause($0) }
        return buildApplication(parts)
    }
}
