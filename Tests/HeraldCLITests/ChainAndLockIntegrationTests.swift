import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// Issue 18, "Proof of dispatch and the lock": a broken chain stops a send (and `validate` says
/// so), one campaign has one sender whatever log it is given, and `status` and `resolve` read
/// the log without the letters' inputs. Against the real test server, counting what it stored.
@Suite(.tags(.integration)) struct ChainAndLockIntegrationTests {
    static func lines(_ campaign: TestCampaign) -> [String] {
        (campaign.folder.read("delivery.jsonl") ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static func counts(_ server: SMTPTestServer) -> [String: Int] {
        server.messages().reduce(into: [String: Int]()) { $0[$1.messageID ?? "?", default: 0] += 1 }
    }

    /// Sends the real campaign, then deletes one letter's two records (its intent and its
    /// outcome) from the middle of the log, rewriting it in place.
    /// - Returns: the campaign, the server, the deleted recipient and the line that now breaks.
    static func sentThenTwoRecordsDeleted() throws -> (TestCampaign, SMTPTestServer, String, Int) {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        let first = try campaign.send(nil)
        #expect(first.status == 0, "\(first)")
        var lines = lines(campaign).filter { !$0.isEmpty }
        #expect(lines.count == 30)
        let records = campaign.records()
        // A letter in the middle whose outcome is sent: both its records go.
        let recipient = try #require(records[10...].first { $0["status"] as? String == "sent" }?["recipient"] as? String)
        let doomed = lines.indices.filter { records[$0]["recipient"] as? String == recipient }
        #expect(doomed.count == 2)
        for index in doomed.reversed() { lines.remove(at: index) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: campaign.log, atomically: false, encoding: .utf8)
        // The first record after the first deleted one no longer chains; lines are 1-based.
        return (campaign, server, recipient, doomed[0] + 1)
    }

    @Test func aSendRefusesALogWithALettersRecordsDeletedAndValidateSaysSo() throws {
        let (campaign, server, recipient, broken) = try Self.sentThenTwoRecordsDeleted()
        let verify = try Subprocess.herald(["verify-log", campaign.log])
        #expect(verify.status == 65 && verify.stderr.contains("\(campaign.log):\(broken): chain broken"), "\(verify)")

        let validate = try Subprocess.herald(["validate", campaign.path])
        #expect(validate.status == 65, "\(validate)")
        #expect(validate.stderr.contains("\(campaign.log):\(broken): chain broken: prev does not match"), "\(validate.stderr)")
        #expect(!validate.stdout.contains(": ok"), "\(validate.stdout)")

        let send = try campaign.send(server)
        #expect(send.status == 65, "\(send)")
        #expect(send.stderr.contains("\(campaign.log):\(broken): chain broken"), "\(send.stderr)")
        #expect(send.stderr.contains("nothing was sent") && send.stderr.contains("--accept-broken-chain"), "\(send.stderr)")
        #expect(server.messages().count == 15, "the deleted letter was not sent again")
        #expect(Self.lines(campaign).filter { !$0.isEmpty }.count == 28, "nothing was written to the log")
    }

    @Test func anOperatorMayAcceptABrokenChainOnceAndLaterRunsGoOnWithAWarning() throws {
        let (campaign, server, recipient, broken) = try Self.sentThenTwoRecordsDeleted()
        let accepted = try campaign.send(server, ["--accept-broken-chain"])
        #expect(accepted.status == 0, "\(accepted)")
        #expect(accepted.stderr.contains("warning: \(campaign.log):\(broken): chain broken"), "\(accepted.stderr)")
        // The operator's choice: the letter the log no longer records goes again.
        #expect(server.messages().filter { $0.recipients.contains(recipient) }.count == 2, "\(Self.counts(server))")
        #expect(server.messages().count == 16)

        let later = try campaign.send(server)
        #expect(later.status == 0, "\(later)")
        #expect(later.stderr.contains("warning: \(campaign.log):\(broken): the log's hash chain is broken there; an operator accepted it"), "\(later.stderr)")
        #expect(server.messages().count == 16)
        let verify = try Subprocess.herald(["verify-log", campaign.log])
        #expect(verify.status == 65, "verify-log reads the whole log and still reports the break: \(verify)")

        // The acceptance is a cache beside the log: without it the break stops the send again.
        try FileManager.default.removeItem(atPath: campaign.log + ".chain")
        let again = try campaign.send(server)
        #expect(again.status == 65 && again.stderr.contains("\(campaign.log):\(broken): chain broken"), "\(again)")
    }

    @Test func recordsDeletedInPlaceAfterLaterRunsAreStillFound() throws {
        // Two runs (the first leaves a letter in doubt, the second resends it), so the log holds
        // records from before the second run's start; then a letter's two records of the first
        // run are blanked where they stand (same file, same length, the later records untouched).
        let server = try SMTPTestServer(faults: ["--data-drop", "1"])
        let campaign = TestCampaign()
        #expect(try campaign.send(server).status == 75)
        #expect(try campaign.send(server, ["--resend-in-doubt"]).status == 0)
        #expect(server.messages().count == 15)
        var lines = Self.lines(campaign)
        let records = lines.map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let recipient = try #require(records[4...].compactMap { $0 }.first { $0["status"] as? String == "sent" }?["recipient"] as? String)
        let doomed = lines.indices.filter { records[$0]?["recipient"] as? String == recipient }
        #expect(doomed.count == 2)
        for index in doomed { lines[index] = String(repeating: " ", count: lines[index].utf8.count) }
        try lines.joined(separator: "\n").write(toFile: campaign.log, atomically: false, encoding: .utf8)
        let send = try campaign.send(server)
        #expect(send.status == 65, "\(send)")
        #expect(send.stderr.contains("chain broken"), "\(send.stderr)")
        #expect(server.messages().count == 15, "the blanked letter was not sent again")
    }

    @Test func recordsAppendedAfterTheLastCheckAreVerified() throws {
        // The checkpoint lets a send read only what was written since; a record edited there is found.
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        #expect(try campaign.send(nil).status == 0)
        #expect(try campaign.send(nil).status == 0, "a second run checks the first run's records, and they chain")
        let checkpoint = try #require(campaign.folder.read("delivery.jsonl.chain"))
        #expect(checkpoint.contains(" 30 "), "the checkpoint covers the 30 lines: \(checkpoint)")
        // A forged record appended after the checkpoint, chained to nothing.
        var lines = Self.lines(campaign).filter { !$0.isEmpty }
        var record = try #require(JSONSerialization.jsonObject(with: Data(lines[29].utf8)) as? [String: Any])
        record["prev"] = String(repeating: "a", count: 64)
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        lines.append(String(decoding: data, as: UTF8.self))
        try (lines.joined(separator: "\n") + "\n").write(toFile: campaign.log, atomically: false, encoding: .utf8)
        let send = try campaign.send(server)
        #expect(send.status == 65 && send.stderr.contains("\(campaign.log):31: chain broken"), "\(send)")
    }

    /// The daemon in this process on a mock clock (`InProcessDaemon`), a firing a minute.
    @Test func theDaemonRefusesEachFiringOfABrokenLogUntilVerifyLogAcceptsIt() async throws {
        let server = try SMTPTestServer()
        let folder = DaemonIntegrationTests.CampaignFolder()
        folder.add("weekly", schedule: "* * * * *", recipients: 2, server: server, extra: "catch_up_seconds = 0")
        let halfPast = DaemonServiceTests.start.addingTimeInterval(30)
        // Occurrences 00:01 and 00:02.
        let first = DaemonServiceTests.daemon(folder, at: halfPast)
        try await first.running { _ in
            #expect(await first.settle())
            #expect(await first.advance(by: 30))
            #expect(await first.advance(by: 60))
        }
        let sent = server.messages().count
        #expect(sent == 4, "\(first.text)")

        // The first letter's two records go from the log's start: the record after them breaks.
        let log = folder.root.file("weekly.jsonl")
        var lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count >= 8)
        let deleted = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])["message_id"] as? String
        lines.removeSubrange(0...1)
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: false, encoding: .utf8)

        // Occurrences 00:03 and 00:04: each refused.
        let second = DaemonServiceTests.daemon(folder, at: halfPast.addingTimeInterval(120))
        try await second.running { _ in
            #expect(await second.settle())
            #expect(await second.advance(by: 30))
            #expect(await second.advance(by: 60))
        }
        #expect(second.text.contains("\(log):1: chain broken: this is the log's first record, but its prev is not the chain's start"), "\(second.text)")
        #expect(second.lines.filter { $0.contains("fired campaign=weekly") && $0.contains("exit=65") }.count == 2, "\(second.text)")
        #expect(!second.text.contains("exit=0"), "no firing went ahead: \(second.text)")
        #expect(server.messages().count == sent, "no firing sent anything")

        // The operator's word for a recurring campaign: verify-log records it, the firings go on.
        let accept = try Subprocess.herald(["verify-log", log, "--accept-broken-chain"])
        #expect(accept.status == 0 && accept.stdout.contains("\(log):1: chain broken") && accept.stdout.contains("accepted: "), "\(accept)")
        // From 00:00:30 again: 00:01 and 00:02 are done by the log, but for the letter whose
        // records were deleted; 00:03 and 00:04 (refused before) are sent.
        let third = DaemonServiceTests.daemon(folder, at: halfPast)
        try await third.running { _ in
            #expect(await third.settle())
            for _ in 0..<4 { #expect(await third.advance(by: 30)); #expect(await third.advance(by: 30)) }
        }
        #expect(third.text.contains("\(log):1: the log's hash chain is broken there; an operator accepted it"), "\(third.text)")
        #expect(server.messages().count == sent + 1 + 4, "the firings go on: \(third.text)")
        let twice = Dictionary(grouping: server.messages(), by: { $0.messageID ?? "?" }).filter { $0.value.count > 1 }.keys
        #expect(twice.allSatisfy { $0 == deleted } && twice.count == 1, "\(twice) \(deleted ?? "")")
        let verify = try Subprocess.herald(["verify-log", log])
        #expect(verify.status == 65, "the log still shows its break: \(verify)")
    }

    /// A sender that holds the campaign for a while: thirty letters, each delayed at the server.
    static func busySender() throws -> (TestCampaign, SMTPTestServer, Subprocess.Running) {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.1"])
        let campaign = TestCampaign(csv: LogIdentityIntegrationTests.thirtyRecipients())
        let sender = try Subprocess.start(PackagePaths.herald, ["send", campaign.path, "--smtp-url", server.url, "--quiet"])
        #expect(waitUntil(30) { server.messages().count >= 2 })
        return (campaign, server, sender)
    }

    enum Route: String, CaseIterable {
        case sameFile, symlink, hardLink, dotDot
    }

    @Test(arguments: Route.allCases)
    func aSecondSenderOfTheCampaignGivenACopyOfItsLogIsRefused(route: Route) throws {
        let (campaign, server, sender) = try Self.busySender()
        let copy = campaign.folder.file("copy.jsonl")
        try FileManager.default.copyItem(atPath: campaign.log, toPath: copy)
        var path = campaign.path
        switch route {
        case .sameFile: break
        case .symlink:
            path = campaign.folder.file("link.toml")
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: campaign.path)
        case .hardLink:
            path = campaign.folder.file("hard.toml")
            try FileManager.default.linkItem(atPath: campaign.path, toPath: path)
        case .dotDot:
            try FileManager.default.createDirectory(atPath: campaign.folder.file("sub"), withIntermediateDirectories: false)
            path = campaign.folder.file("sub/../campaign.toml")
        }
        let second = try Subprocess.herald(["send", path, "--smtp-url", server.url, "--log", copy])
        #expect(second.status == 75, "\(second)")
        #expect(second.stderr.contains("campaign cli-test is being sent by pid \(sender.pid) (the lock on the campaign \(path) holds"), "\(second.stderr)")
        let result = sender.wait()
        #expect(result.status == 0, "\(result)")
        let counts = Self.counts(server)
        #expect(counts.count == 30 && counts.values.allSatisfy { $0 == 1 }, "every letter exactly once: \(counts.filter { $0.value > 1 })")
    }

    @Test func anEditorReplacingTheCampaignFileDoesNotOpenTheCampaignToASecondSender() throws {
        let (campaign, server, sender) = try Self.busySender()
        // An editor writes a new file and renames it over the campaign: a new inode at the same path.
        let text = try String(contentsOfFile: campaign.path, encoding: .utf8)
        let temporary = campaign.folder.write("campaign.toml.swp", text)
        #expect(rename(temporary, campaign.path) == 0)
        let copy = campaign.folder.file("copy.jsonl")
        try FileManager.default.copyItem(atPath: campaign.log, toPath: copy)
        let second = try Subprocess.herald(["send", campaign.path, "--smtp-url", server.url, "--log", copy])
        #expect(second.status == 75 && second.stderr.contains("is being sent by pid \(sender.pid)"), "\(second)")
        #expect(sender.wait().status == 0)
        #expect(Self.counts(server).values.allSatisfy { $0 == 1 } && server.messages().count == 30)
    }

    enum Missing: String, CaseIterable {
        case template, list
    }

    @Test(arguments: Missing.allCases)
    func statusAndResolveReadTheLogWithoutTheLettersInputs(missing: Missing) throws {
        let server = try SMTPTestServer(faults: ["--data-drop", "1"])
        let template = try String(contentsOfFile: PackagePaths.path("Templates/eu-china-dialogue-1999.mustache"), encoding: .utf8)
        let campaign = TestCampaign(url: server.url, template: template, csv: realRecipientRows().joined(separator: "\n") + "\n")
        #expect(try campaign.send(nil).status == 75, "the first letter is in doubt")
        let removed = campaign.folder.file(missing == .template ? "letter.mustache" : "list.csv")
        try FileManager.default.removeItem(atPath: removed)

        let status = try Subprocess.herald(["status", campaign.path])
        #expect(status.status == 0, "\(status)")
        #expect(status.stderr.contains("warning: ") && status.stderr.contains(removed) && status.stderr.contains("not found"), "\(status.stderr)")
        #expect(status.stdout.contains("cli-test: 15 recipients: 14 sent, 0 failed, 0 deferred, 1 in doubt, 0 pending"), "\(status.stdout)")
        #expect(status.stdout.contains("log chain: intact"), "\(status.stdout)")
        let json = try Subprocess.herald(["status", campaign.path, "--json"])
        #expect(json.status == 0 && json.stdout.contains("\"inputs_missing\":true") && json.stdout.contains("\"in_doubt\":1"), "\(json)")

        let resolved = try Subprocess.herald(["resolve", campaign.path, "--recipient", "minister@bmaa.austria.example", "--as", "sent"])
        #expect(resolved.status == 0, "\(resolved)")
        #expect(resolved.stderr.contains(removed), "the missing input is named: \(resolved.stderr)")
        #expect(try campaign.statusJSON()["sent"] == 15)

        let send = try campaign.send(server)
        #expect(send.status == 66, "send still needs its inputs: \(send)")
        #expect(server.messages().count == 14)
    }
}
