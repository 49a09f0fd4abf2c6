import Foundation
import HeraldTestSupport
import Testing

/// Faults injected by a real SMTP server and by killing real `herald` processes; every test
/// asserts on what the server received, not only on what Herald says.
@Suite(.tags(.integration)) struct FaultIntegrationTests {
    static let template = """
        From: Office <office@org.example>
        To: {{name}} <{{email}}>
        Subject: Letter {{number}}

        Dear {{name}}, this is letter {{number}}.
        """

    /// A campaign of `count` recipients with a plain template.
    static func bulkCampaign(_ count: Int, extra: String = "") -> TestCampaign {
        let rows = (1...count).map { "r\($0)@bulk.example,Recipient \($0),\($0)" }
        return TestCampaign(template: template, csv: "email,name,number\n" + rows.joined(separator: "\n") + "\n", extra: extra)
    }

    /// Message-ID → how many times the server stored it.
    static func counts(_ server: SMTPTestServer) -> [String: Int] {
        server.messages().reduce(into: [:]) { $0[$1.messageID ?? "?", default: 0] += 1 }
    }

    static func inDoubtLines(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("in doubt: ") }
    }

    @Test func greeting421IsRetriedOnANewConnection() throws {
        let server = try SMTPTestServer(faults: ["--greeting-reply", "421x1"])
        let campaign = TestCampaign(extra: "[retry]\ninitial_backoff_seconds = 0.1\n")
        let result = try campaign.send(server)
        #expect(result.status == 0, "\(result)")
        #expect(server.messages().count == 15)
        #expect(server.connections() == 2)
    }

    @Test(arguments: [1, 4])
    func connectionDroppedAfterTheBodyIsInDoubtNotRetried(concurrency: Int) throws {
        let server = try SMTPTestServer(faults: ["--data-drop", "1"])
        let campaign = TestCampaign(extra: "[limits]\nconcurrency = \(concurrency)\n")
        let first = try campaign.send(server)
        #expect(first.status == 75, "\(first)")
        let doubts = Self.inDoubtLines(first.stderr)
        // One connection sends in list order, so the first letter is the one dropped; with four,
        // whichever reached the end of DATA first.
        let dropped = concurrency == 1 ? "in doubt: minister@bmaa.austria.example <" : "in doubt: minister@"
        #expect(doubts.count == 1 && doubts[0].hasPrefix(dropped), "\(first.stderr)")
        #expect(server.messages().count == 14, "the dropped one was not stored, and Herald did not silently retry it")
        #expect(try campaign.statusJSON()["in_doubt"] == 1)

        let again = try campaign.send(server)
        #expect(again.status == 75 && server.messages().count == 14, "a plain rerun never resends a letter in doubt")

        let resend = try campaign.send(server, ["--resend-in-doubt"])
        #expect(resend.status == 0, "\(resend)")
        #expect(Self.counts(server).values.allSatisfy { $0 == 1 } && server.messages().count == 15)
    }

    @Test func operatorResolvesALetterInDoubt() throws {
        let server = try SMTPTestServer(faults: ["--data-drop", "1"])
        let campaign = TestCampaign()
        #expect(try campaign.send(server).status == 75)
        let resolved = try Subprocess.herald(["resolve", campaign.path, "--recipient", "Minister@bmaa.austria.example", "--as", "sent"])
        #expect(resolved.status == 0, "\(resolved)")
        #expect(try campaign.statusJSON()["in_doubt"] == 0)
        #expect(try campaign.statusJSON()["sent"] == 15)
        let after = try campaign.send(server)
        #expect(after.status == 0 && server.messages().count == 14, "a resolved letter is not sent again")
        let twice = try Subprocess.herald(["resolve", campaign.path, "--recipient", "minister@bmaa.austria.example", "--as", "failed"])
        #expect(twice.status == 65 && twice.stderr.contains("already recorded as sent"))
    }

    @Test func slowServerPastTheReplyTimeoutLeavesTheLetterInDoubt() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "3"])
        let campaign = TestCampaign(
            template: Self.template, csv: "email,name,number\nslow@x.example,Slow,1\n",
            extra: "[retry]\nmax_attempts = 3\ninitial_backoff_seconds = 0.1\n")
        var text = try String(contentsOfFile: campaign.path, encoding: .utf8)
        text += "\nreply_timeout_seconds = 1\n"
        try text.write(toFile: campaign.path, atomically: true, encoding: .utf8)
        let result = try campaign.send(server)
        #expect(result.status == 75, "\(result)")
        let doubts = Self.inDoubtLines(result.stderr)
        #expect(doubts.count == 1, "\(result.stderr)")
        #expect(waitUntil(10) { server.messages().count == 1 }, "the slow server did take the letter")
        #expect(doubts.first?.contains(server.messages().first?.messageID ?? "?") == true, "the report names the Message-ID to look for")
        #expect(campaign.records().filter { $0["status"] as? String == "sending" }.count == 1, "no silent retry after the body was sent")
    }

    @Test(arguments: [1, 4])
    func killMinus9MidCampaignThenResumeLosesNothingAndDuplicatesAtMostTheInDoubt(concurrency: Int) throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.01"])
        let campaign = Self.bulkCampaign(500, extra: "[limits]\nconcurrency = \(concurrency)\n")
        let running = try Subprocess.start(PackagePaths.herald, ["send", campaign.path, "--smtp-url", server.url])
        #expect(waitUntil(60) { server.messages().count >= 120 })
        running.signal(SIGKILL)
        let killed = running.wait()
        #expect(killed.status != 0)
        let before = server.messages().count
        #expect(before < 500, "the kill landed mid-campaign")

        let resume = try campaign.send(server)
        let doubts = Self.inDoubtLines(resume.stderr)
        // The letters in flight, plus those claimed ahead of them: about 20 ms of sending at this
        // server's pace (a 10 ms delay after DATA: under 100 letters a second per connection).
        #expect(doubts.count <= 10 * concurrency, "at most the letters in flight and claimed ahead are in doubt: \(doubts)")
        #expect(resume.status == (doubts.isEmpty ? 0 : 75), "\(resume)")
        if !doubts.isEmpty {
            let finish = try campaign.send(server, ["--resend-in-doubt"])
            #expect(finish.status == 0, "\(finish)")
        }
        let counts = Self.counts(server)
        #expect(counts.count == 500, "every recipient has a letter")
        let duplicates = counts.filter { $0.value > 1 }
        #expect(duplicates.count <= doubts.count, "duplicates only among the reported in-doubt letters: \(duplicates)")
        for (messageID, _) in duplicates {
            #expect(doubts.contains { $0.contains(messageID) })
        }
        #expect(try campaign.statusJSON()["sent"] == 500)
    }

    @Test(arguments: [1, 4])
    func sigtermMidCampaignStopsCleanlyAndResumesWithoutDuplicates(concurrency: Int) throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.01"])
        let campaign = Self.bulkCampaign(500, extra: "[limits]\nconcurrency = \(concurrency)\n")
        let running = try Subprocess.start(PackagePaths.herald, ["send", campaign.path, "--smtp-url", server.url])
        #expect(waitUntil(60) { server.messages().count >= 120 })
        running.signal(SIGTERM)
        let stopped = running.wait()
        #expect(stopped.status == 75, "\(stopped)")
        #expect(stopped.stderr.contains("stopped on request"))
        #expect(server.messages().count < 500)
        #expect(try campaign.statusJSON()["in_doubt"] == 0, "after a graceful stop nothing is in doubt")

        let resume = try campaign.send(server)
        #expect(resume.status == 0, "\(resume)")
        let counts = Self.counts(server)
        #expect(counts.count == 500 && counts.values.allSatisfy { $0 == 1 })
    }

    @Test func twoSendsStartedTogetherSendEachLetterOnce() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.01"])
        let campaign = Self.bulkCampaign(300)
        let arguments = ["send", campaign.path, "--smtp-url", server.url]
        let one = try Subprocess.start(PackagePaths.herald, arguments)
        let two = try Subprocess.start(PackagePaths.herald, arguments)
        let results = [one.wait(), two.wait()]
        let statuses = results.map(\.status).sorted()
        #expect(statuses == [0, 75], "\(results)")
        let loser = results.first { $0.status == 75 }
        #expect(loser?.stderr.contains("campaign cli-test is being sent by pid") == true)
        let counts = Self.counts(server)
        #expect(counts.count == 300 && counts.values.allSatisfy { $0 == 1 })
    }

    @Test func editedTemplateRefusesToResumeUnlessAllowed() throws {
        let server = try SMTPTestServer(faults: ["--rcpt-reply", "r2@bulk.example=451"])
        let campaign = Self.bulkCampaign(3, extra: "[retry]\nmax_attempts = 1\n")
        #expect(try campaign.send(server).status == 75)
        let connectionsBefore = server.connections()
        campaign.folder.write("letter.mustache", Self.template + "\nP.S. A second version.\n")
        let refused = try campaign.send(server)
        #expect(refused.status == 65, "\(refused)")
        #expect(refused.stderr.contains("letter.mustache: template: changed since this campaign started sending"))
        #expect(refused.stderr.contains("--allow-changed"))
        #expect(server.connections() == connectionsBefore, "nothing was sent after the edit")
        let allowed = try campaign.send(server, ["--allow-changed"])
        #expect(allowed.status == 75 && allowed.stderr.contains("warning:"), "\(allowed)")
    }
}
