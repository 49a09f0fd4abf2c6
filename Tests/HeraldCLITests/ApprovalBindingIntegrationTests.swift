import Foundation
import HeraldTestSupport
import Testing

/// An approval binds the bytes that leave: each letter is checked against the approved one
/// just before it is handed over; a refusal names the attached file that changed; what an
/// approval covers (the letters and whom they go to, not the transport); and a one-shot
/// campaign approved after its firing was skipped is sent by the running daemon. Real
/// `herald` processes against a real SMTP server (aiosmtpd).
@Suite(.tags(.integration)) struct ApprovalBindingIntegrationTests {
    static let template = """
        From: "Office of the Secretary General" <office@org.example>
        To: {{name}} <{{email}}>
        Subject: The annex for {{name}}
        Attachment: annex.bin

        Dear {{name}},

        The annex is attached.
        """

    static let rows = "email,name\na@x.example,Ann\nb@x.example,Bea\nc@x.example,Cai\n"

    /// A campaign whose three letters attach `annex.bin` (`size` bytes), requiring approval.
    static func campaign(size: Int, url: String = "smtp://127.0.0.1:9") throws -> (TestCampaign, String) {
        let campaign = TestCampaign(url: url, template: template, csv: rows, extra: "require_approval = true\ncatch_up_seconds = 3600\n")
        let annex = campaign.folder.file("annex.bin")
        var generator = SplitMix(seed: 18)
        try Data((0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }).write(to: URL(fileURLWithPath: annex))
        return (campaign, annex)
    }

    /// Overwrites the file's bytes in place with other bytes of the same length and puts its
    /// modification time back: a size-and-mtime check would see nothing.
    static func swapKeepingSizeAndTime(_ path: String) throws {
        var before = stat()
        #expect(stat(path, &before) == 0)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let replaced = Data(original.map { $0 ^ 0x5A })
        let descriptor = open(path, O_WRONLY)
        #expect(descriptor >= 0)
        _ = replaced.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        var after = stat()
        #expect(stat(path, &after) == 0)
        #expect(
            after.st_size == before.st_size && after.st_mtim.tv_sec == before.st_mtim.tv_sec
                && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
    }

    @Test func anAttachmentSwappedDuringAnApprovedSendStopsTheRunBeforeThatLetterLeaves() throws {
        // Over 4 MiB once encoded: larger than the attachment cache keeps, so it is read again for each letter.
        let (campaign, annex) = try Self.campaign(size: 5 << 20)
        let release = campaign.folder.file("release")
        let server = try SMTPTestServer(faults: ["--data-hold", release])
        let hash = try ApprovalIntegrationTests.preview(campaign, into: campaign.folder.file("review"))
        let send = try Subprocess.start(
            PackagePaths.herald,
            [
                "send", campaign.path, "--smtp-url", server.url, "--approve", hash,
                "--preview", campaign.folder.file("review"),
            ])
        // The first letter is at the server, its reply held: the next is not composed yet.
        #expect(waitUntil(60) { server.messages().count == 1 })
        try Self.swapKeepingSizeAndTime(annex)
        FileManager.default.createFile(atPath: release, contents: Data())
        let result = send.wait(timeout: 120)

        #expect(result.status == 77, "\(result)")
        #expect(result.stderr.contains("approved: manifest hash \(hash) matches"), "\(result)")
        #expect(result.stderr.contains("the attachment \(annex) changed since the approval was checked"), "\(result)")
        #expect(result.stderr.contains("the letter to b@x.example is not the approved one"), "\(result)")
        #expect(server.messages().count == 1, "the changed letter and those after it never reached the server")
        #expect(result.stdout.contains("cli-test: 1 sent, 0 failed, 1 deferred"), "\(result)")
        let records = campaign.records()
        let statuses = records.map { "\($0["recipient"] as? String ?? "") \($0["status"] as? String ?? "")" }
        #expect(statuses == ["a@x.example sending", "a@x.example sent", "b@x.example sending", "b@x.example deferred"], "\(statuses)")
        #expect((records.last?["error"] as? String)?.contains("it is not the letter approved") == true, "\(records)")

        // Run again with the same hash: refused before connecting, naming the file.
        let again = try campaign.send(server, ["--approve", hash, "--preview", campaign.folder.file("review")])
        #expect(again.status == 77, "\(again)")
        #expect(again.stderr.contains("the attachment \(annex) changed since the review"), "\(again)")
        #expect(again.stderr.contains("3 letters changed"), "\(again)")
        #expect(server.messages().count == 1)
    }

    @Test func aRefusalNamesTheChangedAttachmentFile() throws {
        let (campaign, annex) = try Self.campaign(size: 2_000)
        let hash = try ApprovalIntegrationTests.preview(campaign, into: campaign.folder.file("review"))
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: campaign.folder.file("review/manifest.json")))) as? [String: Any])
        #expect((manifest["attachments"] as? [[String: Any]])?.map { $0["path"] as? String } == [annex])
        let oracle = try Subprocess.run(PackagePaths.python, [PackagePaths.path("Tests/Support/check_manifest.py"), campaign.folder.file("review")])
        #expect(oracle.stdout.contains("\"ok\": true"), "\(oracle)")
        #expect(try Subprocess.herald(["approve", campaign.path, hash]).status == 0)
        try Self.swapKeepingSizeAndTime(annex)
        let record = campaign.log + ".approval"
        // Compared with the approval record, then (the record moved away) with the preview's manifest.
        for source in [record, campaign.folder.file("review/manifest.json")] {
            if source.hasSuffix("manifest.json") { try FileManager.default.moveItem(atPath: record, toPath: record + ".away") }
            let refused = try Subprocess.herald(["send", campaign.path, "--approve", hash, "--preview", campaign.folder.file("review")])
            #expect(refused.status == 77, "\(refused)")
            #expect(refused.stderr.contains("the attachment \(annex) changed since the review (sha256"), "\(refused)")
            #expect(refused.stderr.contains("3 letters changed"), "\(refused)")
            #expect(refused.stderr.contains("compared with the reviewed manifest \(source)"), "\(refused)")
        }
        let approve = try Subprocess.herald(["approve", campaign.path, hash, "--preview", campaign.folder.file("review")])
        #expect(approve.status == 77, "\(approve)")
        #expect(approve.stderr.contains("the attachment \(annex) changed since the review (sha256"), "\(approve)")
    }

    @Test func everyAttachedFileIsInTheManifestAndThePageSaysHowManyItLeavesOut() throws {
        let rows = (1...205).map { "r\($0)@x.example,\($0)" }.joined(separator: "\n")
        let campaign = TestCampaign(
            template: "From: o@org.example\nTo: <{{email}}>\nSubject: s\nAttachment: own/{{n}}.txt\n\nHi\n",
            csv: "email,n\n" + rows + "\n")
        for n in 1...205 { campaign.folder.write("own/\(n).txt", "annex \(n)\n") }
        _ = try ApprovalIntegrationTests.preview(campaign, into: campaign.folder.file("review"))
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: campaign.folder.file("review/manifest.json")))) as? [String: Any])
        #expect((manifest["attachments"] as? [[String: Any]])?.count == 205)
        let page = try String(contentsOfFile: campaign.folder.file("review/index.html"), encoding: .utf8)
        #expect(page.contains("<tr><td>attachment<td>\(campaign.folder.file("own/200.txt"))"))
        #expect(!page.contains("own/201.txt<td>"))
        #expect(page.contains("and 5 more attached files, listed in <code>manifest.json</code>"))
    }

    @Test func aRefusalNamesTheChangedLanguageTemplate() throws {
        let campaign = TestCampaign(
            template: "From: o@org.example\nTo: <{{email}}>\nSubject: Letter\n\nDear reader.\n",
            csv: "email,language\na@x.example,fr\nb@x.example,\n", extra: "[templates]\nfr = \"lettre.txt\"\n")
        let french = campaign.folder.write("lettre.txt", "From: o@org.example\nTo: <{{email}}>\nSubject: Lettre\n\nCher lecteur.\n")
        let hash = try ApprovalIntegrationTests.preview(campaign, into: campaign.folder.file("review"))
        try ApprovalIntegrationTests.edit(french, "Cher lecteur.", "Chère lectrice.")
        let refused = try Subprocess.herald(["send", campaign.path, "--approve", hash, "--preview", campaign.folder.file("review")])
        #expect(refused.status == 77, "\(refused)")
        #expect(refused.stderr.contains("the template \(french) changed since the review"), "\(refused)")
        #expect(refused.stderr.contains("1 letter changed: a@x.example"), "\(refused)")
    }

    /// Edits of the campaign file that change no letter and no recipient.
    enum TransportEdit: String, CaseIterable, Sendable {
        case smtpURL, comment, keyOrder, limits, retry, catchUp
    }

    @Test(arguments: TransportEdit.allCases)
    func aTransportEditKeepsTheApproval(_ edit: TransportEdit) throws {
        let server = try SMTPTestServer()
        let campaign = ApprovalIntegrationTests.campaign()
        let hash = try ApprovalIntegrationTests.preview(campaign, into: campaign.folder.file("review"))
        var text = try String(contentsOfFile: campaign.path, encoding: .utf8)
        switch edit {
        case .smtpURL: text = text.replacingOccurrences(of: "url = \"smtp://127.0.0.1:9\"", with: "url = \"\(server.url)\"")
        case .comment: text = "# approved by the press office\n" + text + "# end\n"
        case .keyOrder: text = "log = \"delivery.jsonl\"\n" + text.replacingOccurrences(of: "log = \"delivery.jsonl\"\n", with: "")
        case .limits: text += "\n[limits]\nconcurrency = 2\nmax_messages_per_connection = 5\n"
        case .retry: text += "\n[retry]\nmax_attempts = 2\n"
        case .catchUp: text = text.replacingOccurrences(of: "catch_up_seconds = 3600", with: "catch_up_seconds = 60")
        }
        try text.write(toFile: campaign.path, atomically: true, encoding: .utf8)
        #expect(try Subprocess.herald(["validate", campaign.path]).status == 0)
        let sent = try Subprocess.herald(["send", campaign.path, "--approve", hash] + (edit == .smtpURL ? [] : ["--smtp-url", server.url]))
        #expect(sent.status == 0, "\(edit): \(sent)")
        #expect(server.messages().count == 15)
    }

    /// Edits of the campaign file that change the letters, whom or how often they go to.
    enum LetterEdit: String, CaseIterable, Sendable {
        case name, schedule, allowDuplicates
    }

    @Test(arguments: LetterEdit.allCases)
    func aLetterChangingEditVoidsTheApproval(_ edit: LetterEdit) throws {
        let server = try SMTPTestServer()
        let campaign = ApprovalIntegrationTests.campaign()
        let reviewed = campaign.folder.file("review")
        let hash = try ApprovalIntegrationTests.preview(campaign, into: reviewed)
        let expected: String
        switch edit {
        case .name:
            try ApprovalIntegrationTests.edit(campaign.path, "name = \"cli-test\"", "name = \"cli-test-2\"")
            expected = "changed what its letters are since the review: name was \"cli-test\", is now \"cli-test-2\""
        case .schedule:
            try ApprovalIntegrationTests.edit(campaign.path, "catch_up_seconds = 3600", "catch_up_seconds = 3600\nschedule = \"0 9 * * 1\"")
            expected = "schedule was (none), is now \"0 9 * * 1\""
        case .allowDuplicates:
            try ApprovalIntegrationTests.edit(campaign.path, "catch_up_seconds = 3600", "catch_up_seconds = 3600\nallow_duplicates = true")
            expected = "allow_duplicates was \"false\", is now \"true\""
        }
        let refused = try campaign.send(server, ["--approve", hash, "--preview", reviewed])
        #expect(refused.status == 77, "\(refused)")
        #expect(refused.stderr.contains(expected), "\(expected)\n\(refused)")
        #expect(server.messages().isEmpty)
        #expect(server.connections() == 0)
    }

    @Test func aOneShotApprovedAfterItsFiringWasSkippedIsSentByTheRunningDaemon() throws {
        let server = try SMTPTestServer()
        let folder = DaemonIntegrationTests.CampaignFolder()
        let due = DaemonIntegrationTests.rfc3339(Date().addingTimeInterval(-30))
        let path = folder.add(
            "late", schedule: due, recipients: 2, server: server,
            extra: "catch_up_seconds = 3600\nrequire_approval = true")
        let preview = try Subprocess.herald(["preview", path, "--out", folder.root.file("review")])
        #expect(preview.status == 0, "\(preview)")
        let hash = try #require(preview.stdout.split(separator: "\n").first { $0.hasPrefix("manifest hash: ") }).dropFirst("manifest hash: ".count)
        let daemon = try Subprocess.start(PackagePaths.herald, ["daemon", "--campaigns", folder.campaigns])
        // The firing (caught up at start) is skipped for want of an approval; only then is it approved.
        #expect(waitUntil(30) { daemon.stderrSoFar().contains("firing skipped: not approved") }, "\(daemon.stderrSoFar())")
        let approve = try Subprocess.herald(["approve", path, String(hash)])
        #expect(approve.status == 0, "\(approve)")
        #expect(approve.stdout.contains("a running daemon that skipped that firing for want of an approval sends it within a few seconds"), "\(approve)")
        // No SIGHUP: the daemon notices the approval record within its poll interval.
        #expect(waitUntil(30) { server.messages().count == 2 }, "the approved one-shot campaign was not sent")
        daemon.signal(SIGTERM)
        let result = daemon.wait(timeout: 20)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("firing skipped: not approved"), "\(result.stderr)")
        #expect(result.stderr.contains("waiting for an approval"), "\(result.stderr)")
        #expect(result.stderr.contains("approval recorded: firing the skipped one-shot campaign"), "\(result.stderr)")
        #expect(server.messages().count == 2, "sent once")
    }
}
