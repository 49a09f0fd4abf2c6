import ServiceLifecycle
import UnixSignals

/// Turns each SIGHUP into a reload request for the daemon's services, until graceful shutdown.
///
/// The signal is trapped by whoever makes the sequence, before the group starts, so a SIGHUP
/// sent as soon as the daemon logs "starting" reloads it rather than killing it.
struct HangupService: Service {
    let hangups: UnixSignalsSequence
    let reloads: ReloadSignal

    func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() { reloads.request() }
    }
}
