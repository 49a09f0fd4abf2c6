import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Attachments against the hostile review of issue 18: names the kernel tells apart and Swift
/// `String` does not (NFC/NFD, U+212A KELVIN SIGN), fields reaching Herald's own files, control
/// characters in a value, link loops, files that grow between the check and the read.
@Suite struct AttachmentHostileInputTests {
    /// Writes `text` at `path` byte for byte (no Foundation path handling in between).
    static func make(_ path: String, _ text: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(descriptor >= 0, "cannot create \(path)")
        _ = Array(text.utf8).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }

    static func template(_ folder: TemporaryDirectory, attachment: String) -> String {
        folder.write("letter.txt", "From: o@org.example\nTo: <{{email}}>\nSubject: s\nAttachment: \(attachment)\n\nHi\n")
    }

    // MARK: Names compared as bytes

    /// `Kletters/leak.txt` links into `<U+212A>letters/` (or an NFC folder into its NFD twin):
    /// Swift's `hasPrefix` took them for one folder; the kernel, and now Herald, does not.
    @Test(arguments: [("K", "\u{212A}"), ("\u{D6}", "O\u{308}"), ("O\u{308}", "\u{D6}")])
    func aLinkIntoACanonicallyEquivalentFolderLeadsOutside(named: String, twin: String) throws {
        let folder = TemporaryDirectory("herald-canon")
        #expect(mkdir(folder.file("\(named)letters"), 0o700) == 0 && mkdir(folder.file("\(twin)letters"), 0o700) == 0)
        Self.make(folder.file("\(twin)letters/private.txt"), "PRIVATE")
        #expect(symlink("../\(twin)letters/private.txt", folder.file("\(named)letters/leak.txt")) == 0)
        let template = Self.template(folder, attachment: "\(named)letters/{{country}}")
        #expect {
            _ = try RichLetterFixtures.prepared(template, csv: "email,country\na@x.example,leak.txt\n")
        } throws: { error in
            "\(error)".contains(
                "list.csv:2: Attachment: \(folder.path)/\(named)letters/leak.txt leads outside \(folder.path)/\(named)letters (to \(folder.path)/\(twin)letters/private.txt)"
            )
        }
    }

    /// Two files whose names are canonically equivalent are two files: each row gets its own
    /// (the cache was a `[String: AttachmentPart]`, one key for both).
    @Test func canonicallyEquivalentNamesAreTwoFilesInTheCache() throws {
        let folder = TemporaryDirectory("herald-nfc")
        #expect(mkdir(folder.file("letters"), 0o700) == 0)
        Self.make(folder.file("letters/\u{D6}sterreich.txt"), "FILE-A for Austria")
        Self.make(folder.file("letters/O\u{308}sterreich.txt"), "FILE-B for Bob")
        let template = Self.template(folder, attachment: "letters/{{country}}")
        let prepared = try RichLetterFixtures.prepared(template, csv: "email,country\na@x.example,\u{D6}sterreich.txt\nb@x.example,O\u{308}sterreich.txt\n")
        let recipients = try prepared.recipients
        var attached: [[UInt8]] = []
        for recipient in recipients {
            let report = try EmailOracle.check(bytes: prepared.compose(recipient, date: RichLetterFixtures.date).data)
            #expect(report.ok, "\(report.problems)")
            attached.append(report.parts.last?.data ?? [])
        }
        #expect(attached == [Array("FILE-A for Austria".utf8), Array("FILE-B for Bob".utf8)])
        #expect(prepared.attachmentStore.filesRead == 2)
    }

    /// The review manifest lists both spellings, each with its own hash (it kept one of them).
    @Test func theManifestListsCanonicallyEquivalentFilesApart() throws {
        let folder = TemporaryDirectory("herald-nfc-manifest")
        Self.make(folder.file("\u{D6}.pdf"), "A")
        Self.make(folder.file("O\u{308}.pdf"), "B")
        let inputs = ReviewManifest.AttachmentInputs()
        try inputs.note([folder.file("\u{D6}.pdf"), folder.file("O\u{308}.pdf"), folder.file("\u{D6}.pdf")])
        #expect(inputs.inputs.count == 2)
        #expect(Set(inputs.inputs.map(\.sha256)).count == 2)
    }

    /// Paths are normalized by their bytes: `/` then a combining mark is still a `/`.
    @Test func lexicalNormalizationSplitsOnSlashBytes() {
        // `/` then a combining mark is one Swift Character; the kernel still sees a `/`.
        #expect(Campaign.lexicallyNormalized("a/\u{301}b/../c") == "a/c")
        #expect(Campaign.lexicallyNormalized("a/./b/../../c") == "c")
        #expect(Campaign.resolvePath("/\u{301}x", against: "folder/c.toml") == "/\u{301}x", "absolute by its first byte")
    }

    // MARK: Herald's own files

    /// A field may not attach the campaign file, its template, list, log and the files beside
    /// it, its passwords, CA files, DKIM key, suppression list or campaign lock, by name or by
    /// hard link: each is refused on its row, naming what it is; an ordinary file is not.
    @Test func aFieldCannotAttachHeraldsOwnFiles() throws {
        let folder = TemporaryDirectory("herald-own")
        _ = Self.template(folder, attachment: "{{file}}")
        let own: [(String, String)] = [
            ("campaign.toml", "the campaign file"), ("letter.txt", "the campaign's template"), ("list.csv", "a recipient list"),
            ("delivery.jsonl", "the delivery log"), ("delivery.jsonl.index", "the delivery log's index"),
            ("delivery.jsonl.lock", "the delivery log's lock file"), ("delivery.jsonl.chain", "the delivery log's chain checkpoint"),
            ("delivery.jsonl.approval", "the campaign's approval"), ("delivery.jsonl.key", "the campaign's Message-ID key"),
            ("suppressed.txt", "the suppression list"),
            (".herald-own-0123456789abcdef.lastlog", "a campaign lock file"),
            ("smtp-password", "smtp.password_file"), ("smtp-ca.pem", "smtp.ca_file"), ("imap-password", "bounces.password_file"),
            ("imap-ca.pem", "bounces.ca_file"), ("dkim.key", "dkim.private_key_file"),
            (".herald-own-0123456789abcdef.lock", "a campaign lock file"), ("innocent.pdf", "smtp.password_file"),
        ]
        for (name, _) in own where !["campaign.toml", "letter.txt", "list.csv", "innocent.pdf"].contains(name) {
            Self.make(folder.file(name), "secret of \(name)")
        }
        // A hard link to the password under an innocent name.
        #expect(link(folder.file("smtp-password"), folder.file("innocent.pdf")) == 0)
        Self.make(folder.file("fine.pdf"), "an ordinary attachment")
        _ = folder.write(
            "list.csv",
            "email,file\n" + own.enumerated().map { "r\($0.offset)@x.example,\($0.element.0)" }.joined(separator: "\n")
                + "\nok@x.example,fine.pdf\n")
        let campaignFile = folder.write(
            "campaign.toml",
            """
            name = "own"
            template = "letter.txt"
            recipients = ["list.csv"]
            log = "delivery.jsonl"
            [smtp]
            url = "smtp://127.0.0.1:9"
            username = "u"
            password_file = "smtp-password"
            ca_file = "smtp-ca.pem"
            [bounces]
            url = "imaps://imap.example.org/INBOX"
            username = "u"
            password_file = "imap-password"
            ca_file = "imap-ca.pem"
            [dkim]
            domain = "org.example"
            selector = "s1"
            private_key_file = "dkim.key"
            """)
        #expect {
            _ = try PreparedCampaign.load(campaignFile: campaignFile, date: RichLetterFixtures.date)
        } throws: { error in
            let diagnostics = (error as? ValidationFailure)?.diagnostics.map(\.description) ?? []
            for (index, (name, role)) in own.enumerated() {
                let line = diagnostics.filter { $0.hasPrefix("\(folder.path)/list.csv:\(index + 2): Attachment: ") }
                #expect(
                    line.count == 1 && line[0].contains("\(folder.path)/\(name) is \(role)") && line[0].contains("one of Herald's own files")
                        && line[0].hasSuffix("(attached by \(folder.path)/letter.txt:4); name another file in the row"),
                    "\(name): \(line)")
            }
            #expect(!diagnostics.contains { $0.contains("list.csv:\(own.count + 2):") }, "fine.pdf is attached")
            #expect(!diagnostics.joined().contains("secret of"), "nothing of them is read")
            return true
        }
    }

    /// Hostile review, round 2: a folder that holds this campaign's log may hold another
    /// campaign's log and its Message-ID key; a field may attach neither (nor a file that only
    /// looks like one: `notes.key` with no `notes` beside it stays attachable).
    @Test func aFieldCannotAttachAnotherCampaignsLogOrKeyFromTheLogFolder() throws {
        let folder = TemporaryDirectory("herald-other-log")
        _ = Self.template(folder, attachment: "{{file}}")
        Self.make(folder.file("other.jsonl"), "secret log of another campaign")
        Self.make(folder.file("other.jsonl.key"), String(repeating: "ab", count: 32) + "\n")
        Self.make(folder.file("notes.key"), "an ordinary attachment")
        _ = folder.write("list.csv", "email,file\na@x.example,other.jsonl.key\nb@x.example,other.jsonl\nc@x.example,notes.key\n")
        let campaignFile = folder.write(
            "campaign.toml",
            """
            name = "mine"
            template = "letter.txt"
            recipients = ["list.csv"]
            log = "delivery.jsonl"
            [smtp]
            url = "smtp://127.0.0.1:9"
            """)
        #expect {
            _ = try PreparedCampaign.load(campaignFile: campaignFile, date: RichLetterFixtures.date)
        } throws: { error in
            let diagnostics = (error as? ValidationFailure)?.diagnostics.map(\.description) ?? []
            #expect(diagnostics.contains { $0.contains("list.csv:2:") && $0.contains("a Message-ID key of another campaign's log") }, "\(diagnostics)")
            #expect(diagnostics.contains { $0.contains("list.csv:3:") && $0.contains("another campaign's delivery log") }, "\(diagnostics)")
            #expect(!diagnostics.contains { $0.contains("list.csv:4:") }, "notes.key is attached: \(diagnostics)")
            return true
        }
    }

    /// The file opened is checked too: a protected file linked in after the check is refused
    /// when the letter is composed.
    @Test func aHardLinkToAnOwnFileMadeAfterTheCheckIsRefusedWhenComposing() throws {
        let folder = TemporaryDirectory("herald-own-late")
        let template = Self.template(folder, attachment: "own/{{file}}")
        #expect(mkdir(folder.file("own"), 0o700) == 0)
        Self.make(folder.file("own/memo.pdf"), "fine")
        var campaign = TestData.campaign(name: "own-late")
        campaign.templatePath = template
        campaign.logPath = folder.file("delivery.jsonl")
        let prepared = try PreparedCampaign.prepare(
            campaign: campaign, template: LetterTemplate(source: String(contentsOfFile: template, encoding: .utf8), file: template),
            lists: [TestData.list("email,file\na@x.example,memo.pdf\n")], date: RichLetterFixtures.date)
        // The log is created by the first send, after the campaign was checked; then linked in.
        Self.make(folder.file("delivery.jsonl"), "{\"the\":\"log\"}\n")
        #expect(unlink(folder.file("own/memo.pdf")) == 0 && link(folder.file("delivery.jsonl"), folder.file("own/memo.pdf")) == 0)
        #expect {
            _ = try prepared.compose(try prepared.recipients[0], date: RichLetterFixtures.date)
        } throws: { "\($0)".contains("list.csv:2: Attachment: \(folder.path)/own/memo.pdf is the delivery log, one of Herald's own files") }
        #expect(prepared.attachmentStore.filesRead == 0)
    }

    // MARK: Diagnostics

    /// A value holding terminal escapes is shown with them escaped in the diagnostic itself.
    @Test func aPathFromAValueIsShownInItsVisibleForm() throws {
        let folder = TemporaryDirectory("herald-esc")
        let template = Self.template(folder, attachment: "letters/{{file}}")
        #expect(mkdir(folder.file("letters"), 0o700) == 0)
        #expect {
            _ = try RichLetterFixtures.prepared(template, csv: "email,file\na@x.example,\u{1B}]0;pwned\u{07}\u{1B}[2J\u{202E}.pdf\n")
        } throws: { error in
            let text = "\(error)"
            return !text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" }
                && text.contains("\(folder.path)/letters/\\u001B]0;pwned\\u0007\\u001B[2J\\u202E.pdf does not exist")
        }
    }

    /// A link loop is not a missing file.
    @Test func aLinkLoopSaysSo() throws {
        let folder = TemporaryDirectory("herald-loop")
        let template = Self.template(folder, attachment: "letters/{{file}}")
        #expect(mkdir(folder.file("letters"), 0o700) == 0)
        #expect(symlink("loop", folder.file("letters/loop")) == 0)
        #expect {
            _ = try RichLetterFixtures.prepared(template, csv: "email,file\na@x.example,loop\n")
        } throws: { "\($0)".contains("\(folder.path)/letters/loop cannot be reached: too many levels of symbolic links") }
    }

    // MARK: Memory

    /// Files that grew since the check so that the letter is over its limit are refused before
    /// any is read: each was read up to the whole limit before the sum was compared.
    @Test func filesGrownOverTheLimitAreRefusedBeforeAnyIsRead() throws {
        let folder = TemporaryDirectory("herald-grown")
        let template = Self.template(folder, attachment: "own/{{a}}\nAttachment: own/{{b}}")
        #expect(mkdir(folder.file("own"), 0o700) == 0)
        Self.make(folder.file("own/a.bin"), "a")
        Self.make(folder.file("own/b.bin"), "b")
        var campaign = TestData.campaign(name: "grown")
        campaign.templatePath = template
        campaign.maxAttachmentBytesPerLetter = 1000
        let prepared = try PreparedCampaign.prepare(
            campaign: campaign, template: LetterTemplate(source: String(contentsOfFile: template, encoding: .utf8), file: template),
            lists: [TestData.list("email,a,b\na@x.example,a.bin,b.bin\n")], date: RichLetterFixtures.date)
        // Each alone within the limit, both over it.
        Self.make(folder.file("own/a.bin"), String(repeating: "a", count: 600))
        Self.make(folder.file("own/b.bin"), String(repeating: "b", count: 600))
        #expect {
            _ = try prepared.compose(try prepared.recipients[0], date: RichLetterFixtures.date)
        } throws: { "\($0)".contains("list.csv:2: Attachment: the attachments come to 1644 bytes as sent") }
        #expect(prepared.attachmentStore.filesRead == 0, "nothing read")
    }

    /// The store reads a file only within the budget it is given.
    @Test func aPartOverTheBudgetLeftIsNotRead() throws {
        let folder = TemporaryDirectory("herald-left")
        Self.make(folder.file("a.bin"), String(repeating: "a", count: 600))
        let store = AttachmentStore()
        #expect {
            _ = try store.part(folder.file("a.bin"), maxEncodedBytes: 500)
        } throws: { "\($0)".contains("a.bin is 600 bytes (822 encoded), more than the 500 bytes of attachments the letter has left") }
        #expect(store.filesRead == 0)
    }

    // MARK: Lists

    /// A FIFO where a list was is refused when opened, not waited on (the list is opened after its stat).
    @Test(.timeLimit(.minutes(1)))
    func aListThatIsAFIFOIsRefusedWithoutWaiting() throws {
        let folder = TemporaryDirectory("herald-fifo-list")
        #expect(mkfifo(folder.file("list.csv"), 0o600) == 0)
        #expect {
            try RecipientReader.scan(file: folder.file("list.csv"))
        } throws: { error in
            (error as? ValidationFailure)?.kind == .missingInput && "\(error)".contains("is a FIFO (named pipe), not a regular file")
        }
        #expect(throws: ValidationFailure.self) { _ = try RecipientReader(file: folder.file("list.csv")) }
    }
}
