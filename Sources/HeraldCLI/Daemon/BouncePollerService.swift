import ServiceLifecycle

/// The daemon's bounce poller: reads the mailbox of every campaign in the folder with a
/// `[bounces]` table (scheduled or not: a finished campaign's letters still bounce), each every
/// `poll_seconds` on the daemon's clock, the first time when the campaign is loaded.
///
/// A `Service` beside the scheduler: a graceful shutdown cancels its sleep, or lets the pass
/// in hand finish. It reloads the folder on a reload request and when the folder changes, as
/// the scheduler does; a campaign file that cannot be read or parsed is logged and left out.
struct BouncePollerService: Service {
    let directory: String
    let firing: DaemonFiring
    let reloads: ReloadSignal

    func run() async throws {
        let (directory, firing, reloads) = (self.directory, self.firing, self.reloads)
        await cancelWhenGracefulShutdown {
            var poller = BouncePolling(directory: directory, firing: firing, reloads: reloads)
            await poller.run()
        }
    }
}
