import Foundation
import HeraldTestSupport
import Testing

/// Issue 9, "one stop path": every way of asking a real `herald` process to stop ends in the
/// same graceful stop: signals blocked or ignored by the parent, SIGINT, a stop during a
/// backoff wait, and the daemon's idle wait.
@Suite(.tags(.integration)) struct StopIntegrationTests {
    static let template = """
        From: Office <office@org.example>
        To: {{name}} <{{email}}>
        Subject: Letter {{number}}

        Dear {{name}}, this is letter {{number}}.
        """

    static func campaign(_ count: Int, extra: String = "") -> TestCampaign {
        let rows = (1...count).map { "r\($0)@stop.example,Recipient \($0),\($0)" }
        return TestCampaign(template: template, csv: "email,name,number\n" + rows.joined(separator: "\n") + "\n", extra: extra)
    }

    /// Retries that would wait two minutes: a stop must cut the wait short.
    static let slowRetry = """
        [retry]
        max_attempts = 3
        initial_backoff_seconds = 120
        max_backoff_seconds = 120
        """

    /// Starts `herald ARGS` through Python, which first runs `prelude` (to block or ignore
    /// signals) and then execs Herald in its place: the same pid, the inherited signal state.
    static func startHerald(after prelude: String, _ arguments: [String]) throws -> Subprocess.Running {
        let script = "import os, signal, sys\n\(prelude)\nos.execv(sys.argv[1], sys.argv[1:])\n"
        return try Subprocess.start("python3", ["-c", script, PackagePaths.herald] + arguments)
    }

    static func counts(_ server: SMTPTestServer) -> [String: Int] {
        server.messages().reduce(into: [:]) { $0[$1.messageID ?? "?", default: 0] += 1 }
    }

    @Test func sendStartedWithTheStopSignalsBlockedStillStopsGracefullyOnSIGINT() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.01"])
        let campaign = Self.campaign(200)
        let running = try Self.startHerald(
            after: "signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])",
            ["send", campaign.path, "--smtp-url", server.url])
        #expect(waitUntil(60) { server.messages().count >= 30 })
        running.signal(SIGINT)
        let stopped = running.wait(timeout: 30)
        #expect(stopped.status == 75, "\(stopped)")
        #expect(stopped.stderr.contains("stopped on request"))
        #expect(server.messages().count < 200)
        #expect(try campaign.statusJSON()["in_doubt"] == 0, "nothing in doubt after a graceful stop")

        let resume = try campaign.send(server)
        #expect(resume.status == 0, "\(resume)")
        let counts = Self.counts(server)
        #expect(counts.count == 200 && counts.values.allSatisfy { $0 == 1 })
    }

    @Test func sighupIgnoredAtStartStaysIgnoredBySend() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.01"])
        let campaign = Self.campaign(60)
        let running = try Self.startHerald(
            after: "signal.signal(signal.SIGHUP, signal.SIG_IGN)",
            ["send", campaign.path, "--smtp-url", server.url])
        #expect(waitUntil(60) { server.messages().count >= 10 })
        running.signal(SIGHUP)
        let result = running.wait(timeout: 60)
        #expect(result.status == 0, "under nohup a hang-up neither stops nor kills a send: \(result)")
        #expect(!result.stderr.contains("stopped on request"))
        #expect(server.messages().count == 60)
    }

    @Test func sigtermDuringABackoffWaitEndsItAtOnce() throws {
        let server = try SMTPTestServer(faults: ["--rcpt-reply", "r1@stop.example=451"])
        let campaign = Self.campaign(1, extra: Self.slowRetry)
        let running = try Subprocess.start(PackagePaths.herald, ["send", campaign.path, "--smtp-url", server.url])
        #expect(waitUntil(30) { campaign.records().contains { $0["status"] as? String == "deferred" } })
        usleep(300_000)  // into the wait (up to 120 s) before the second attempt
        let signalled = Date()
        running.signal(SIGTERM)
        let stopped = running.wait(timeout: 60)
        let took = Date().timeIntervalSince(signalled)
        #expect(stopped.status == 75, "\(stopped)")
        #expect(stopped.stderr.contains("stopped on request"), "\(stopped)")
        #expect(took < 5, "the backoff wait ended with the signal, not \(took) s later")
        #expect(try campaign.statusJSON()["in_doubt"] == 0)
    }

    @Test func idleDaemonStopsAtOnceOnSIGINT() throws {
        let server = try SMTPTestServer()
        let folder = DaemonIntegrationTests.CampaignFolder()
        folder.add("later", schedule: DaemonIntegrationTests.rfc3339(Date().addingTimeInterval(3600)), recipients: 1, server: server)
        let daemon = try folder.start()
        // Idle: loaded, and asleep until the firing an hour away.
        #expect(waitUntil(30) { daemon.stderrSoFar().contains("scheduled campaign=later") }, "\(daemon.stderrSoFar())")
        let signalled = Date()
        daemon.signal(SIGINT)
        let result = daemon.wait(timeout: 20)
        let took = Date().timeIntervalSince(signalled)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("scheduled campaign=later"), "\(result.stderr)")
        #expect(result.stderr.contains("stopped"), "\(result.stderr)")
        #expect(took < 3, "the idle wait (an hour to the next firing) ended with the signal, not \(took) s later")
        #expect(server.messages().isEmpty)
    }

    @Test func daemonStoppedDuringAFiringsBackoffWaitExitsZeroWithNothingInDoubt() throws {
        let server = try SMTPTestServer(faults: ["--rcpt-reply", "slow-1@daemon.example=451"])
        let folder = DaemonIntegrationTests.CampaignFolder()
        let path = folder.add(
            "slow", schedule: DaemonIntegrationTests.rfc3339(Date().addingTimeInterval(1)), recipients: 1,
            server: server, extra: Self.slowRetry)
        let daemon = try folder.start()
        // The deferred record is written just before the backoff's sleep begins on the clock.
        #expect(waitUntil(30) { folder.log("slow").contains { $0["status"] as? String == "deferred" } })
        let signalled = Date()
        daemon.signal(SIGTERM)
        let result = daemon.wait(timeout: 60)
        let took = Date().timeIntervalSince(signalled)
        #expect(result.status == 0, "\(result)")
        #expect(took < 5, "the firing's backoff wait ended with the shutdown, not \(took) s later")
        #expect(result.stderr.contains("fired campaign=slow"), "\(result.stderr)")
        #expect(result.stderr.contains("exit=75"), "the firing stopped on request: \(result.stderr)")
        let status = try Subprocess.herald(["status", path, "--json"])
        #expect(status.stdout.contains("\"in_doubt\":0"), "\(status)")
    }
}
