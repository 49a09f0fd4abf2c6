import Foundation
import HeraldCore
import Logging
import ServiceLifecycle

/// `herald daemon`'s scheduler: owns the schedules of every campaign in a folder and, at each
/// firing, runs the same send pipeline as `herald send` (same lock, same log, same retries).
///
/// A swift-service-lifecycle `Service` that sleeps on the injected `HeraldClock`: the group's
/// graceful shutdown (SIGTERM/SIGINT) cancels it, so the letter in flight finishes and is
/// logged and no firing starts after it; a reload request (SIGHUP) or a change to the folder
/// reloads the campaigns. See `CampaignScheduler` for the loop.
struct SchedulerService: Service {
    let directory: String
    let firing: DaemonFiring
    let reloads: ReloadSignal

    func run() async throws {
        let (directory, firing, reloads) = (self.directory, self.firing, self.reloads)
        await cancelWhenGracefulShutdown {
            var scheduler = CampaignScheduler(directory: directory, firing: firing, reloads: reloads)
            await scheduler.run()
        }
        firing.logger.info("stopped")
    }
}
