import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

@testable import HeraldCLI

/// `CampaignStatus`: each recipient's state from the log, as `herald status` prints it.
@Suite(.offCooperativePool) struct CampaignStatusTests {
    static let csv = "email,name\na@x.example,Ann\nb@x.example,Bob\nc@x.example,Cy\nd@x.example,Di\ne@x.example,Ed\n"

    static func record(
        _ recipient: String, _ status: DeliveryStatus, attempt: Int = 1, time: String = "2026-11-29T09:00:00Z",
        reply: String? = nil, error: String? = nil, campaign: String = "app-test"
    ) -> DeliveryRecord {
        DeliveryRecord(
            time: time, campaign: campaign, recipient: recipient, messageID: "<\(recipient.prefix(1))@org.example>",
            status: status, attempt: attempt, smtpReply: reply, error: error)
    }

    /// a sent, b failed, c deferred twice, d in doubt, e pending.
    static let records = [
        record("a@x.example", .sending), record("a@x.example", .sent, reply: "250 2.0.0 Ok: queued as 1"),
        record("b@x.example", .sending), record("b@x.example", .failed, reply: "550 5.1.1 unknown user"),
        record("c@x.example", .sending), record("c@x.example", .deferred, error: "Couldn't connect to server"),
        record("c@x.example", .sending, attempt: 2, time: "2026-11-29T09:00:02Z"),
        record("c@x.example", .deferred, attempt: 2, time: "2026-11-29T09:00:02Z", reply: "451 4.3.0 later"),
        record("d@x.example", .sending, time: "2026-11-29T09:00:03Z"),
        record("e@x.example", .sent, campaign: "another-campaign"),
    ]

    static func status(_ records: [DeliveryRecord] = records) throws -> CampaignStatus {
        let harness = ApplicationHarness(csv: csv)
        let prepared = try PreparedCampaign.load(campaignFile: harness.campaign, date: ApplicationHarness.now)
        return try CampaignStatus(prepared: prepared, ledger: DeliveryLedger(records: records, campaign: "app-test"))
    }

    @Test func eachRecipientInTheListsOrderWithItsState() async throws {
        let status = try Self.status()
        #expect(status.campaign == "app-test")
        #expect(status.rows.map(\.recipient) == ["a@x.example", "b@x.example", "c@x.example", "d@x.example", "e@x.example"])
        #expect(status.rows.map(\.state) == [.sent, .failed, .deferred, .inDoubt, .pending])
        #expect(status.rows.map(\.attempts) == [1, 1, 2, 1, 0])
        #expect(status.rows.map(\.detail) == ["250 2.0.0 Ok: queued as 1", "550 5.1.1 unknown user", "451 4.3.0 later", "<d@org.example>", ""])
        #expect(status.count(.pending) == 1 && status.count(.deferred) == 1)
    }

    @Test func theTable() async throws {
        let lines = try Self.status().table().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(
            lines == [
                "RECIPIENT    STATUS    ATTEMPTS  TIME                  LAST REPLY",
                "a@x.example  sent             1  2026-11-29T09:00:00Z  250 2.0.0 Ok: queued as 1",
                "b@x.example  failed           1  2026-11-29T09:00:00Z  550 5.1.1 unknown user",
                "c@x.example  deferred         2  2026-11-29T09:00:02Z  451 4.3.0 later",
                "d@x.example  in doubt         1  2026-11-29T09:00:03Z  <d@org.example>",
                // A pending row has no time and no reply: the time column is padded, the last is not.
                "e@x.example  pending          0  " + String(repeating: " ", count: 20) + "  ",
            ])
    }

    @Test func theSummaryLine() async throws {
        #expect(try Self.status().line() == "app-test: 5 recipients: 1 sent, 1 failed, 1 deferred, 1 in doubt, 1 pending")
    }

    @Test func aBouncedAndADelayedLetterShowTheirReport() async throws {
        var bounced = Self.record("a@x.example", .bounced, time: "2026-11-29T11:00:00Z")
        bounced.bounce = BounceFields(
            dsnStatus: "5.1.1", dsnRecipient: "a@x.example", diagnosticCode: "smtp; 550 5.1.1 unknown",
            remoteMTA: "mx.x.example", bounceMessageID: "<dsn@mx>", imapUIDValidity: 1, imapUID: 3)
        var delayed = Self.record("b@x.example", .delayed, time: "2026-11-29T11:00:01Z")
        delayed.bounce = BounceFields(dsnStatus: "4.2.2", diagnosticCode: "smtp; 452 4.2.2 full")
        let records = [
            Self.record("a@x.example", .sending), Self.record("a@x.example", .sent, reply: "250 ok"),
            Self.record("b@x.example", .sending), Self.record("b@x.example", .sent, reply: "250 ok"), bounced, delayed,
        ]
        let status = try Self.status(records)
        #expect(status.rows.map(\.state) == [.bounced, .delayed, .pending, .pending, .pending])
        #expect(status.rows[0].detail == "5.1.1 smtp; 550 5.1.1 unknown (mx.x.example)")
        #expect(status.rows[0].attempts == 1 && status.rows[0].time == "2026-11-29T11:00:00Z")
        #expect(status.line() == "app-test: 5 recipients: 0 sent, 0 failed, 0 deferred, 0 in doubt, 3 pending; after sending: 1 bounced, 1 delayed")
        #expect(
            status.json()
                == #"{"bounced":1,"campaign":"app-test","deferred":0,"delayed":1,"failed":0,"in_doubt":0,"pending":3,"sent":0,"suppressed":0,"total":5}"#)
    }

    @Test func theJSONObjectIsAContractForScripts() async throws {
        #expect(
            try Self.status().json()
                == #"{"bounced":0,"campaign":"app-test","deferred":1,"delayed":0,"failed":1,"in_doubt":1,"pending":1,"sent":1,"suppressed":0,"total":5}"#)
        let empty = try Self.status([])
        #expect(
            empty.json()
                == #"{"bounced":0,"campaign":"app-test","deferred":0,"delayed":0,"failed":0,"in_doubt":0,"pending":5,"sent":0,"suppressed":0,"total":5}"#)
        let object = try JSONSerialization.jsonObject(with: Data(empty.json().utf8)) as? [String: Any]
        #expect(
            Set(object?.keys.map { $0 } ?? []) == [
                "campaign", "total", "sent", "failed", "deferred", "pending", "in_doubt", "bounced", "delayed", "suppressed",
            ])
    }

    /// A row `send` skips because its address is on the suppression list is `suppressed`, not
    /// `pending` (a script waiting for `pending == 0` ends); a sent or in-doubt row keeps its state.
    @Test func aRowOnTheSuppressionListIsSuppressedNotPending() async throws {
        let harness = ApplicationHarness(csv: Self.csv)
        let prepared = try PreparedCampaign.load(campaignFile: harness.campaign, date: ApplicationHarness.now)
        let ledger = DeliveryLedger(records: Self.records, campaign: "app-test")
        let suppressed: Set<String> = ["a@x.example", "c@x.example", "d@x.example", "e@x.example"]
        let status = try CampaignStatus(prepared: prepared, ledger: ledger, suppressed: suppressed)
        #expect(status.rows.map(\.state) == [.sent, .failed, .suppressed, .inDoubt, .suppressed])
        #expect(
            status.json()
                == #"{"bounced":0,"campaign":"app-test","deferred":0,"delayed":0,"failed":1,"in_doubt":1,"pending":0,"sent":1,"suppressed":2,"total":5}"#)
        #expect(
            status.line() == "app-test: 5 recipients: 1 sent, 1 failed, 0 deferred, 1 in doubt, 0 pending, 2 suppressed (not sent: on the suppression list)")
        #expect(status.table().contains("e@x.example  suppressed"))
    }

    /// A report about a Cc leaves the row `sent` and is shown beside it, as a refused Cc is.
    @Test func aBouncedCcIsShownBesideItsRow() async throws {
        var cc = Self.record("a@x.example", .bounced, time: "2026-11-29T11:00:00Z")
        cc.bounce = BounceFields(dsnStatus: "5.1.1", dsnRecipient: "cc@x.example", diagnosticCode: "smtp; 550 5.1.1 unknown", remoteMTA: "mx.x.example")
        let status = try Self.status([Self.record("a@x.example", .sending), Self.record("a@x.example", .sent, reply: "250 ok"), cc])
        #expect(status.rows[0].state == .sent)
        #expect(status.rows[0].detail == "250 ok; bounced cc@x.example: 5.1.1 smtp; 550 5.1.1 unknown (mx.x.example)")
        #expect(status.line().hasSuffix("; 1 with a report on a Cc or Bcc"))
    }

    /// Outside text in a cell (a report's diagnostic) reaches the table with its escapes visible.
    @Test func theTableShowsControlCharactersOfOutsideText() async throws {
        var bounced = Self.record("a@x.example", .bounced)
        bounced.bounce = BounceFields(dsnStatus: "5.1.1", dsnRecipient: "a@x.example", diagnosticCode: "smtp; 550 \u{1B}]0;owned\u{07}\u{1B}[2J\u{202E}x")
        let table = try Self.status([Self.record("a@x.example", .sent), bounced]).table()
        #expect(!table.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E })
        #expect(table.contains(#"smtp; 550 \u001B]0;owned\u0007\u001B[2J\u202Ex"#))
    }

    @Test func aDeferredRecordWithoutAReplyShowsItsError() async throws {
        let status = try Self.status([Self.record("a@x.example", .deferred, error: "Couldn't connect to server")])
        #expect(status.rows[0].detail == "Couldn't connect to server")
    }
}
