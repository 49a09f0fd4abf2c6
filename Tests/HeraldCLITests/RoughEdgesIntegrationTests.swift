import Foundation
import HeraldTestSupport
import Testing

/// Issue 8, "rough edges": closed pipes, SIGHUP, the bare command and --version, what
/// `validate` checks, preview folders, text that is not UTF-8, cron expressions that never fire.
@Suite(.tags(.integration)) struct RoughEdgesIntegrationTests {
    static let template = """
        From: Office <office@org.example>
        To: {{name}} <{{email}}>
        Subject: Letter {{number}}

        Dear {{name}}, this is letter {{number}}.
        """

    /// A campaign of `count` recipients with a plain template.
    static func bulkCampaign(_ count: Int) -> TestCampaign {
        let rows = (1...count).map { "r\($0)@rough.example,Recipient \($0),\($0)" }
        return TestCampaign(template: template, csv: "email,name,number\n" + rows.joined(separator: "\n") + "\n")
    }

    /// Message-ID → how many times the server stored it.
    static func counts(_ server: SMTPTestServer) -> [String: Int] {
        server.messages().reduce(into: [:]) { $0[$1.messageID ?? "?", default: 0] += 1 }
    }

    /// Appends lines to the campaign's `[smtp]` table (the last table of a `TestCampaign`).
    static func appendToSMTP(_ campaign: TestCampaign, _ lines: String) throws {
        let text = try String(contentsOfFile: campaign.path, encoding: .utf8)
        try (text + "\n" + lines + "\n").write(toFile: campaign.path, atomically: true, encoding: .utf8)
    }

    static func writeBytes(_ bytes: [UInt8], to path: String) {
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    }

    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1
    }

    static func files(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    /// Checks a finished campaign: 15 letters stored once each, 15 `sent` records, every log line whole.
    static func expectCompleteAndClean(_ campaign: TestCampaign, _ server: SMTPTestServer) throws {
        #expect(server.messages().count == 15)
        #expect(counts(server).values.allSatisfy { $0 == 1 })
        let lines = (campaign.folder.read("delivery.jsonl") ?? "").split(separator: "\n")
        let records = campaign.records()
        #expect(records.count == lines.count, "every log line is a JSON record; nothing was printed into the log")
        #expect(records.filter { $0["status"] as? String == "sent" }.count == 15)
        let status = try campaign.statusJSON()
        #expect(status["sent"] == 15 && status["in_doubt"] == 0, "\(status)")
    }

    // MARK: 1. Output that cannot be written

    @Test func stdoutPipeClosedByTheReaderDoesNotKillASend() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.05"])
        let campaign = TestCampaign()
        let statusFile = campaign.folder.file("herald-status")
        let script = #""$0" send "$1" --smtp-url "$2" | head -1 >/dev/null; echo "${PIPESTATUS[0]}" >"$3""#
        let shell = try Subprocess.run("bash", ["-c", script, PackagePaths.herald, campaign.path, server.url, statusFile])
        #expect(shell.status == 0, "\(shell)")
        let status = campaign.folder.read("herald-status")?.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(status == "0", "herald's own exit status, not a SIGPIPE (141) or SIGILL (132) death: \(shell)")
        try Self.expectCompleteAndClean(campaign, server)
    }

    @Test func stderrPipeClosedByTheReaderDoesNotKillAVerboseSend() throws {
        // --verbose writes the SMTP conversation to stderr while letters are in flight.
        let server = try SMTPTestServer(faults: ["--data-delay", "0.05"])
        let campaign = TestCampaign()
        let statusFile = campaign.folder.file("herald-status")
        let script = #"{ "$0" send "$1" --smtp-url "$2" --verbose 2>&1 >/dev/null; echo $? >"$3"; } | head -1 >/dev/null"#
        let shell = try Subprocess.run("bash", ["-c", script, PackagePaths.herald, campaign.path, server.url, statusFile])
        let status = campaign.folder.read("herald-status")?.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(status == "0", "\(shell)")
        try Self.expectCompleteAndClean(campaign, server)
    }

    @Test func stdoutAndStderrClosedSendsEveryLetterAndKeepsTheLogClean() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.01"])
        let campaign = TestCampaign()
        let statusFile = campaign.folder.file("herald-status")
        // Closed descriptors 1 and 2 would be reused by the next files opened (the lock, the log):
        // the trace of --verbose must not end up in the delivery log.
        let script = #""$0" send "$1" --smtp-url "$2" --verbose >&- 2>&-; echo $? >"$3""#
        let shell = try Subprocess.run("sh", ["-c", script, PackagePaths.herald, campaign.path, server.url, statusFile])
        let status = campaign.folder.read("herald-status")?.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(status == "0", "\(shell)")
        try Self.expectCompleteAndClean(campaign, server)
        #expect(!(campaign.folder.read("delivery.jsonl") ?? "").contains("smtp: "))
        #expect(!(campaign.folder.read("delivery.jsonl.lock") ?? "").contains("sent "), "nor the progress lines in the lock file")
    }

    // MARK: 2. SIGHUP

    @Test func sighupMidCampaignStopsCleanlyLikeSIGTERM() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.01"])
        let campaign = Self.bulkCampaign(200)
        let running = try Subprocess.start(PackagePaths.herald, ["send", campaign.path, "--smtp-url", server.url])
        #expect(waitUntil(60) { server.messages().count >= 30 })
        running.signal(SIGHUP)
        let stopped = running.wait()
        #expect(stopped.status == 75, "\(stopped)")
        #expect(stopped.stderr.contains("stopped on request"))
        #expect(server.messages().count < 200)
        #expect(try campaign.statusJSON()["in_doubt"] == 0, "after a hang-up nothing is in doubt")

        let resume = try campaign.send(server)
        #expect(resume.status == 0, "\(resume)")
        let counts = Self.counts(server)
        #expect(counts.count == 200 && counts.values.allSatisfy { $0 == 1 })
    }

    // MARK: 3. The bare command and --version

    @Test func noArgumentsPrintsTheHelpOnStderrAndExits64() throws {
        let result = try Subprocess.herald([])
        #expect(result.status == 64, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(result.stderr.contains("USAGE: herald") && result.stderr.contains("validate"), "\(result)")
    }

    @Test func versionPrintsHeraldsAndLibcurlsVersions() throws {
        let result = try Subprocess.herald(["--version"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("herald 0.4.0"), "\(result)")
        #expect(result.stdout.contains("libcurl/"), "\(result)")
    }

    // MARK: 5. validate checks what send checks before connecting

    @Test func validateRefusesAnUnsetPasswordVariableWith78() throws {
        let campaign = TestCampaign()
        try Self.appendToSMTP(campaign, "username = \"office\"\npassword_env = \"HERALD_ROUGH_EDGES_UNSET_PASSWORD\"")
        let result = try Subprocess.herald(["validate", campaign.path])
        #expect(result.status == 78, "\(result)")
        #expect(result.stderr.contains("smtp.password_env: the environment variable HERALD_ROUGH_EDGES_UNSET_PASSWORD is not set"), "\(result)")
        #expect(!result.stdout.contains(": ok"))

        let set = try Subprocess.herald(["validate", campaign.path], environment: ["HERALD_ROUGH_EDGES_UNSET_PASSWORD": "Sané-1999-secret"])
        #expect(set.status == 0, "\(set)")
        #expect(!set.stdout.contains("Sané-1999-secret") && !set.stderr.contains("Sané-1999-secret"))
    }

    @Test func validateRefusesAPasswordFileOthersCanReadWith78() throws {
        let campaign = TestCampaign()
        let secret = campaign.folder.write("secret", "Sané-1999-secret\n")
        #expect(chmod(secret, 0o644) == 0)
        try Self.appendToSMTP(campaign, "username = \"office\"\npassword_file = \"secret\"")
        let result = try Subprocess.herald(["validate", campaign.path])
        #expect(result.status == 78, "\(result)")
        #expect(result.stderr.contains("smtp.password_file:") && result.stderr.contains("chmod 600"), "\(result)")
        #expect(!result.stdout.contains("Sané-1999-secret") && !result.stderr.contains("Sané-1999-secret"))

        #expect(chmod(secret, 0o600) == 0)
        let fixed = try Subprocess.herald(["validate", campaign.path])
        #expect(fixed.status == 0, "\(fixed)")
        #expect(!fixed.stdout.contains("Sané-1999-secret") && !fixed.stderr.contains("Sané-1999-secret"))
    }

    @Test func validateReportsATemplateEditedWhileHalfSent() throws {
        let server = try SMTPTestServer(faults: ["--rcpt-reply", "r2@rough.example=451"])
        let rows = (1...3).map { "r\($0)@rough.example,Recipient \($0),\($0)" }
        let campaign = TestCampaign(
            template: Self.template, csv: "email,name,number\n" + rows.joined(separator: "\n") + "\n",
            extra: "[retry]\nmax_attempts = 1\n")
        #expect(try campaign.send(server).status == 75, "r2 is deferred")
        campaign.folder.write("letter.mustache", Self.template + "\nP.S. An edit.\n")
        let result = try Subprocess.herald(["validate", campaign.path])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("letter.mustache: template: changed since this campaign started sending"), "\(result)")
        #expect(result.stderr.contains("--allow-changed"), "\(result)")
    }

    // MARK: 6. Preview folders

    @Test func anEmptyOutIsRefusedAndNothingIsWrittenThroughALink() throws {
        let campaign = TestCampaign()
        let work = campaign.folder.file("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let notes = campaign.folder.write("work/notes.txt", "notes\n")
        try FileManager.default.createSymbolicLink(
            atPath: (work as NSString).appendingPathComponent("01-minister@bmaa.austria.example.eml"),
            withDestinationPath: notes)
        let result = try Subprocess.herald(["preview", campaign.path, "--out", ""], directory: work)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("--out is empty"), "\(result.stderr)")
        #expect(campaign.folder.read("work/notes.txt") == "notes\n", "nothing was written through the link")
    }

    @Test func previewCreatesAPrivateFolderAndLaterRemovesOnlyWhatItWrote() throws {
        let campaign = TestCampaign()
        let out = campaign.folder.file("previews/letters")
        let first = try Subprocess.herald(["preview", campaign.path, "--out", out])
        #expect(first.status == 0, "\(first)")
        #expect(Self.mode(out) == 0o700, "a folder Herald creates is private")
        let written = Self.files(out)
        #expect(written.filter { $0.hasSuffix(".eml") }.count == 15)
        #expect(written.contains(".herald-preview.json"), "\(written)")

        // A shorter list: the letters of the earlier preview that are not written again go too.
        let rows = realRecipientRows()
        let shorter = TestCampaign(csv: rows.prefix(4).joined(separator: "\n") + "\n")
        let text = try String(contentsOfFile: shorter.path, encoding: .utf8)
        try text.write(toFile: campaign.path, atomically: true, encoding: .utf8)
        let second = try Subprocess.herald(["preview", campaign.path, "--out", out])
        #expect(second.status == 0, "\(second)")
        #expect(Self.files(out).filter { $0.hasSuffix(".eml") }.count == 3, "\(Self.files(out))")
    }

    @Test func previewRefusesAFolderHoldingFilesItDidNotWrite() throws {
        let campaign = TestCampaign()
        let out = campaign.folder.file("mine")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        campaign.folder.write("mine/draft-to-the-minister.eml", "my own draft")
        campaign.folder.write("mine/notes.txt", "notes")
        let result = try Subprocess.herald(["preview", campaign.path, "--out", out])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("draft-to-the-minister.eml") && result.stderr.contains("notes.txt"), "\(result)")
        #expect(result.stderr.contains("another --out"), "\(result)")
        #expect(Self.files(out) == ["draft-to-the-minister.eml", "notes.txt"], "nothing deleted, nothing written")

        // The default folder, preview/<campaign name>/, follows the same rule.
        let work = campaign.folder.file("work")
        campaign.folder.write("work/preview/cli-test/keep.eml", "keep")
        let byDefault = try Subprocess.herald(["preview", campaign.path], directory: work)
        #expect(byDefault.status == 64, "\(byDefault)")
        #expect(Self.files(campaign.folder.file("work/preview/cli-test")) == ["keep.eml"])
    }

    @Test func previewRefusesAnotherCampaignsPreview() throws {
        let campaign = TestCampaign()
        let other = TestCampaign()
        let otherText = try String(contentsOfFile: other.path, encoding: .utf8)
        try otherText.replacingOccurrences(of: "name = \"cli-test\"", with: "name = \"other-campaign\"")
            .write(toFile: other.path, atomically: true, encoding: .utf8)
        let out = campaign.folder.file("shared")
        #expect(try Subprocess.herald(["preview", other.path, "--out", out]).status == 0)
        let before = Self.files(out)
        let result = try Subprocess.herald(["preview", campaign.path, "--out", out])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("other-campaign"), "\(result)")
        #expect(Self.files(out) == before)
    }

    @Test func previewIntoARegularFileSaysSoInWords() throws {
        let campaign = TestCampaign()
        let file = campaign.folder.write("not-a-folder", "x")
        let result = try Subprocess.herald(["preview", campaign.path, "--out", file])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("is a file, not a folder"), "\(result)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain"))
        #expect(campaign.folder.read("not-a-folder") == "x")
    }

    // MARK: 7. Text that is not UTF-8

    @Test func recipientListInLatin1NamesTheLineAndByte() throws {
        let campaign = TestCampaign(template: Self.template, csv: "")
        var bytes = Array("email,name,number\na@x.example,Ann,1\nb@x.example,Ren".utf8)
        let offset = bytes.count + 1
        bytes += [0xE9] + Array(",2\n".utf8)  // "René" saved as Latin-1
        Self.writeBytes(bytes, to: campaign.folder.file("list.csv"))
        let result = try Subprocess.herald(["validate", campaign.path])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("list.csv:3: byte \(offset) is not valid UTF-8"), "\(result)")
        #expect(result.stderr.contains("save the file as UTF-8"), "\(result)")
    }

    @Test func campaignFileThatIsNotUTF8Exits78WithTheLine() throws {
        let campaign = TestCampaign()
        var bytes = Array((try String(contentsOfFile: campaign.path, encoding: .utf8)).utf8)
        bytes = Array("# Letter from Pierre San".utf8) + [0xE9] + [0x0A] + bytes
        Self.writeBytes(bytes, to: campaign.path)
        let result = try Subprocess.herald(["validate", campaign.path])
        #expect(result.status == 78, "\(result)")
        #expect(result.stderr.contains("campaign.toml:1: byte 25 is not valid UTF-8"), "\(result)")
    }

    @Test func templateThatIsNotUTF8Exits65WithTheLine() throws {
        let campaign = TestCampaign(template: "")
        let bytes = Array(Self.template.utf8) + Array("\n\nPierre San".utf8) + [0xE9] + [0x0A]
        Self.writeBytes(bytes, to: campaign.folder.file("letter.mustache"))
        let result = try Subprocess.herald(["validate", campaign.path])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("letter.mustache:7: byte"), "\(result)")
    }

    // MARK: 8. Cron expressions that never fire

    @Test func scheduleRefusesACronExpressionThatNeverFires() throws {
        let result = try Subprocess.herald(["schedule", "--cron", "0 0 30 2 *"])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("never fires: February has no 30th"), "\(result)")
        #expect(result.stdout.isEmpty)

        let leap = try Subprocess.herald(["schedule", "--cron", "0 0 29 2 *", "--after", "2026-01-01T00:00:00Z", "--count", "2"])
        #expect(leap.status == 0, "\(leap)")
        #expect(leap.stdout == "2028-02-29T00:00:00Z\n2032-02-29T00:00:00Z\n", "\(leap)")
    }

    @Test func campaignWhoseScheduleNeverFiresExits78NamingTheLine() throws {
        let campaign = TestCampaign(extra: "schedule = \"0 0 31 4,6,9,11 *\"")
        let result = try Subprocess.herald(["validate", campaign.path])
        #expect(result.status == 78, "\(result)")
        #expect(result.stderr.contains("campaign.toml:5: schedule:"), "\(result)")
        #expect(result.stderr.contains("never fires: April, June, September and November have no 31st"), "\(result)")
        let schedule = try Subprocess.herald(["schedule", campaign.path])
        #expect(schedule.status == 78, "\(schedule)")
    }
}
