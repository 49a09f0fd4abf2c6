import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// The pipeline copies what the transport attests about an accepted letter (the hash of the
/// bytes it handed over, the TLS) into that letter's `sent` record, and nowhere else.
@Suite(.offCooperativePool) struct HandOverProofTests {
    /// One connection's transport that attests every accepted hand-over.
    final class AttestingTransport: MailTransport {
        let scripted: ScriptedTransport
        private(set) var lastHandOver: HandOverProof?

        init(_ scripted: ScriptedTransport) { self.scripted = scripted }

        func deliver(_ message: ComposedMessage) async -> DeliveryOutcome {
            let outcome = await scripted.deliver(message)
            if case .accepted = outcome {
                lastHandOver = HandOverProof(messageSHA256: SHA256.hex(message.data), tlsVersion: "TLSv1.3", tlsCipher: "TLS_TEST")
            } else {
                lastHandOver = nil
            }
            return outcome
        }
    }

    @Test func theSentRecordCarriesTheTransportsProof() async throws {
        let journal = MemoryJournal()
        let scripted = ScriptedTransport(journal: journal, replies: ["r2@x.example": [.rejected(code: 550, reply: "550 no")]])
        let prepared = try TestData.prepared("email,name\nr1@x.example,A\nr2@x.example,B\nr3@x.example,C\n")
        let dispatcher = CampaignDispatcher(
            prepared: prepared, ledger: DeliveryLedger(records: [], campaign: prepared.campaign.name),
            transports: [AttestingTransport(scripted)], journal: journal,
            clock: SkippingClock(), random: { 0.5 })
        let report = try await dispatcher.run()
        #expect(report.sent == 2 && report.failed == 1)
        let handed = Dictionary(uniqueKeysWithValues: scripted.delivered.map { ($0.messageID, $0.data) })
        for record in journal.records {
            if record.status == .sent {
                #expect(record.messageSHA256 == SHA256.hex(try #require(handed[record.messageID])), "\(record.recipient)")
                #expect(record.tlsVersion == "TLSv1.3" && record.tlsCipher == "TLS_TEST")
            } else {
                #expect(record.messageSHA256 == nil && record.tlsVersion == nil && record.tlsCipher == nil, "\(record.status) \(record.recipient)")
            }
        }
        #expect(journal.records.filter { $0.status == .sent }.count == 2)
    }
}
