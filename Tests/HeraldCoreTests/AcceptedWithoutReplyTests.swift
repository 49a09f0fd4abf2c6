import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// A transport that reports a letter accepted without the server's reply: the `sent` record
/// says no reply was captured, and carries no `smtp_code` or `smtp_reply` of its own making.
@Suite(.offCooperativePool) struct AcceptedWithoutReplyTests {
    @Test func theRecordSaysNoReplyWasCaptured() async throws {
        let journal = MemoryJournal()
        let prepared = try TestData.prepared("email,name\na@x.example,Ann\nb@x.example,Bo\n")
        let transport = ScriptedTransport(journal: journal, replies: ["a@x.example": [.accepted(code: nil, reply: nil)]])
        let dispatcher = CampaignDispatcher(
            prepared: prepared, ledger: DeliveryLedger(records: [], campaign: prepared.campaign.name),
            transport: transport, journal: journal, clock: SkippingClock())
        let report = try await dispatcher.run()
        #expect(report.sent == 2)
        #expect(journal.records.map(\.status) == [.sending, .sent, .sending, .sent])
        let bare = journal.records[1]
        #expect(bare.smtpCode == nil && bare.smtpReply == nil)
        #expect(bare.error == CampaignDispatcher.noReplyCaptured)
        #expect(bare.error == "no server reply to the end of the message was captured; the transport reported it accepted")
        let line = bare.jsonLine()
        #expect(!line.contains("smtp_code") && !line.contains("smtp_reply"), "\(line)")
        let replied = journal.records[3]
        #expect(replied.smtpCode == 250 && replied.smtpReply == "250 2.0.0 Ok: queued as 2" && replied.error == nil)
        #expect(DeliveryLedger(records: journal.records, campaign: prepared.campaign.name)["a@x.example"]?.isDone == true)
    }
}
