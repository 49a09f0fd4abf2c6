import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Recipient lists read from disk row by row: the same rows as a whole parse, and a list
/// edited between the check and the send is noticed at the changed row.
@Suite struct StreamedRecipientsTests {
    static let csv = "email,name\r\nann@x.example,Ann\r\nbo@x.example,\"Bo, \"\"the\"\" second\"\r\nann@X.example,Ann again\r\ncy@x.example,Cy\r\n"

    static func prepareFile(_ text: String, in folder: TemporaryDirectory, allowDuplicates: Bool = false) throws -> PreparedCampaign {
        let path = folder.write("list.csv", text)
        try RecipientReader.scan(file: path)
        var campaign = TestData.campaign()
        campaign.allowDuplicates = allowDuplicates
        return try PreparedCampaign.prepare(
            campaign: campaign, template: TestData.template(TestData.simpleTemplate),
            sources: [.file(path)], date: Date(timeIntervalSince1970: 0))
    }

    @Test func aFileReadsAsTheSameRowsAsAWholeParse() throws {
        let folder = TemporaryDirectory()
        let streamed = try Self.prepareFile(Self.csv, in: folder)
        let parsed = try TestData.prepared(Self.csv)
        #expect(streamed.recipientCount == 3 && parsed.recipientCount == 3)
        let fromFile = try streamed.recipients, fromText = try parsed.recipients
        #expect(fromFile.map(\.key) == fromText.map(\.key))
        #expect(fromFile.map(\.fields) == fromText.map(\.fields))
        #expect(fromFile.map(\.line) == [2, 3, 5])
        #expect(
            streamed.warnings.map(\.description)
                == parsed.warnings.map(\.description).map { $0.replacingOccurrences(of: "list.csv", with: folder.file("list.csv")) })
    }

    @Test func duplicatesAreNumberedWhenAllowed() throws {
        let folder = TemporaryDirectory()
        let prepared = try Self.prepareFile(Self.csv, in: folder, allowDuplicates: true)
        #expect(try prepared.recipients.map(\.key) == ["ann@x.example", "bo@x.example", "ann@x.example#2", "cy@x.example"])
    }

    @Test(arguments: [
        ("bo@x.example,\"Bo, \"\"the\"\" second\"", "bo@x.example,Bo the second", 3),  // a value edited
        ("cy@x.example,Cy\r\n", "", 5),  // the last row removed
        ("ann@x.example,Ann\r\n", "ann@x.example,Ann\r\nnew@x.example,New\r\n", 3),  // a row inserted
    ])
    func anEditAfterTheCheckIsNoticedAtTheChangedRow(old: String, new: String, line: Int) throws {
        let folder = TemporaryDirectory()
        let prepared = try Self.prepareFile(Self.csv, in: folder)
        _ = folder.write("list.csv", Self.csv.replacingOccurrences(of: old, with: new))
        var walked: [Int] = []
        do {
            try prepared.forEachRecipient {
                walked.append($0.line); return true
            }
            Issue.record("the edit went unnoticed")
        } catch {
            #expect(error.description.contains("the recipient list changed since the campaign was checked"))
            #expect(walked.allSatisfy { $0 < line }, "no row from the change on: \(walked)")
        }
    }

    @Test func aFileIsScannedForUTF8AndQuotesWithTheLine() {
        let folder = TemporaryDirectory()
        let latin1 = folder.file("latin1.csv")
        FileManager.default.createFile(atPath: latin1, contents: Data("email,name\nann@x.example,Ann\nb@x.example,Jos".utf8) + Data([0xE9, 0x0A]))
        #expect(throws: ValidationFailure.self) { try RecipientReader.scan(file: latin1) }
        do { try RecipientReader.scan(file: latin1) } catch {
            #expect(error.diagnostics.map(\.line) == [3])
            #expect(error.diagnostics.first?.message.contains("not valid UTF-8 (0xE9, \"é\" in Latin-1") == true, "\(error)")
        }
        let open = folder.write("open.csv", "email,name\nann@x.example,\"Ann\nbo@x.example,Bo\n")
        do { try RecipientReader.scan(file: open); Issue.record("an unterminated quote passed") } catch {
            #expect(error.diagnostics.map(\.line) == [2])
        }
        let bom = folder.write("bom.csv", "\u{FEFF}email,name\nann@x.example,Ann\n")
        #expect(throws: Never.self) { try RecipientReader.scan(file: bom) }
    }

    @Test func aPipeAsARecipientListIsRefusedNotReadTwice() throws {
        let folder = TemporaryDirectory()
        let fifo = folder.file("list.csv")
        #expect(mkfifo(fifo, 0o600) == 0)
        let campaign = folder.write(
            "campaign.toml",
            """
            name = "c"
            template = "\(folder.write("letter.mustache", TestData.simpleTemplate))"
            recipients = ["list.csv"]
            log = "log.jsonl"
            [smtp]
            url = "smtp://127.0.0.1:9"
            """)
        do {
            _ = try PreparedCampaign.load(campaignFile: campaign, date: Date(timeIntervalSince1970: 918_000_000))
            Issue.record("a pipe was accepted")
        } catch {
            #expect(
                error.diagnostics.map(\.message) == [
                    "\(fifo) is not a regular file (a pipe or a device?); Herald reads a recipient list twice, to check it and then to send, so save the list to a file"
                ])
        }
    }
}
