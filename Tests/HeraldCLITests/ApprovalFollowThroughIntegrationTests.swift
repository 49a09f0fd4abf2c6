import Foundation
import HeraldTestSupport
import Testing

/// What an approval promises, held to after a hostile review: a daemon firing stopped at
/// handover is sent once a new approval is recorded; a refusal names the changed attachment
/// whatever folder the preview and the send ran from; an edit of `log =` does not send every
/// letter again; a recurring campaign's approval sends nothing due before it. Real `herald`
/// processes against a real SMTP server (aiosmtpd).
@Suite(.tags(.integration)) struct ApprovalFollowThroughIntegrationTests {
    static func hash(of preview: Subprocess.Result) throws -> String {
        let line = try #require(preview.stdout.split(separator: "\n").first { $0.hasPrefix("manifest hash: ") }, "\(preview)")
        return String(line.dropFirst("manifest hash: ".count))
    }

    @Test func aDaemonFiringStoppedAtHandoverIsSentOnceApprovedAgain() throws {
        // Over 4 MiB once encoded: read again for each letter, so a swap mid-run is seen at handover.
        let (campaign, annex) = try ApprovalBindingIntegrationTests.campaign(size: 5 << 20)
        let release = campaign.folder.file("release")
        let server = try SMTPTestServer(faults: ["--data-hold", release])
        try ApprovalIntegrationTests.edit(campaign.path, "url = \"smtp://127.0.0.1:9\"", "url = \"\(server.url)\"")
        let due = DaemonIntegrationTests.rfc3339(Date().addingTimeInterval(-30))
        try ApprovalIntegrationTests.edit(campaign.path, "require_approval = true\n", "require_approval = true\nschedule = \"\(due)\"\n")
        let first = try ApprovalIntegrationTests.preview(campaign, into: campaign.folder.file("review"))
        #expect(try Subprocess.herald(["approve", campaign.path, first]).status == 0)
        let daemon = try Subprocess.start(PackagePaths.herald, ["daemon", "--campaigns", campaign.folder.path])
        // The first letter is at the server, its reply held; the attachment changes under the run.
        #expect(waitUntil(60) { server.messages().count == 1 }, "\(daemon.stderrSoFar())")
        try ApprovalBindingIntegrationTests.swapKeepingSizeAndTime(annex)
        FileManager.default.createFile(atPath: release, contents: Data())
        #expect(waitUntil(60) { daemon.stderrSoFar().contains("the letter to b@x.example is not the approved one") }, "\(daemon.stderrSoFar())")
        #expect(waitUntil(30) { daemon.stderrSoFar().contains("waiting for an approval") }, "\(daemon.stderrSoFar())")

        // Reviewed again and approved: the running daemon sends the rest, without a SIGHUP.
        let preview = try Subprocess.herald(["preview", campaign.path, "--out", campaign.folder.file("review2")])
        let second = try Self.hash(of: preview)
        #expect(second != first)
        let approve = try Subprocess.herald(["approve", campaign.path, second])
        #expect(approve.status == 0, "\(approve)")
        #expect(approve.stdout.contains("a running daemon that skipped that firing for want of an approval sends it within a few seconds"), "\(approve)")
        #expect(
            approve.stderr.contains(
                "1 letter was already sent under the earlier approval (manifest hash \(first)) and differs from the letters approved now: a@x.example"),
            "\(approve)")
        #expect(waitUntil(30) { server.messages().count == 3 }, "the re-approved one-shot was not resumed: \(daemon.stderrSoFar())")
        daemon.signal(SIGTERM)
        let result = daemon.wait(timeout: 30)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("firing stopped: a letter was not the approved one"), "\(result.stderr)")
        #expect(result.stderr.contains("approval recorded: firing the skipped one-shot campaign"), "\(result.stderr)")
        let sent = campaign.records().filter { $0["status"] as? String == "sent" }.compactMap { $0["recipient"] as? String }
        #expect(sent.sorted() == ["a@x.example", "b@x.example", "c@x.example"], "each letter sent once: \(sent)")
        #expect(server.messages().count == 3)
    }

    @Test func aRefusalNamesTheChangedAttachmentWhateverTheWorkingFolder() throws {
        let root = TemporaryDirectory("herald-cwd")
        root.write(
            "camp/letter.txt", "From: Press <press@amnesty.example>\nTo: {{name}} <{{email}}>\nSubject: Hello\nAttachment: {{name}}.txt\n\nDear {{name}},\n")
        root.write("camp/list.csv", "email,name\na@x.example,A\nb@x.example,B\n")
        root.write("camp/A.txt", "a\n")
        let changed = root.write("camp/B.txt", "b\n")
        root.write(
            "camp/c.toml",
            "name = \"r2\"\ntemplate = \"letter.txt\"\nrecipients = [\"list.csv\"]\nlog = \"r2.log.jsonl\"\nrequire_approval = true\n[smtp]\nurl = \"smtp://127.0.0.1:9\"\n"
        )
        // Reviewed from the parent folder, approved there too.
        let preview = try Subprocess.herald(["preview", "camp/c.toml", "--out", "review"], directory: root.path)
        let hash = try Self.hash(of: preview)
        #expect(try Subprocess.herald(["approve", "camp/c.toml", hash], directory: root.path).status == 0)
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root.file("review/manifest.json")))) as? [String: Any])
        let real = try #require(realpath(root.file("camp"), nil).map { String(cString: $0) })
        #expect((manifest["attachments"] as? [[String: Any]])?.compactMap { $0["path"] as? String } == ["\(real)/A.txt", "\(real)/B.txt"])
        try "b, edited\n".write(toFile: changed, atomically: false, encoding: .utf8)
        // Sent from the campaign's own folder: compared with the record, then with the preview's manifest.
        for (source, arguments) in [("r2.log.jsonl.approval", [String]()), ("../review/manifest.json", ["--preview", "../review"])] {
            if !arguments.isEmpty { try FileManager.default.moveItem(atPath: root.file("camp/r2.log.jsonl.approval"), toPath: root.file("away")) }
            let refused = try Subprocess.herald(["send", "c.toml", "--approve", hash] + arguments, directory: root.file("camp"))
            #expect(refused.status == 77, "\(refused)")
            #expect(refused.stderr.contains("the attachment \(real)/B.txt changed since the review (sha256"), "\(refused)")
            #expect(!refused.stderr.contains("is new since the review"), "\(refused)")
            #expect(!refused.stderr.contains("no letter attaches it now"), "\(refused)")
            #expect(refused.stderr.contains("1 letter changed: b@x.example"), "\(refused)")
            #expect(refused.stderr.contains("compared with the reviewed manifest \(source)"), "\(refused)")
        }
    }

    @Test func editingTheLogKeyToANewFileDoesNotSendEveryLetterAgain() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        #expect(try campaign.send(nil).status == 0)
        #expect(server.messages().count == 15)
        try ApprovalIntegrationTests.edit(campaign.path, "log = \"delivery.jsonl\"", "log = \"elsewhere.jsonl\"")
        let refused = try campaign.send(nil)
        #expect(refused.status == 64, "\(refused)")
        let old = try #require(realpath(campaign.log, nil).map { String(cString: $0) })
        #expect(
            refused.stderr.contains(
                "the delivery log \(campaign.folder.file("elsewhere.jsonl")) records nothing, but this campaign was last sent to \(old), which records letters"),
            "\(refused)")
        #expect(refused.stderr.contains("--new-log"), "\(refused)")
        #expect(server.messages().count == 15, "nothing was sent again")
        // Put back, it resumes (nothing left); a new log on purpose needs the flag.
        try ApprovalIntegrationTests.edit(campaign.path, "log = \"elsewhere.jsonl\"", "log = \"delivery.jsonl\"")
        let back = try campaign.send(nil)
        #expect(back.status == 0 && back.stdout.contains("15 already done"), "\(back)")
        try ApprovalIntegrationTests.edit(campaign.path, "log = \"delivery.jsonl\"", "log = \"elsewhere.jsonl\"")
        let fresh = try campaign.send(nil, ["--new-log"])
        #expect(fresh.status == 0, "\(fresh)")
        #expect(server.messages().count == 30)
        // The new log is now the campaign's: going back to the old one is allowed (it records letters).
        #expect(try campaign.send(nil).stdout.contains("15 already done"))
    }

    @Test func aLogOnceGivenWithTheFlagIsRemembered() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        let other = campaign.folder.file("other.jsonl")
        #expect(try campaign.send(nil, ["--log", other]).status == 0)
        let refused = try campaign.send(nil)
        #expect(refused.status == 64, "\(refused)")
        #expect(refused.stderr.contains("was last sent to \(try #require(realpath(other, nil).map { String(cString: $0) }))"), "\(refused)")
        #expect(server.messages().count == 15)
    }

    @Test func approvingACampaignAlreadySentSaysNothingMoreGoes() throws {
        let server = try SMTPTestServer()
        let campaign = ApprovalIntegrationTests.campaign(url: server.url)
        let hash = try ApprovalIntegrationTests.preview(campaign, into: campaign.folder.file("review"))
        let before = try Subprocess.herald(["approve", campaign.path, hash])
        #expect(before.status == 0 && !before.stdout.contains("nothing more will be sent"), "\(before)")
        #expect(try campaign.send(nil, ["--approve", hash]).status == 0)
        #expect(server.messages().count == 15)
        let after = try Subprocess.herald(["approve", campaign.path, hash])
        #expect(after.status == 0, "\(after)")
        #expect(after.stdout.contains("nothing more will be sent: every one of the 15 letters is already done in"), "\(after)")
        #expect(!after.stdout.contains("by hand: herald send"), "\(after)")
    }

    @Test func aRecurringApprovalSendsNoOccurrenceDueBeforeIt() throws {
        let server = try SMTPTestServer()
        let folder = DaemonIntegrationTests.CampaignFolder()
        // Daily at the minute two minutes ago: that occurrence is within catch_up_seconds, the next is tomorrow.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let earlier = calendar.dateComponents([.hour, .minute], from: Date().addingTimeInterval(-120))
        let path = folder.add(
            "daily", schedule: "\(earlier.minute!) \(earlier.hour!) * * *", recipients: 2, server: server,
            extra: "catch_up_seconds = 3600\nrequire_approval = true")
        let preview = try Subprocess.herald(["preview", path, "--out", folder.root.file("review")])
        let hash = try Self.hash(of: preview)
        let approve = try Subprocess.herald(["approve", path, hash])
        #expect(approve.status == 0, "\(approve)")
        #expect(approve.stdout.contains("the first occurrence after this approval"), "\(approve)")
        #expect(approve.stdout.contains("an occurrence due before this approval is not sent, even one a daemon started now would catch up"), "\(approve)")
        let daemon = try folder.start()
        // The skip is the firing's last step; tomorrow's occurrence is already queued.
        #expect(waitUntil(30) { daemon.stderrSoFar().contains("firing skipped: not approved") }, "\(daemon.stderrSoFar())")
        daemon.signal(SIGTERM)
        let result = daemon.wait(timeout: 20)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("catching up a missed occurrence"), "\(result.stderr)")
        #expect(result.stderr.contains("was due before the approval was recorded"), "\(result.stderr)")
        #expect(server.messages().isEmpty, "no letter of an occurrence due before the approval")
        #expect(server.connections() == 0)
    }
}
