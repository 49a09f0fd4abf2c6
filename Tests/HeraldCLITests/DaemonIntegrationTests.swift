import Foundation
import HeraldTestSupport
import Testing

/// `herald daemon` as a real process, with a real SMTP server, on real (or sped-up) time.
@Suite(.tags(.integration)) struct DaemonIntegrationTests {
    static let template = """
    From: Office <office@org.example>
    To: {{name}} <{{email}}>
    Subject: Scheduled letter

    Dear {{name}}.
    """

    /// A folder of campaigns, each with its own list and log, all pointing at `server`.
    final class CampaignFolder: @unchecked Sendable {
        let root = TemporaryDirectory("herald-daemon")
        var campaigns: String { root.file("campaigns") }

        init() {
            root.write("letter.mustache", DaemonIntegrationTests.template)
            try? FileManager.default.createDirectory(atPath: campaigns, withIntermediateDirectories: true)
        }

        @discardableResult
        func add(_ name: String, schedule: String, recipients: Int, server: SMTPTestServer, extra: String = "") -> String {
            let rows = (1...recipients).map { "\(name)-\($0)@daemon.example,Reader \($0)" }
            let list = root.write("\(name).csv", "email,name\n" + rows.joined(separator: "\n") + "\n")
            return root.write("campaigns/\(name).toml", """
            name = "\(name)"
            template = "\(root.file("letter.mustache"))"
            recipients = ["\(list)"]
            log = "\(root.file("\(name).jsonl"))"
            schedule = "\(schedule)"
            \(extra)
            [smtp]
            url = "\(server.url)"
            """)
        }

        func log(_ name: String) -> [[String: Any]] {
            guard let text = root.read("\(name).jsonl") else { return [] }
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        func start(_ more: [String] = []) throws -> Subprocess.Running {
            try Subprocess.start(PackagePaths.herald, ["daemon", "--campaigns", campaigns] + more)
        }
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    @Test func oneShotFiresOnTimeAndNeverAgain() throws {
        let server = try SMTPTestServer()
        let folder = CampaignFolder()
        let due = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 4).rounded(.up))
        folder.add("oneshot", schedule: Self.rfc3339(due), recipients: 3, server: server)
        let daemon = try folder.start()
        #expect(waitUntil(30) { server.messages().count >= 1 })
        let delay = Date().timeIntervalSince(due)
        print("observed firing delay: \(String(format: "%.3f", delay)) s after the due time")
        #expect(delay >= -0.05 && delay <= 1.0, "first message arrived \(delay) s after the due time")
        #expect(waitUntil(30) { server.messages().count == 3 })
        daemon.signal(SIGTERM)
        let first = daemon.wait(timeout: 20)
        #expect(first.status == 0, "\(first)")
        #expect(first.stderr.contains("firing"))

        let again = try folder.start()
        usleep(2_500_000)
        again.signal(SIGTERM)
        let second = again.wait(timeout: 20)
        #expect(second.status == 0, "\(second)")
        #expect(second.stderr.contains("already completed"), "\(second.stderr)")
        #expect(server.messages().count == 3, "a completed one-shot campaign is never sent again")
    }

    @Test func missedFiringIsCaughtUpOnlyWithinCatchUpSeconds() throws {
        let server = try SMTPTestServer()
        let folder = CampaignFolder()
        let missed = Self.rfc3339(Date().addingTimeInterval(-30))
        folder.add("recent", schedule: missed, recipients: 2, server: server, extra: "catch_up_seconds = 60")
        folder.add("stale", schedule: missed, recipients: 3, server: server, extra: "catch_up_seconds = 10")
        let daemon = try folder.start()
        #expect(waitUntil(15) { server.messages().count >= 2 })
        usleep(500_000)
        daemon.signal(SIGTERM)
        let result = daemon.wait(timeout: 20)
        #expect(result.status == 0, "\(result)")
        let recipients = server.messages().flatMap(\.recipients)
        #expect(recipients.sorted() == ["recent-1@daemon.example", "recent-2@daemon.example"])
        #expect(result.stderr.contains("catching up a missed firing campaign=recent"), "\(result.stderr)")
        #expect(result.stderr.contains("skipped: the firing is older than catch_up_seconds campaign=stale"), "\(result.stderr)")
    }

    @Test func recurringCampaignSendsOncePerOccurrence() throws {
        let server = try SMTPTestServer()
        let folder = CampaignFolder()
        folder.add("weekly", schedule: "* * * * *", recipients: 2, server: server, extra: "catch_up_seconds = 0")
        // Hidden test hook: the daemon's clock runs 60 times faster, so a minute passes in a second.
        let daemon = try folder.start(["--time-scale", "60"])
        #expect(waitUntil(30) { server.messages().count >= 4 })
        daemon.signal(SIGTERM)
        let result = daemon.wait(timeout: 20)
        #expect(result.status == 0, "\(result)")
        let messages = server.messages()
        let perMessageID = Dictionary(grouping: messages, by: { $0.messageID ?? "?" })
        #expect(perMessageID.values.allSatisfy { $0.count == 1 }, "each occurrence's letter once")
        let sent = folder.log("weekly").filter { $0["status"] as? String == "sent" }
        let occurrences = Set(sent.compactMap { $0["occurrence"] as? String })
        #expect(occurrences.count >= 2)
        #expect(sent.count == messages.count)
        for occurrence in occurrences {
            #expect(sent.filter { $0["occurrence"] as? String == occurrence }.count <= 2)
        }
    }

    @Test func brokenCampaignIsReportedAndSighupPicksUpANewOne() throws {
        let server = try SMTPTestServer()
        let folder = CampaignFolder()
        folder.root.write("campaigns/broken.toml", "name = \"broken\"\nthis is not toml\n")
        let daemon = try folder.start()
        usleep(1_000_000)  // let it load (and reject) the broken file
        #expect(daemon.process.isRunning, "a broken campaign file does not stop the daemon")
        let due = Date().addingTimeInterval(2)
        folder.add("late", schedule: Self.rfc3339(due), recipients: 2, server: server)
        daemon.signal(SIGHUP)
        #expect(waitUntil(15) { server.messages().count == 2 }, "the new campaign fired")
        daemon.signal(SIGTERM)
        let result = daemon.wait(timeout: 20)
        #expect(result.status == 0)
        #expect(result.stderr.contains("broken.toml"), "the broken file is reported")
        #expect(result.stderr.contains("does not validate"))
    }

    @Test func sigtermDuringASendLeavesNothingInDoubt() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.01"])
        let folder = CampaignFolder()
        let path = folder.add("big", schedule: Self.rfc3339(Date().addingTimeInterval(1)), recipients: 300, server: server)
        let daemon = try folder.start(["--log-format", "json"])
        #expect(waitUntil(30) { server.messages().count >= 50 })
        daemon.signal(SIGTERM)
        let result = daemon.wait(timeout: 30)
        #expect(result.status == 0, "\(result)")
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil }, "--log-format json: one JSON object per line")
        let status = try Subprocess.herald(["status", path, "--json"])
        #expect(status.stdout.contains("\"in_doubt\":0"), "\(status)")
        #expect(server.messages().count < 300)
        let finish = try Subprocess.herald(["send", path])
        #expect(finish.status == 0, "\(finish)")
        let counts = Dictionary(grouping: server.messages(), by: { $0.messageID ?? "?" }).mapValues(\.count)
        #expect(counts.count == 300 && counts.values.allSatisfy { $0 == 1 })
    }
}
