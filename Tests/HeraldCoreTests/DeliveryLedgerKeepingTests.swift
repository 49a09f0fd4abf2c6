import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// A `.decisions` ledger (hashes, state, attempts; details only of letters not done) decides as
/// the `.everything` ledger does: the same state and attempts for every recipient, and the same
/// Message-ID, row fingerprint and time for every letter not done; a `.table` ledger shows what
/// the full one shows but a done letter's Message-ID.
@Suite struct DeliveryLedgerKeepingTests {
    @Test func decidesAsTheFullLedgerOnRandomHistories() {
        var random = SplitMix(seed: 19)
        let recipients = (0..<40).map { "r\($0)@x.example" }
        for _ in 0..<200 {
            var full = DeliveryLedger(campaign: "c"), compact = DeliveryLedger(campaign: "c", keeping: .decisions)
            var table = DeliveryLedger(campaign: "c", keeping: .table)
            for step in 0..<random.int(0...120) {
                let recipient = random.pick(recipients)
                let status = random.pick(DeliveryStatus.allCases)
                let bounce =
                    status == .bounced || status == .delayed
                    ? BounceFields(dsnStatus: "5.1.1", dsnRecipient: random.chance(30) ? "cc@x.example" : nil) : nil
                let record = DeliveryRecord(
                    time: "t\(step)", campaign: "c", recipient: recipient, messageID: "<\(step)@x>",
                    status: status, attempt: random.int(0...5), error: "e\(step)",
                    templateSHA256: random.chance(50) ? "tpl\(step)" : nil,
                    rowSHA256: random.chance(50) ? "row\(step)" : nil, bounce: bounce)
                full.apply(record)
                compact.apply(record)
                table.apply(record)
            }
            #expect(full.count == compact.count && full.template == compact.template && full.isEmpty == compact.isEmpty)
            for recipient in recipients {
                let a = full[recipient], b = compact[recipient]
                #expect(a?.status == b?.status && a?.attempts == b?.attempts && a?.isDone == b?.isDone && a?.isInDoubt == b?.isInDoubt)
                if let a, !a.isDone {
                    #expect(a.messageID == b?.messageID && a.firstRow == b?.firstRow && a.time == b?.time && a.reply == b?.reply)
                }
                // The table's ledger differs from the full one only by a done letter's Message-ID.
                var shown = a, inTable = table[recipient]
                if a?.isDone == true {
                    shown?.messageID = ""
                    inTable?.messageID = ""
                }
                #expect(inTable == shown)
            }
            for status in DeliveryStatus.allCases {
                #expect(full.count { $0 == status } == compact.count { $0 == status })
            }
            #expect(Set(full.recipients) == Set(recipients.filter { full[$0] != nil }) && compact.recipients.isEmpty)
        }
    }

    /// The compact ledger keeps no full entry for a done letter: its size is its hash and state.
    @Test func aDoneLetterKeepsOnlyItsState() {
        var ledger = DeliveryLedger(campaign: "c", keeping: .decisions)
        ledger.apply(
            DeliveryRecord(
                time: "t1", campaign: "c", recipient: "a@x.example", messageID: "<1@x>", status: .sending,
                attempt: 1, rowSHA256: "row"))
        #expect(ledger["a@x.example"]?.messageID == "<1@x>" && ledger["a@x.example"]?.firstRow?.sha256 == "row")
        ledger.apply(
            DeliveryRecord(
                time: "t2", campaign: "c", recipient: "a@x.example", messageID: "<1@x>", status: .sent,
                attempt: 1, smtpReply: "250 ok"))
        #expect(ledger["a@x.example"] == DeliveryLedger.Entry(status: .sent, attempts: 1))
        #expect(ledger["b@x.example"] == nil)
    }

    /// The review's break: an address recorded in NFC and listed again in NFD (a list re-saved on
    /// macOS) is one recipient, as `String` equality and the list's duplicate check say, in
    /// every keeping; before, the hashed ledger keyed on UTF-8 bytes and a second letter went.
    @Test(arguments: [DeliveryLedger.Keeping.decisions, .table, .everything])
    func canonicallyEquivalentKeysAreOneRecipient(keeping: DeliveryLedger.Keeping) {
        let nfc = "minist\u{E8}re@gov.example"
        let nfd = "ministe\u{300}re@gov.example"
        #expect(nfc == nfd && Array(nfc.utf8) != Array(nfd.utf8), "the two forms differ in bytes, not as strings")
        var ledger = DeliveryLedger(campaign: "c", keeping: keeping)
        ledger.apply(
            DeliveryRecord(
                time: "t1", campaign: "c", recipient: nfc, messageID: "<1@x>", status: .sending, attempt: 1))
        ledger.apply(
            DeliveryRecord(
                time: "t2", campaign: "c", recipient: nfc, messageID: "<1@x>", status: .sent, attempt: 1,
                smtpReply: "250 ok"))
        #expect(ledger[nfd]?.isDone == true, "the NFD form finds the NFC form's letter done")
        #expect(ledger[nfd]?.status == .sent)
    }
}
