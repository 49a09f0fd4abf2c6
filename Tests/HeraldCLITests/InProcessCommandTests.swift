import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

@testable import HeraldCLI

/// The commands run in-process over the in-memory adapters (`InProcessHerald`): a whole
/// campaign's life — validate, preview, send, status, resolve, suppressed — with the journal
/// in memory, so no delivery log, lock or index file is written beside the campaign.
@Suite(.offCooperativePool) struct InProcessCommandTests {
    static func campaign(top: String = "", bounces: String = "") -> InProcessHerald {
        InProcessHerald(
            campaignText: """
                name = "inprocess"
                template = "letter.mustache"
                recipients = ["list.csv"]
                log = "delivery.jsonl"
                \(top)
                [retry]
                max_attempts = 2
                initial_backoff_seconds = 0
                max_backoff_seconds = 0
                [smtp]
                url = "smtp://127.0.0.1:2525"
                \(bounces)
                """,
            files: [
                "letter.mustache": "From: Sender <sender@org.example>\nTo: {{name}} <{{email}}>\nSubject: Hello {{name}}\n\nDear {{name}},\nBye.\n",
                "list.csv": "email,name\na@x.example,Ann\nb@x.example,Bob\nc@x.example,Cy\n",
            ])
    }

    /// The files beside the campaign: its inputs, and what a command wrote there.
    static func files(_ herald: InProcessHerald) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: herald.folder.path))
    }

    @Test func aCampaignIsValidatedSentShownAndResolvedWithTheJournalInMemory() async throws {
        let herald = Self.campaign()
        let validate = herald.validate()
        #expect(validate.status == 0 && validate.stdout.contains("ok: campaign inprocess, 3 recipients"), "\(validate)")

        let send = await herald.send()
        #expect(send.status == 0, "\(send)")
        #expect(send.stdout.contains("inprocess: 3 sent, 0 failed, 0 deferred, 0 in doubt, 0 already done"), "\(send)")
        let records = herald.journal().records
        #expect(records.filter { $0.status == .sent }.map(\.recipient).sorted() == ["a@x.example", "b@x.example", "c@x.example"], "\(records)")
        #expect(records.filter { $0.status == .sending }.count == 3 && records.first?.status == .sending, "each letter claimed first: \(records)")
        #expect(herald.journal().durable.count == records.count, "the end of the run is durable")
        #expect(!herald.journal().isLeased, "the lease is released when the command ends")
        // The Message-ID key beside the log is the campaign's secret, not the journal's (MessageIDKeyFile).
        #expect(try Self.files(herald) == ["campaign.toml", "letter.mustache", "list.csv", "delivery.jsonl.key"], "no log, lock or index file")

        let again = await herald.send()
        #expect(again.status == 0 && again.stdout.contains("0 sent, 0 failed, 0 deferred, 0 in doubt, 3 already done"), "\(again)")

        let status = herald.status(json: true)
        let object = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(object["sent"] as? Int == 3, "\(status)")
        let table = herald.status()
        #expect(
            table.status == 0 && table.stdout.contains("a@x.example") && !table.stdout.contains("log chain"),
            "a journal in memory has no chain to show: \(table)")

        let resolve = herald.resolve("a@x.example", as: .failed)
        #expect(resolve.status == 65 && resolve.stderr.contains("already recorded as sent"), "\(resolve)")
    }

    @Test func aLetterInDoubtIsResolvedInTheJournal() throws {
        let herald = Self.campaign()
        herald.seed([
            #"{"attempt":1,"campaign":"inprocess","message_id":"<m1@org.example>","recipient":"b@x.example","status":"sending","time":"2026-11-29T08:00:00Z"}"#
        ])
        let status = herald.status()
        #expect(status.stdout.contains("b@x.example"), "\(status)")
        let resolve = herald.resolve("B@x.example", as: .sent)
        #expect(resolve.status == 0 && resolve.stdout.contains("b@x.example <m1@org.example>: recorded as sent"), "\(resolve)")
        let last = try #require(herald.journal().durable.last)
        #expect(last.status == .sent && last.recipient == "b@x.example" && last.note?.contains("herald resolve") == true)
        #expect(last.time == "2026-11-29T09:00:00Z", "the parts' clock stamps it")
    }

    @Test func aJournalHeldByAnotherRunIs75ForSendAndResolve() async throws {
        let herald = Self.campaign()
        herald.seed([
            #"{"attempt":1,"campaign":"inprocess","message_id":"<m1@org.example>","recipient":"b@x.example","status":"sending","time":"2026-11-29T08:00:00Z"}"#
        ])
        let held = try herald.journal().lock(campaign: "inprocess", campaignFile: nil, environment: [:])
        let send = await herald.send()
        let resolve = herald.resolve("b@x.example", as: .sent)
        withExtendedLifetime(held) {}
        #expect(send.status == 75 && send.stderr.contains("is being sent by pid"), "\(send)")
        #expect(resolve.status == 75, "\(resolve)")
        #expect(herald.journal().records.count == 1, "nothing written")
    }

    @Test func aJournalOfAnotherCampaignIs65() async {
        let herald = Self.campaign()
        herald.seed([
            #"{"attempt":1,"campaign":"other","message_id":"<m1@org.example>","recipient":"b@x.example","status":"sent","time":"2026-11-29T08:00:00Z"}"#
        ])
        for result in [herald.validate(), await herald.send(), herald.status()] {
            #expect(result.status == 65 && result.stderr.contains("campaign other"), "\(result)")
        }
    }

    @Test func previewWritesTheLettersAndTouchesNoJournal() throws {
        let herald = Self.campaign()
        let preview = herald.preview(out: herald.folder.file("preview"))
        #expect(preview.status == 0 && preview.stdout.contains("3 messages written to"), "\(preview)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: herald.folder.file("preview")).filter { $0.hasSuffix(".eml") }.count == 3)
        #expect(herald.journal().records.isEmpty)
    }

    @Test func aSuppressedAddressInTheListInMemoryGetsNoLetter() async throws {
        let herald = Self.campaign(
            bounces: """
                [bounces]
                url = "imap://127.0.0.1:143/INBOX"
                username = "bounces"
                password_env = "HERALD_TEST_IMAP_PASSWORD"
                suppress = true
                """)
        try herald.suppressionList().add([
            SuppressionList.Entry(
                address: "B@x.example", time: "2026-11-28T10:00:00Z", campaign: "earlier",
                dsnStatus: "5.1.1", diagnostic: "smtp; 550 5.1.1")
        ])
        let send = await herald.send()
        #expect(send.status == 0 && send.stdout.contains("2 sent") && send.stdout.contains("1 suppressed"), "\(send)")
        #expect(send.stderr.contains("suppressed: b@x.example: a permanent bounce put it on \(herald.suppressionList().location)"), "\(send)")
        #expect(!herald.journal().records.contains { $0.recipient == "b@x.example" })
        let list = herald.suppressedList()
        #expect(list.status == 0 && list.stdout.contains("b@x.example"), "\(list)")
        #expect(herald.suppressedRemove("b@x.example").status == 0)
        let second = await herald.send()
        #expect(second.status == 0 && second.stdout.contains("1 sent"), "\(second)")
    }
}
