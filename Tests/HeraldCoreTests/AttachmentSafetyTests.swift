import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Attachments against a careless or hostile input: links out of the folder, names that
/// mislead a mail reader or break a strict parser, files too large for a letter.
@Suite struct AttachmentSafetyTests {
    static let csv = "email,country\nminister@x.example,Germany\n"

    /// A folder with a template attaching `files/{{country}}` (or `path`) and a `Germany` file in `files/`.
    static func campaignFolder(attachment: String = "files/{{country}}") -> (folder: TemporaryDirectory, template: String) {
        let folder = TemporaryDirectory("herald-attach")
        let template = folder.write("letter.txt", "From: o@org.example\nTo: <{{email}}>\nSubject: s\nAttachment: \(attachment)\n\nHi\n")
        _ = folder.write("files/Germany.pdf", "the letter to Germany")
        return (folder, template)
    }

    // MARK: Symbolic links

    /// A link inside the folder pointing outside it is refused on the row, and nothing of the target is read.
    @Test func aFieldChosenLinkOutOfTheFolderIsRefusedOnTheRow() throws {
        let (folder, template) = Self.campaignFolder()
        let secret = folder.write("secret/shadow", "root:$6$secret")
        try FileManager.default.createSymbolicLink(atPath: folder.file("files/Germany"), withDestinationPath: secret)
        #expect {
            _ = try RichLetterFixtures.prepared(template, csv: Self.csv)
        } throws: { error in
            let text = "\(error)"
            return text.contains("list.csv:2: Attachment: \(folder.path)/files/Germany leads outside \(folder.path)/files")
                && text.contains("attached by \(template):4")
        }
    }

    /// A relative link, a link to a folder and then up, all end outside: refused too.
    @Test(arguments: ["../secret/shadow", "../../", "/etc/passwd"])
    func everyKindOfLinkOutIsRefused(destination: String) throws {
        let (folder, template) = Self.campaignFolder()
        _ = folder.write("secret/shadow", "root:$6$secret")
        try FileManager.default.createSymbolicLink(atPath: folder.file("files/Germany"), withDestinationPath: destination)
        #expect {
            _ = try RichLetterFixtures.prepared(template, csv: Self.csv)
        } throws: { error in "\(error)".contains("list.csv:2: Attachment:") && "\(error)".contains("leads outside") }
    }

    /// A link that stays inside the folder is a file like any other; so is a link the template names itself.
    @Test func linksInsideTheFolderAndLinksTheTemplateNamesAreAttached() throws {
        let (folder, template) = Self.campaignFolder()
        try FileManager.default.createSymbolicLink(atPath: folder.file("files/Germany"), withDestinationPath: "Germany.pdf")
        let prepared = try RichLetterFixtures.prepared(template, csv: Self.csv)
        let message = try prepared.compose(try prepared.recipients[0], date: RichLetterFixtures.date)
        #expect(try EmailOracle.check(bytes: message.data).parts.last?.data == Array("the letter to Germany".utf8))

        let shared = Self.campaignFolder(attachment: "memo.txt")
        let elsewhere = TemporaryDirectory("herald-elsewhere")
        let outside = elsewhere.write("memo.txt", "a memorandum")
        try FileManager.default.createSymbolicLink(atPath: shared.folder.file("memo.txt"), withDestinationPath: outside)
        let named = try RichLetterFixtures.prepared(shared.template, csv: Self.csv)
        #expect(
            try named.compose(try named.recipients[0], date: RichLetterFixtures.date).data.count > 0,
            "a path without a field is the template author's choice, links included")
    }

    /// A file replaced by a link out after the check is refused when the letter is composed.
    @Test func aLinkSwappedInAfterTheCheckIsRefusedWhenComposing() throws {
        let (folder, template) = Self.campaignFolder()
        _ = folder.write("files/Germany", "fine")
        let prepared = try RichLetterFixtures.prepared(template, csv: Self.csv)
        let secret = folder.write("secret/shadow", "root:$6$secret")
        try FileManager.default.removeItem(atPath: folder.file("files/Germany"))
        try FileManager.default.createSymbolicLink(atPath: folder.file("files/Germany"), withDestinationPath: secret)
        #expect {
            _ = try prepared.compose(try prepared.recipients[0], date: RichLetterFixtures.date)
        } throws: { error in "\(error)".contains("list.csv:2: Attachment:") && "\(error)".contains("leads outside") }
    }

    /// The folder a field must stay in is the template's text up to the last `/` before the first field.
    @Test(
        arguments: [
            ("files/{{country}}.pdf", "files/"), ("{{country}}.pdf", ""), ("../shared/x-{{country}}/a.pdf", "../shared/"),
            ("memo.pdf", nil),
        ] as [(String, String?)])
    func theFolderBeforeTheFirstField(path: String, folder: String?) throws {
        let template = try LetterTemplate(source: "From: o@org.example\nTo: <{{email}}>\nSubject: s\nAttachment: \(path)\n\nHi\n", file: "t.txt")
        let recipient = try TestData.list("email,country\na@x.example,Germany\n").recipients[0]
        #expect(template.render(recipient).attachments.first?.folder == folder)
    }

    // MARK: File names

    /// A part's headers are within 78 octets a line, parse without a defect under Python's strict
    /// policy, and give back the file's name exactly.
    func roundTrip(_ name: String, sourceFile: String = #filePath, line: Int = #line) throws -> String {
        let (folder, template) = Self.campaignFolder(attachment: "files/\(name)")
        _ = folder.write("files/\(name)", "content of \(name)")
        let message = try RichLetterFixtures.letter(template, csv: Self.csv)
        let report = try EmailOracle.check(bytes: message.data)
        #expect(report.ok, "\(report.problems)")
        #expect(report.parts.last?.filename == name)
        #expect(report.parts.last?.data == Array("content of \(name)".utf8))
        return String(decoding: message.data, as: UTF8.self)
    }

    /// `abc` then `é`s: the old byte-wise cut fell between `%C3` and `%A9`.
    @Test func aLongUTF8NameIsCutOnlyBetweenCharacters() throws {
        let name = "abc" + String(repeating: "é", count: 30) + ".pdf"
        let text = try roundTrip(name)
        #expect(text.contains("filename*1*="))
        #expect(!text.contains("%C3;"), "no section ends inside a character")
        for section in AttachmentPart.percentEncodedSections(name, width: 56) {
            #expect(String(data: Data(String(decoding: section, as: UTF8.self).removingPercentEncoding!.utf8), encoding: .utf8) != nil)
        }
        for wide in ["𝄞", "中", "ü"] {
            let long = String(repeating: wide, count: 40) + ".txt"
            for section in AttachmentPart.percentEncodedSections(long, width: 56) {
                #expect(String(decoding: section, as: UTF8.self).removingPercentEncoding != nil, "each section is whole UTF-8")
            }
            _ = try roundTrip(long)
        }
    }

    /// A `.docx`'s media type is 71 characters: `Content-Type:` folds before it (the line was 86 octets).
    @Test func aLongMediaTypeIsFoldedWithin78Octets() throws {
        let text = try roundTrip("Memorandum.docx")
        #expect(text.contains("Content-Type:\r\n application/vnd.openxmlformats-officedocument.wordprocessingml.document;\r\n name=\"Memorandum.docx\""))
        let headers = String(decoding: AttachmentPart.headers(fileName: "Memorandum.docx", mediaType: MediaType.of(fileName: "Memorandum.docx")), as: UTF8.self)
        #expect(headers.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
    }

    /// A name that looks like an encoded-word is percent-encoded: it reads back as written, not as `evil.txt`.
    @Test(arguments: ["=?utf-8?q?evil?=.txt", "=?utf-8?b?ZXZpbA==?=.pdf", "report =?iso-8859-1?q?=E9?= 1999.txt"])
    func aNameHoldingAnEncodedWordReadsBackAsWritten(name: String) throws {
        let text = try roundTrip(name)
        #expect(text.contains("filename*"))
        #expect(!text.contains("\"=?"), "neither filename nor name is a quoted string holding an encoded-word")
        #expect(!AttachmentPart.asciiFallback(name).contains("=?"))
    }

    /// Random names (ASCII specials, `=?`, Latin, CJK, emoji, combining marks, long and short)
    /// as attachments of one message: Python's strict parser reads every one back exactly,
    /// without a defect, and no header line passes 78 octets.
    @Test(arguments: [1, 2, 3])
    func randomNamesReadBackExactly(seed: UInt64) throws {
        var generator = SplitMix(seed: seed)
        let alphabet: [String] = [
            "a", "Z", "0", " ", ".", "-", "_", "=", "?", "\"", "\\", "'", "%", "*", ";", "(", "é", "ß", "Ž",
            "中", "文", "😀", "𝄞", "\u{301}", "\u{200F}", "=?", "?=", "=?utf-8?q?x?=",
        ]
        var names: [String] = []
        for _ in 0..<40 {
            let count = Int(generator.next() % 70) + 1
            var name = (0..<count).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }.joined()
            if generator.next() % 2 == 0 { name += [".pdf", ".docx", ".txt", ""][Int(generator.next() % 4)] }
            names.append(name)
        }
        let letter = RenderedLetter(
            headers: [
                (name: "From", value: "o@org.example", line: 1), (name: "To", value: "a@x.example", line: 2),
                (name: "Subject", value: "names", line: 3),
            ], body: "Hi\n")
        let parts = names.enumerated().map { AttachmentPart(fileName: $0.element, bytes: Array("file \($0.offset)".utf8)) }
        let message = try MessageComposer.compose(letter, campaign: "c", recipientKey: "a@x.example", date: RichLetterFixtures.date, attachments: parts)
        let report = try EmailOracle.check(bytes: message.data)
        #expect(report.ok, "\(report.problems)")
        // Python's `get_filename` strips the spaces around a name (a reader's choice; the header carries them).
        let expected = names.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " ")) }
        for (read, name) in zip(report.parts.dropFirst().map(\.filename), expected) where read != name {
            let headers = String(decoding: AttachmentPart.headers(fileName: name, mediaType: "application/pdf"), as: UTF8.self)
            Issue.record("\(name.debugDescription) read back as \(read.debugDescription) from \(headers.debugDescription)")
        }
        #expect(report.parts.count == names.count + 1)
    }

    // MARK: Size

    /// The size as sent, computed from the file's size, is what encoding gives, so `validate`
    /// (which only stats) and `send` (which encodes) agree on the limit.
    @Test(arguments: [0, 1, 2, 3, 56, 57, 58, 113, 114, 1000, 57 * 4096 - 1, 57 * 4096, 57 * 4096 + 1])
    func theSizeAsSentIsComputedExactly(size: Int) {
        #expect(AttachmentStore.encodedSize(size) == Base64Lines.encode([UInt8](repeating: 7, count: size)).count)
    }

    /// A file read in chunks and encoded as read gives the bytes of encoding it whole.
    @Test(arguments: [0, 1, 57 * 4096 - 1, 57 * 4096, 57 * 4096 + 1, 3 * 57 * 4096 + 100])
    func aFileEncodedAsItIsReadMatchesEncodingItWhole(size: Int) throws {
        let folder = TemporaryDirectory("herald-attach")
        var generator = SplitMix(seed: UInt64(size))
        let bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let path = folder.file("data.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let part = try AttachmentStore().part(path)
        #expect(part.encoded == Base64Lines.encode(bytes))
        #expect(part.fileSize == size)
    }

    /// A sparse file of `size` bytes (no disk used).
    static func sparse(_ path: String, size: Int) {
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = FileHandle(forWritingAtPath: path)!
        try! handle.truncate(atOffset: UInt64(size))
        try! handle.close()
    }

    /// A file chosen by a field that makes a letter too heavy is refused on the row, named with
    /// its size, before anything is read.
    @Test func aLetterOverTheDefaultLimitIsRefusedOnTheRowWithoutReading() throws {
        let (folder, template) = Self.campaignFolder(attachment: "files/{{country}}.pdf")
        Self.sparse(folder.file("files/Germany.pdf"), size: 8 << 20)
        let csv = "email,country\nminister@x.example,Germany\nsmall@x.example,Small\n"
        _ = folder.write("files/Small.pdf", "small")
        #expect {
            _ = try RichLetterFixtures.prepared(template, csv: csv)
        } throws: { error in
            guard let failure = error as? ValidationFailure, failure.kind == .badData, failure.diagnostics.count == 1 else { return false }
            let text = failure.diagnostics[0].description
            return text.hasPrefix("list.csv:2: Attachment: the attachments come to 11479150 bytes as sent")
                && text.contains("\(folder.path)/files/Germany.pdf (8.0 MiB, 10.9 MiB as sent)")
                && text.contains("at most 10485760 bytes of attachments ([attachments] max_bytes_per_letter")
        }
    }

    /// A file every letter carries that is too large alone is said once, on the template's line.
    @Test func aSharedFileOverTheLimitIsReportedOnceOnTheTemplate() throws {
        let (folder, template) = Self.campaignFolder(attachment: "memo.pdf")
        Self.sparse(folder.file("memo.pdf"), size: 300 << 20)
        let csv = "email,country\n" + (1...50).map { "r\($0)@x.example,Germany" }.joined(separator: "\n")
        #expect {
            _ = try RichLetterFixtures.prepared(template, csv: csv)
        } throws: { error in
            (error as? ValidationFailure)?.diagnostics.map(\.description).count == 1
                && "\(error)".contains("\(template):4: Attachment: the attachments come to")
                && "\(error)".contains("memo.pdf (300.0 MiB, 410.5 MiB as sent)")
        }
    }

    /// The limit is the campaign's: exactly at it passes, one byte under refuses; several files add up.
    @Test func theCampaignsLimitCountsEveryFileOfTheLetter() throws {
        let folder = TemporaryDirectory("herald-attach")
        let template = folder.write(
            "letter.txt", "From: o@org.example\nTo: <{{email}}>\nSubject: s\nAttachment: a.txt\nAttachment: own/{{country}}.txt\n\nHi\n")
        _ = folder.write("a.txt", String(repeating: "a", count: 570))
        _ = folder.write("own/Germany.txt", String(repeating: "g", count: 57))
        let exact = AttachmentStore.encodedSize(570) + AttachmentStore.encodedSize(57)
        func prepared(limit: Int) throws -> PreparedCampaign {
            var campaign = TestData.campaign(name: "limit")
            campaign.templatePath = template
            campaign.maxAttachmentBytesPerLetter = limit
            return try PreparedCampaign.prepare(
                campaign: campaign, template: LetterTemplate(source: String(contentsOfFile: template, encoding: .utf8), file: template),
                lists: [TestData.list(Self.csv)], date: RichLetterFixtures.date)
        }
        let fits = try prepared(limit: exact)
        _ = try fits.compose(try fits.recipients[0], date: RichLetterFixtures.date)
        #expect(throws: ValidationFailure.self) { _ = try prepared(limit: exact - 1) }
        #expect { _ = try prepared(limit: exact - 1) } throws: { "\($0)".hasPrefix("list.csv:2: Attachment: the attachments come to \(exact) bytes") }

        // A file that grew past the limit after the check is refused when the letter is composed, not read.
        let grown = try prepared(limit: exact)
        _ = folder.write("own/Germany.txt", String(repeating: "g", count: 5000))
        #expect { _ = try grown.compose(try grown.recipients[0], date: RichLetterFixtures.date) } throws: { error in
            "\(error)".contains("list.csv:2: Attachment: the attachments come to \(AttachmentStore.encodedSize(570) + AttachmentStore.encodedSize(5000)) bytes")
                && "\(error)".contains("\(folder.path)/own/Germany.txt (4.9 KiB")
        }
        #expect(grown.attachmentStore.filesRead == 0)
    }

    @Test func theLimitIsACampaignKey() throws {
        let base = "name = \"c\"\ntemplate = \"t\"\nrecipients = [\"l.csv\"]\nlog = \"l.jsonl\"\n[smtp]\nurl = \"smtp://127.0.0.1:2525\"\n"
        #expect(try Campaign.parse(base, file: "c.toml").maxAttachmentBytesPerLetter == 10 << 20)
        #expect(try Campaign.parse(base + "[attachments]\nmax_bytes_per_letter = 2000000\n", file: "c.toml").maxAttachmentBytesPerLetter == 2_000_000)
        for bad in ["-1", "\"10 MB\"", "2000000000"] {
            #expect { _ = try Campaign.parse(base + "[attachments]\nmax_bytes_per_letter = \(bad)\n", file: "c.toml") } throws: { error in
                "\(error)".hasPrefix("c.toml:8: attachments.max_bytes_per_letter: must be a whole number of bytes")
            }
        }
        #expect { _ = try Campaign.parse(base + "[attachments]\nmax_size = 1\n", file: "c.toml") } throws: {
            "\($0)".contains("attachments.max_size: unknown key")
        }
    }

    @Test func checkWarnsWhenTheLimitIsNotBelowTheServersSize() {
        var campaign = TestData.campaign(name: "c")
        campaign.maxAttachmentBytesPerLetter = 10 << 20
        #expect(
            campaign.attachmentLimitWarning(serverSizeLimit: 5_000_000)?.contains(
                "max_bytes_per_letter is 10485760 bytes, not below the server's SIZE of 5000000") == true)
        #expect(campaign.attachmentLimitWarning(serverSizeLimit: 33_554_432) == nil)
        #expect(campaign.attachmentLimitWarning(serverSizeLimit: nil) == nil)
        #expect(campaign.attachmentLimitWarning(serverSizeLimit: 0) == nil)
    }
}
