import HeraldCore

extension DaemonFiring {
    /// Runs a job of the synchronous send pipeline and suspends until it returns; a
    /// cancellation (the daemon's graceful shutdown) meanwhile stops it after the letter in flight.
    ///
    /// The one bridge between the daemon's services and today's blocking pipeline (libcurl,
    /// fsync, backoff waits on a `StopToken`): it runs on a thread of its own, never on the
    /// cooperative pool. When `Application.dispatch` is async and takes cancellation as its
    /// stop, this becomes `await work()` and the token goes.
    func runPipeline<T: Sendable>(_ work: @escaping @Sendable (StopToken) -> T) async -> T {
        let token = StopToken()
        return await withTaskCancellationHandler {
            await onOwnThread { work(token) }
        } onCancel: {
            token.stop()
        }
    }
}
