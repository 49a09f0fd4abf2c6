import ArgumentParser
import Foundation
import HeraldCore
import Logging
import ServiceLifecycle
import UnixSignals

/// The daemon's services over one campaign folder, one clock and one log: the scheduler and
/// the bounce poller, sharing a reload signal and taking turns at the pipeline.
///
/// Built in one place for the binary (`runDaemon`, on the system clock with SIGHUP as the
/// reload) and for in-process tests (a mock clock, `reloads.request()` as the SIGHUP).
struct DaemonServices: Sendable {
    let reloads = ReloadSignal()
    let scheduler: SchedulerService
    let bouncePoller: BouncePollerService

    init(directory: String, firing: DaemonFiring) {
        scheduler = SchedulerService(directory: directory, firing: firing, reloads: reloads)
        bouncePoller = BouncePollerService(directory: directory, firing: firing, reloads: reloads)
    }
}

extension HeraldLogHandler.Format: ExpressibleByArgument {}

/// Runs the daemon's services under a ServiceGroup that turns SIGTERM/SIGINT into a graceful
/// shutdown, until that shutdown has stopped them.
///
/// SIGHUP is trapped for reloading even when it was ignored at start (`nohup`): the daemon
/// is driven by it (`systemctl reload`), unlike `herald send`.
func runDaemon(directory: String, format: HeraldLogHandler.Format) async throws {
    GracefulStop.unblock([SIGTERM, SIGINT, SIGHUP])
    let clock = SystemClock()
    let logger = Logger(label: "herald.daemon") { _ in HeraldLogHandler(format: format, clock: clock) }
    let hangups = await UnixSignalsSequence(trapping: .sighup)
    logger.info("starting", metadata: ["campaigns": "\(directory)", "pid": "\(getpid())"])
    let daemon = DaemonServices(directory: directory, firing: DaemonFiring(clock: clock, logger: logger))
    var quiet = logger
    quiet.logLevel = .warning
    let group = ServiceGroup(
        configuration: .init(
            services: [
                .init(service: HangupService(hangups: hangups, reloads: daemon.reloads)),
                .init(service: daemon.bouncePoller),
                .init(service: daemon.scheduler),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: quiet))
    try await group.run()
}
