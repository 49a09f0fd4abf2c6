import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// `herald send` as the one service of a ServiceGroup: a stop signal is the group's graceful
/// shutdown, which cancels the send, and a cancelled send stops gracefully (each connection
/// finishes the letter it holds, letters claimed but not handed over get their `deferred`
/// record, exit 75).
///
/// Why a ServiceGroup: one stop path for `send` and the daemon, with no token and no thread
/// of its own. SIGINT, SIGTERM and SIGHUP stop a send; a SIGHUP ignored when Herald started
/// (`nohup`) stays ignored (`GracefulStop.sendSignals`). A second signal changes nothing: the
/// shutdown is already under way, and the letter libcurl holds finishes within its timeouts.
struct SendService: Service {
    let campaign: String
    let allowDuplicates: Bool
    let options: Application.SendOptions
    /// Where the send's exit status is left for the command.
    let status: SendStatus

    func run() async throws {
        let (campaign, allowDuplicates, options) = (self.campaign, self.allowDuplicates, self.options)
        let result = await cancelWhenGracefulShutdown {
            let application = buildApplication(.live)
            application.allowDuplicates = allowDuplicates
            return await application.send(campaign: campaign, options: options)
        }
        status.value.withLock { $0 = result }
    }

    /// Runs `herald send` under a ServiceGroup stopped by the send signals, and returns its exit status.
    static func send(campaign: String, allowDuplicates: Bool, options: Application.SendOptions) async -> ExitStatus {
        let signals = GracefulStop.sendSignals()
        GracefulStop.unblock(signals.map(\.rawValue))
        let status = SendStatus()
        let service = SendService(campaign: campaign, allowDuplicates: allowDuplicates, options: options, status: status)
        var logger = Logger(label: "herald.send") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        // The send ending (done, or stopped) ends the group.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: signals, logger: logger))
        do {
            try await group.run()
        } catch {
            StandardStreams.error("herald: \(error)")
            return .tempFail
        }
        guard let result = status.value.withLock({ $0 }) else {
            StandardStreams.error("herald: the send ended without an exit status")
            return .tempFail
        }
        return result
    }
}

/// The exit status of a send run by `SendService`.
final class SendStatus: Sendable {
    let value = Mutex<ExitStatus?>(nil)
}
