import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// Issue 18, the hostile review of "A broken chain must stop a send" and "One campaign, one
/// sender, whatever the log": each way it found to have `send` mail a letter twice with exit 0,
/// now refused. Against the real test server, counting the copies of each Message-ID it stored.
@Suite(.tags(.integration)) struct ChainTamperIntegrationTests {
    static func counts(_ server: SMTPTestServer) -> [String: Int] {
        ChainAndLockIntegrationTests.counts(server)
    }

    static func lines(_ log: String) -> [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The byte offset and length of the two records (intent, outcome) of the letter at `index`
    /// among the sent ones.
    static func recordsOfSentLetter(_ log: String, _ index: Int) throws -> [(offset: Int, length: Int)] {
        let lines = Self.lines(log)
        let records = lines.map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let sent = records.compactMap { $0 }.filter { $0["status"] as? String == "sent" }
        let recipient = try #require(sent[index]["recipient"] as? String)
        var offset = 0, found: [(Int, Int)] = []
        for (line, record) in zip(lines, records) {
            if record?["recipient"] as? String == recipient { found.append((offset, line.utf8.count)) }
            offset += line.utf8.count + 1
        }
        #expect(found.count == 2)
        return found
    }

    /// Overwrites those records with spaces where they stand: same file, same length.
    static func blank(_ log: String, _ records: [(offset: Int, length: Int)]) {
        let fd = open(log, O_WRONLY)
        for record in records {
            let spaces = [UInt8](repeating: 0x20, count: record.length)
            #expect(pwrite(fd, spaces, spaces.count, off_t(record.offset)) == spaces.count)
        }
        close(fd)
    }

    enum Cover: String, CaseIterable {
        case newlineAppended, spacesAppended, touchBack
    }

    /// One letter's records blanked in place, the edit then covered by a newline or spaces
    /// appended, or by setting the modification time back (`touch -r`).
    @Test(arguments: Cover.allCases)
    func anEditCoveredByPaddingOrTouchStillStopsTheSend(cover: Cover) throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        #expect(try campaign.send(nil).status == 0)
        #expect(try campaign.send(nil).status == 0, "a second run: the checkpoint is at the log's end")
        var before = stat()
        #expect(stat(campaign.log, &before) == 0)
        Self.blank(campaign.log, try Self.recordsOfSentLetter(campaign.log, 3))
        switch cover {
        case .newlineAppended:
            try FileHandle(forWritingAtPath: campaign.log).map {
                $0.seekToEndOfFile(); $0.write(Data("\n".utf8)); $0.closeFile()
            }
        case .spacesAppended:
            try FileHandle(forWritingAtPath: campaign.log).map {
                $0.seekToEndOfFile(); $0.write(Data("   \n".utf8)); $0.closeFile()
            }
        case .touchBack:
            var times = [before.st_atim, before.st_mtim]
            #expect(utimensat(AT_FDCWD, campaign.log, &times, 0) == 0)
        }
        let send = try campaign.send(server)
        #expect(send.status == 65 && send.stderr.contains("chain broken"), "\(send)")
        #expect(server.messages().count == 15 && Self.counts(server).values.allSatisfy { $0 == 1 }, "\(Self.counts(server))")
    }

    /// Records of an earlier run blanked while a later run sends: that run's end does not take
    /// the edit over, so the next run refuses the log.
    @Test func anEditMadeWhileASendRunsIsFoundByTheNextRun() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.1"])
        let campaign = TestCampaign(csv: LogIdentityIntegrationTests.thirtyRecipients())
        // A first run stopped after a few letters, so the log holds records from before the second.
        let first = try Subprocess.start(PackagePaths.herald, ["send", campaign.path, "--smtp-url", server.url, "--quiet"])
        #expect(waitUntil(30) { server.messages().count >= 4 })
        first.signal(SIGTERM)
        #expect(first.wait().status == 75)
        let doomed = try Self.recordsOfSentLetter(campaign.log, 1)
        let second = try Subprocess.start(PackagePaths.herald, ["send", campaign.path, "--smtp-url", server.url, "--quiet"])
        let sentBefore = server.messages().count
        #expect(waitUntil(30) { server.messages().count >= sentBefore + 3 })
        Self.blank(campaign.log, doomed)
        #expect(second.wait().status == 0)
        #expect(server.messages().count == 30)
        let third = try campaign.send(server)
        #expect(third.status == 65 && third.stderr.contains("chain broken"), "\(third)")
        #expect(server.messages().count == 30 && Self.counts(server).values.allSatisfy { $0 == 1 }, "\(Self.counts(server).filter { $0.value > 1 })")
    }

    /// Every `prev` stripped and a letter's records deleted: the log would pass as one written
    /// before Herald chained it.
    @Test func aLogStrippedOfItsChainIsRefused() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        #expect(try campaign.send(nil).status == 0)
        let doomed = try Self.recordsOfSentLetter(campaign.log, 5).map(\.offset)
        var offset = 0, kept: [String] = []
        for line in Self.lines(campaign.log) {
            if !doomed.contains(offset) {
                kept.append(line.replacingOccurrences(of: #","prev":"[0-9a-f]{64}""#, with: "", options: .regularExpression))
            }
            offset += line.utf8.count + 1
        }
        try (kept.joined(separator: "\n") + "\n").write(toFile: campaign.log, atomically: false, encoding: .utf8)
        let send = try campaign.send(server)
        #expect(send.status == 65 && send.stderr.contains(":1: chain broken: this record has no prev"), "\(send)")
        #expect(server.messages().count == 15 && Self.counts(server).values.allSatisfy { $0 == 1 })
    }

    enum Loss: String, CaseIterable {
        case olderCopy, emptied, movedAway
    }

    /// A log shorter than when it was last checked (an older copy put back, `: > log`, the log
    /// moved away) is refused with both lengths, not taken for a campaign half or never sent.
    @Test(arguments: Loss.allCases)
    func aLogShorterThanWhenLastCheckedIsRefused(loss: Loss) throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        #expect(try campaign.send(nil).status == 0)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: campaign.log)[.size] as? Int)
        switch loss {
        case .olderCopy:
            try (Self.lines(campaign.log)[0..<10].joined(separator: "\n") + "\n").write(toFile: campaign.log, atomically: false, encoding: .utf8)
        case .emptied:
            try "".write(toFile: campaign.log, atomically: false, encoding: .utf8)
        case .movedAway:
            try FileManager.default.moveItem(atPath: campaign.log, toPath: campaign.log + ".old")
        }
        let send = try campaign.send(server)
        #expect(send.status == 65, "\(send)")
        #expect(send.stderr.contains("\(size) bytes") && send.stderr.contains("verify-log \(campaign.log) --accept-broken-chain"), "\(send.stderr)")
        if loss == .olderCopy {
            #expect(send.stderr.contains("the log is shorter than when it was last checked"), "\(send.stderr)")
        }
        #expect(server.messages().count == 15, "nothing sent again: \(Self.counts(server))")
        let validate = try Subprocess.herald(["validate", campaign.path])
        #expect(validate.status == 65, "\(validate)")
        // The operator's way to start again.
        let accept = try Subprocess.herald(["verify-log", campaign.log, "--accept-broken-chain"])
        #expect(accept.status == 0 && accept.stdout.contains("accepted"), "\(accept)")
        let again = try campaign.send(server)
        // The letters the older copy left in doubt stop it with 75; the log is no longer refused.
        #expect((again.status == 0 || again.status == 75) && !again.stderr.contains("last checked"), "\(again)")
    }

    /// A hard link to the campaign file in another folder, then an editor saving the original:
    /// two inodes, two folders' key files, two logs; one campaign name, so one sender.
    @Test func aHardLinkSplitByAnEditorSaveDoesNotOpenTheCampaignToASecondSender() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.1"])
        let campaign = TestCampaign(csv: LogIdentityIntegrationTests.thirtyRecipients())
        let other = campaign.folder.file("other")
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
        let linked = other + "/campaign.toml"
        try FileManager.default.linkItem(atPath: campaign.path, toPath: linked)
        // The editor: a new file renamed over the original, so the link keeps the old inode.
        let text = try String(contentsOfFile: campaign.path, encoding: .utf8)
        #expect(rename(campaign.folder.write("campaign.toml.swp", text), campaign.path) == 0)
        let sender = try Subprocess.start(PackagePaths.herald, ["send", campaign.path, "--smtp-url", server.url, "--quiet"])
        #expect(waitUntil(30) { server.messages().count >= 2 })
        // The link's campaign has its own log (other/delivery.jsonl, new): without the name's lock, all 30 again.
        let second = try Subprocess.herald(["send", linked, "--smtp-url", server.url])
        #expect(second.status == 75, "\(second)")
        #expect(
            second.stderr.contains("campaign cli-test is being sent by pid \(sender.pid)")
                && second.stderr.contains("two campaign files named cli-test cannot send at the same time"), "\(second.stderr)")
        #expect(sender.wait().status == 0)
        #expect(Self.counts(server).count == 30 && Self.counts(server).values.allSatisfy { $0 == 1 }, "\(Self.counts(server).filter { $0.value > 1 })")
    }

    /// An existing empty file given as `--log` is a new log, and `resolve` with a mistyped
    /// `--log` creates no file.
    @Test func anEmptyLogIsRefusedLikeAMissingOneAndResolveCreatesNone() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        #expect(try campaign.send(nil).status == 0)
        let typo = campaign.folder.file("delivery.jsnol")
        let resolve = try Subprocess.herald(["resolve", campaign.path, "--log", typo, "--recipient", "minister@bmaa.austria.example", "--as", "sent"])
        #expect(resolve.status == 65 && resolve.stderr.contains("no such delivery log"), "\(resolve)")
        #expect(!FileManager.default.fileExists(atPath: typo), "resolve created no log")
        FileManager.default.createFile(atPath: typo, contents: nil)
        let send = try campaign.send(server, ["--log", typo])
        #expect(send.status == 64 && send.stderr.contains("\(typo) records no letter, but the campaign's log"), "\(send)")
        #expect(server.messages().count == 15)
    }

    /// Hostile review, round 2: a log of one newline (or spaces) is not "a log with records":
    /// given as `--log`, named by an edited `log =`, or standing where `LOG.index` records the
    /// letters, it is refused like an empty one, and nothing is sent again.
    @Test func aLogOfOnlyWhiteSpaceIsRefusedLikeAnEmptyOne() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        #expect(try campaign.send(nil).status == 0)
        let blank = campaign.folder.file("blank.jsonl")
        FileManager.default.createFile(atPath: blank, contents: Data("\n".utf8))
        let given = try campaign.send(server, ["--log", blank])
        #expect(given.status == 64 && given.stderr.contains("\(blank) records no letter"), "\(given)")
        // `log =` edited to a file of spaces: the log the campaign was last sent to stops it.
        _ = campaign.folder.write("spaces.jsonl", "   \n")
        let text = try String(contentsOfFile: campaign.path, encoding: .utf8)
        try text.replacingOccurrences(of: "log = \"delivery.jsonl\"", with: "log = \"spaces.jsonl\"")
            .write(toFile: campaign.path, atomically: true, encoding: .utf8)
        let edited = try campaign.send(server)
        #expect(edited.status == 64 && edited.stderr.contains("records nothing"), "\(edited)")
        try text.write(toFile: campaign.path, atomically: true, encoding: .utf8)
        // The campaign's own log blanked to one newline, its checkpoint removed: LOG.index still records the letters.
        try? FileManager.default.removeItem(atPath: campaign.log + ".chain")
        FileManager.default.createFile(atPath: campaign.log, contents: Data("\n".utf8))
        let blanked = try campaign.send(server)
        #expect(blanked.status == 65, "\(blanked)")
        #expect(server.messages().count == 15, "nothing was sent twice")
    }
}
