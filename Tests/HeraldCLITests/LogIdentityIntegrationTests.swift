import Foundation
import HeraldTestSupport
import Testing

/// One delivery log belongs to one campaign, and every path to one log meets one lock
/// (issue 8, "nothing sent twice"). Real `herald` processes against a real SMTP server.
@Suite(.tags(.integration)) struct LogIdentityIntegrationTests {
    /// The 1999 campaign's 15 rows, then 15 more with addresses of their own: 30 letters.
    static func thirtyRecipients() -> String {
        let lines = realRecipientRows()
        let rows = Array(lines.dropFirst())
        let extra = rows.enumerated().map { index, row in
            "delegate\(index + 1)@delegations.example" + row.drop { $0 != "," }
        }
        return ([lines[0]] + rows + extra).joined(separator: "\n") + "\n"
    }

    /// Changes the campaign file's `name` line.
    static func rename(_ campaign: TestCampaign, to name: String) throws {
        let text = try String(contentsOfFile: campaign.path, encoding: .utf8)
        let renamed = text.replacingOccurrences(of: #"(?m)^name = "[^"]*""#, with: "name = \"\(name)\"", options: .regularExpression)
        #expect(renamed.hasPrefix("name = \"\(name)\"\n"))
        try renamed.write(toFile: campaign.path, atomically: true, encoding: .utf8)
    }

    // MARK: one log, one campaign

    @Test func renamedCampaignIsRefusedAndNothingIsSentAgain() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign()
        let first = try campaign.send(server)
        #expect(first.status == 0, "\(first)")
        #expect(server.messages().count == 15)
        let logBefore = campaign.folder.read("delivery.jsonl")

        try Self.rename(campaign, to: "cli-test-renamed")
        let again = try campaign.send(server)
        #expect(again.status == 65, "\(again)")
        #expect(
            again.stderr.contains(#"delivery.jsonl:1: this log belongs to campaign "cli-test", but \#(campaign.path) is named "cli-test-renamed""#),
            "\(again.stderr)")
        #expect(again.stderr.contains(#"put back name = "cli-test""#), "\(again.stderr)")
        #expect(server.messages().count == 15, "nothing is sent again under the new name")
        #expect(server.connections() == 1, "no connection is opened")
        #expect(campaign.folder.read("delivery.jsonl") == logBefore, "the log is left as it was")

        for command in ["validate", "status"] {
            let result = try Subprocess.herald([command, campaign.path])
            #expect(result.status == 65, "\(command): \(result)")
            #expect(result.stderr.contains(#"this log belongs to campaign "cli-test", but"#), "\(command): \(result.stderr)")
        }
        let resolve = try Subprocess.herald(["resolve", campaign.path, "--recipient", "minister@bmaa.austria.example", "--as", "sent"])
        #expect(resolve.status == 65, "\(resolve)")
        #expect(campaign.folder.read("delivery.jsonl") == logBefore)

        try Self.rename(campaign, to: "cli-test")  // the README's advice: put the name back
        let restored = try campaign.send(server)
        #expect(restored.status == 0, "\(restored)")
        #expect(restored.stdout.contains("0 sent, 0 failed, 0 deferred, 0 in doubt, 15 already done"), "\(restored)")
        #expect(server.messages().count == 15)
    }

    @Test func oneRecordOfAnotherCampaignIsRefusedNamingItsLine() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign()
        let first = try campaign.send(server)
        #expect(first.status == 0, "\(first)")
        #expect(server.messages().count == 15)
        // Line 8 is a record in the middle of the log; its campaign is edited.
        var lines = try #require(campaign.folder.read("delivery.jsonl")).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let edited = 7
        lines[edited] = lines[edited].replacingOccurrences(of: #""campaign":"cli-test""#, with: #""campaign":"cli-test-2""#)
        let text = lines.joined(separator: "\n")
        campaign.folder.write("delivery.jsonl", text)

        let again = try campaign.send(server)
        #expect(again.status == 65, "\(again)")
        #expect(
            again.stderr.contains(
                #"delivery.jsonl:\#(edited + 1): this record belongs to campaign "cli-test-2", but the log and \#(campaign.path) are campaign "cli-test""#),
            "\(again.stderr)")
        #expect(server.messages().count == 15, "nothing is sent")
        #expect(server.connections() == 1, "no connection is opened")
        #expect(campaign.folder.read("delivery.jsonl") == text)
        for command in ["validate", "status"] {
            let result = try Subprocess.herald([command, campaign.path])
            #expect(result.status == 65, "\(command): \(result)")
            #expect(result.stderr.contains("delivery.jsonl:\(edited + 1): this record belongs to campaign \"cli-test-2\""), "\(command): \(result.stderr)")
        }
    }

    @Test func daemonRefusesALogOfAnotherCampaign() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign()
        #expect(try campaign.send(server).status == 0)
        try Self.rename(campaign, to: "cli-test-renamed")
        // A one-shot firing that is due now: the daemon catches it up at once.
        let text = try String(contentsOfFile: campaign.path, encoding: .utf8)
        let due = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-5))
        let campaigns = campaign.folder.file("campaigns")
        try FileManager.default.createDirectory(atPath: campaigns, withIntermediateDirectories: true)
        let scheduled =
            text
            .replacingOccurrences(of: "log = \"delivery.jsonl\"", with: "log = \"\(campaign.log)\"\nschedule = \"\(due)\"")
            .replacingOccurrences(of: "smtp://127.0.0.1:9", with: server.url)
        try scheduled.write(toFile: (campaigns as NSString).appendingPathComponent("renamed.toml"), atomically: true, encoding: .utf8)
        let logBefore = campaign.folder.read("delivery.jsonl")
        let daemon = try Subprocess.start(PackagePaths.herald, ["daemon", "--campaigns", campaigns])
        // The firing is due at once; give it 5 s (returns early when it does connect).
        let fired = waitUntil(5) { server.connections() > 1 }
        daemon.signal(SIGTERM)
        let result = daemon.wait(timeout: 20)
        #expect(!fired, "the daemon does not connect")
        #expect(campaign.folder.read("delivery.jsonl") == logBefore, "the log is left as it was")
        #expect(
            result.stderr.contains(#"this log belongs to campaign \"cli-test\""#) || result.stderr.contains(#"this log belongs to campaign "cli-test""#),
            "\(result.stderr)")
        #expect(result.stderr.contains("campaign not scheduled: its delivery log cannot be used"), "reported when loaded, not at each firing: \(result.stderr)")
        #expect(server.messages().count == 15)
    }

    // MARK: one log, one lock

    /// Starts two senders of the same 30-letter campaign at once, each reaching the log by
    /// its own path, and checks that exactly one of them sends, each letter exactly once.
    static func raceTwoSenders(logA: String, logB: String, prepare: (TestCampaign) throws -> Void) throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.05"])
        let campaign = TestCampaign(csv: thirtyRecipients())
        try prepare(campaign)
        let base = ["send", campaign.path, "--smtp-url", server.url]
        let one = try Subprocess.start(PackagePaths.herald, base + ["--log", campaign.folder.file(logA)])
        let two = try Subprocess.start(PackagePaths.herald, base + ["--log", campaign.folder.file(logB)])
        let results = [(one.pid, one.wait()), (two.pid, two.wait())]
        #expect(results.map(\.1.status).sorted() == [0, 75], "\(results.map(\.1))")
        if let winner = results.first(where: { $0.1.status == 0 }), let loser = results.first(where: { $0.1.status == 75 }) {
            #expect(winner.1.stdout.contains("cli-test: 30 sent"), "\(winner.1)")
            #expect(loser.1.stderr.contains("campaign cli-test is being sent by pid \(winner.0)"), "\(loser.1)")
        }
        let counts = server.messages().reduce(into: [String: Int]()) { $0[$1.messageID ?? "?", default: 0] += 1 }
        #expect(counts.count == 30, "\(counts.count) distinct Message-IDs")
        #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts.filter { $0.value > 1 }.count) letters arrived twice")
        let records = try #require(campaign.folder.read(logA)).split(separator: "\n")
        #expect(records.count == 60, "one intent and one outcome per letter")
    }

    @Test func aSymlinkToTheLogMeetsTheSameLock() throws {
        try Self.raceTwoSenders(logA: "delivery.jsonl", logB: "link.jsonl") { campaign in
            try FileManager.default.createSymbolicLink(atPath: campaign.folder.file("link.jsonl"), withDestinationPath: campaign.log)
        }
    }

    @Test func aDanglingSymlinkToTheLogStillMeetsTheSameLock() throws {
        // The log does not exist yet: whichever sender comes first creates it.
        try Self.raceTwoSenders(logA: "link.jsonl", logB: "logs/delivery.jsonl") { campaign in
            try FileManager.default.createDirectory(atPath: campaign.folder.file("logs"), withIntermediateDirectories: false)
            try FileManager.default.createSymbolicLink(atPath: campaign.folder.file("link.jsonl"), withDestinationPath: "logs/delivery.jsonl")
        }
    }

    @Test func aHardLinkToTheLogMeetsTheSameLock() throws {
        try Self.raceTwoSenders(logA: "delivery.jsonl", logB: "hard.jsonl") { campaign in
            campaign.folder.write("delivery.jsonl", "")
            try FileManager.default.linkItem(atPath: campaign.log, toPath: campaign.folder.file("hard.jsonl"))
        }
    }

    @Test func aSymlinkToTheLogsFolderMeetsTheSameLock() throws {
        try Self.raceTwoSenders(logA: "logs/delivery.jsonl", logB: "logs-link/delivery.jsonl") { campaign in
            try FileManager.default.createDirectory(atPath: campaign.folder.file("logs"), withIntermediateDirectories: false)
            try FileManager.default.createSymbolicLink(atPath: campaign.folder.file("logs-link"), withDestinationPath: campaign.folder.file("logs"))
        }
    }

    // MARK: a log moved or replaced while a send runs

    @Test func aLogMovedAwayMidSendStopsTheSenderAndLosesNothing() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.05"])
        let campaign = TestCampaign(csv: Self.thirtyRecipients())
        let moved = campaign.folder.file("delivery.jsonl.1")
        let sender = try Subprocess.start(PackagePaths.herald, ["send", campaign.path, "--smtp-url", server.url])
        #expect(waitUntil(30) { (campaign.folder.read("delivery.jsonl")?.split(separator: "\n").count ?? 0) >= 10 })
        try FileManager.default.moveItem(atPath: campaign.log, toPath: moved)  // log rotation, say
        let result = sender.wait()
        #expect(result.status == 74, "\(result)")
        #expect(result.stderr.contains("delivery.jsonl: was moved or replaced while this run was using it"), "\(result.stderr)")
        #expect(server.messages().count < 30, "the sender stopped")
        #expect(campaign.folder.read("delivery.jsonl") == nil, "no record went to a new file at the log's path")

        try FileManager.default.moveItem(atPath: moved, toPath: campaign.log)  // the advice: move it back
        let rest = try campaign.send(server)
        #expect([0, 75].contains(rest.status), "\(rest)")
        #expect(rest.stderr.split(separator: "\n").filter { $0.hasPrefix("in doubt: ") }.count <= 1, "at most the letter in flight")
        let counts = server.messages().reduce(into: [String: Int]()) { $0[$1.messageID ?? "?", default: 0] += 1 }
        #expect(counts.count == 30 && counts.values.allSatisfy { $0 == 1 }, "every letter exactly once: \(counts.filter { $0.value > 1 })")
    }

    @Test func thePidFileIsBesideTheResolvedLog() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.05"])
        let campaign = TestCampaign(csv: Self.thirtyRecipients())
        try FileManager.default.createSymbolicLink(atPath: campaign.folder.file("link.jsonl"), withDestinationPath: campaign.log)
        let sender = try Subprocess.start(PackagePaths.herald, ["send", campaign.path, "--smtp-url", server.url, "--log", campaign.folder.file("link.jsonl")])
        #expect(waitUntil(30) { server.messages().count >= 1 })
        #expect(campaign.folder.read("delivery.jsonl.lock") == "\(sender.pid)\n")
        #expect(campaign.folder.read("link.jsonl.lock") == nil)
        let result = sender.wait()
        #expect(result.status == 0, "\(result)")
        #expect(campaign.folder.read("delivery.jsonl.lock") == "", "emptied when the sender lets go")
    }
}
