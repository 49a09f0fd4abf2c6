import Foundation
import HeraldCore
import HeraldTestSupport
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization

@testable import HeraldCLI

/// `herald daemon` in this process: its scheduler and bounce poller on a `MockClock`, its log
/// lines captured, the live pipeline (libcurl against the test's real SMTP server).
///
/// Why: the daemon's timing (on time, catch-up, skipping, intervals, reloads) is checked by
/// moving the clock, never by sleeping. A test starts the services (`running`), waits until
/// both are asleep (`settle`), advances the clock, and reads the log, the server or the lines.
final class InProcessDaemon: Sendable {
    let clock: MockClock
    let services: DaemonServices
    private let captured = Lines()

    /// The lines logged, shared with the log handler.
    final class Lines: Sendable {
        let all = Mutex<[String]>([])
    }

    /// - Parameters:
    ///   - campaigns: the folder of campaign files.
    ///   - runtime: the folder of campaign-name locks: the one the test's `herald` processes use.
    ///   - environment: more of the environment the firings see (`password_env` variables).
    init(campaigns: String, clock: MockClock, runtime: String, environment: [String: String] = [:]) {
        self.clock = clock
        let captured = self.captured
        let logger = Logger(label: "herald.daemon.test") { _ in
            HeraldLogHandler(format: .text, clock: clock, write: { line in captured.all.withLock { $0.append(line) } })
        }
        let firing = DaemonFiring(
            clock: clock, logger: logger,
            makeParts: {
                var parts = ApplicationParts.live
                parts.environment["XDG_RUNTIME_DIR"] = runtime
                parts.environment.merge(environment) { $1 }
                parts.progress = nil
                return parts
            })
        services = DaemonServices(directory: campaigns, firing: firing)
    }

    /// Every line logged so far, one per event.
    var lines: [String] { captured.all.withLock { $0 } }
    var text: String { lines.joined(separator: "\n") }

    /// Runs `body` while the scheduler and the bounce poller run, then shuts them down
    /// gracefully (as SIGTERM does) and waits until both have returned; all of it on a
    /// `DedicatedExecutor`.
    func running<T: Sendable>(_ body: (GracefulShutdownTestTrigger) async throws -> T) async throws -> T {
        let services = self.services
        // Off the cooperative pool, which the synchronous subprocess tests beside it can hold for minutes.
        return try await DedicatedExecutor(label: "herald.test.daemon").run {
            try await testGracefulShutdown { trigger in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await services.scheduler.run() }
                    group.addTask { try await services.bouncePoller.run() }
                    do {
                        let result = try await body(trigger)
                        trigger.triggerGracefulShutdown()
                        try await group.waitForAll()
                        return result
                    } catch {
                        trigger.triggerGracefulShutdown()
                        try await group.waitForAll()
                        throw error
                    }
                }
            }
        }
    }

    /// Waits until both services are asleep on the clock: whatever the last advance made due
    /// has run (firings included). False after `timeout` of real time.
    @discardableResult
    func settle(timeout: Duration = .seconds(60)) async -> Bool {
        await clock.waitForSleepers(2, timeout: timeout)
    }

    /// Moves the clock by `seconds` and waits until the services are asleep again.
    @discardableResult
    func advance(by seconds: Double) async -> Bool {
        clock.advance(by: seconds)
        return await settle()
    }

    /// Waits (checking every few milliseconds of real time) until a logged line contains `text`.
    func waitForLine(containing text: String, timeout: Duration = .seconds(60)) async -> Bool {
        let end = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < end {
            if lines.contains(where: { $0.contains(text) }) { return true }
            // Cancelled: the loop ends at its deadline all the same.
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Waits (checking every few milliseconds of real time) until `condition` holds.
    func waitUntil(timeout: Duration = .seconds(60), _ condition: @Sendable () -> Bool) async -> Bool {
        let end = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < end {
            if condition() { return true }
            // Cancelled: the loop ends at its deadline all the same.
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }
}
