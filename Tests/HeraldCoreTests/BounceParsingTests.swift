import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// `BounceMessage` and `BounceAttribution` on the fixture corpus: each message's kind,
/// report and letter, in LF and CRLF form; auto-replies, strangers and other campaigns' bounces
/// are never counted.
@Suite struct BounceParsingTests {
    @Test func theCorpusIsComplete() {
        #expect(Set(BounceFixtures.names) == Set(BounceFixtures.expected.keys))
    }

    @Test(arguments: [false, true])
    func eachFixtureIsReadAsExpected(crlf: Bool) throws {
        let attribution = BounceAttribution(campaign: BounceFixtures.campaign, records: BounceFixtures.sentRecords)
        for name in BounceFixtures.names {
            let expected = try #require(BounceFixtures.expected[name])
            let bounce = BounceMessage(bytes: try BounceFixtures.bytes(name, crlf: crlf))
            #expect(bounce.kind == expected.kind, "\(name)")
            let report = bounce.failures.first
            #expect(report?.outcome == expected.outcome, "\(name)")
            #expect(report?.status == expected.status, "\(name)")
            #expect(report?.finalRecipient == expected.finalRecipient, "\(name)")
            if expected.outcome != nil {
                #expect(report?.remoteMTA == expected.remoteMTA, "\(name)")
                #expect(report?.diagnosticCode == expected.diagnostic, "\(name)")
            }
            let decision = attribution.decide(bounce, at: MailboxPosition(uidValidity: 7, uid: 1), verp: false, time: "2026-11-29T12:00:00Z")
            if let letter = expected.letter {
                guard case .record(let records, let clue) = decision, let record = records.first else {
                    Issue.record("\(name): \(decision)")
                    continue
                }
                #expect(record.recipient == letter && clue == expected.clue, "\(name)")
                #expect(record.status == (expected.outcome == .bounced ? .bounced : .delayed), "\(name)")
                #expect(record.messageID == BounceFixtures.messageID(BounceFixtures.letters.first { $0.recipient == letter }!.token))
                #expect(record.dsnStatus == expected.status && record.bounceMessageID == bounce.messageID && record.bounceDate == bounce.date)
                #expect(record.imapUIDValidity == 7 && record.imapUID == 1 && record.attempt == 1)
            } else {
                guard case .leave = decision else {
                    Issue.record("\(name) must be left alone: \(decision)")
                    continue
                }
            }
        }
    }

    @Test func aReportWithoutReturnedHeadersIsAttributedByVERPOnlyWhenVERPIsOn() throws {
        let attribution = BounceAttribution(campaign: BounceFixtures.campaign, records: BounceFixtures.sentRecords)
        let bounce = BounceMessage(bytes: try BounceFixtures.bytes("no-headers-verp.eml"))
        guard case .leave(let reason) = attribution.decide(bounce, at: nil, verp: false, time: "t") else {
            Issue.record("attributed with VERP off")
            return
        }
        #expect(reason.contains("VERP is off"))
        guard case .record(let records, let clue) = attribution.decide(bounce, at: nil, verp: true, time: "t"), let record = records.first else {
            Issue.record("not attributed with VERP on")
            return
        }
        #expect(record.recipient == "registry@parliament.gov.example" && clue == .verp && record.status == .bounced)
    }

    @Test func autoRepliesAndStrangersAreLeftWithTheirReason() throws {
        let attribution = BounceAttribution(campaign: BounceFixtures.campaign, records: BounceFixtures.sentRecords)
        let cases = [
            "auto-reply.eml": "auto-reply", "unrelated.eml": "not a delivery report",
            "other-campaign.eml": "no letter of campaign \"eu-china-dialogue\" has Message-ID <d3a09f8b1e6c4f7d8b2a5e4c0f9d6b1a.herald@amnesty.example>",
        ]
        for (name, words) in cases {
            let decision = attribution.decide(BounceMessage(bytes: try BounceFixtures.bytes(name)), at: nil, verp: true, time: "t")
            guard case .leave(let reason) = decision else {
                Issue.record("\(name): \(decision)")
                continue
            }
            #expect(reason.contains(words), "\(name): \(reason)")
        }
    }

    @Test func aRecordedReportIsNotRecordedAgainByPositionOrByItsMessageID() throws {
        var attribution = BounceAttribution(campaign: BounceFixtures.campaign, records: BounceFixtures.sentRecords)
        let bounce = BounceMessage(bytes: try BounceFixtures.bytes("postfix-hard.eml"))
        let position = MailboxPosition(uidValidity: 9, uid: 4)
        guard case .record(let records, _) = attribution.decide(bounce, at: position, verp: false, time: "t"), let record = records.first else {
            Issue.record("not recorded")
            return
        }
        // The record goes through the log's own encoding, as after a crash it is read back.
        attribution.apply(try #require(DeliveryRecord.parse(line: record.jsonLine())))
        #expect(attribution.decide(bounce, at: position, verp: false, time: "t") == .alreadyRecorded(recipient: "secretary@justice.gov.example"))
        // A copy at another UID (or after UIDVALIDITY changed) is known by its own Message-ID.
        #expect(
            attribution.decide(bounce, at: MailboxPosition(uidValidity: 10, uid: 1), verp: false, time: "t")
                == .alreadyRecorded(recipient: "secretary@justice.gov.example"))
    }

    @Test func theVacationMarkersWinOverBounceLikeText() throws {
        let bounce = BounceMessage(bytes: try BounceFixtures.bytes("auto-reply.eml"))
        #expect(bounce.kind == .autoReply)
        #expect(bounce.autoReplySigns.contains("X-Autoreply: yes"))
        #expect(bounce.autoReplySigns.contains { $0.hasPrefix("Subject: Automatic reply") })
        // Auto-Submitted alone (MTAs put it on their reports) does not stop a report from counting.
        #expect(BounceMessage(bytes: try BounceFixtures.bytes("postfix-hard.eml")).kind == .deliveryReport)
    }

    @Test func aReportAboutALetterWithAVacationSubjectIsStillAReport() throws {
        for name in ["exchange-ndr.eml", "exim-failed.eml"] {
            let text = String(decoding: try BounceFixtures.bytes(name), as: UTF8.self)
                .replacingOccurrences(of: "Subject: Undeliverable: Open letter on the EU-China dialogue", with: "Subject: Undeliverable: Out of office rota")
                .replacingOccurrences(of: "Subject: Mail delivery failed: returning message to sender", with: "Subject: Mail delivery failed: Vacation notice")
            let bounce = BounceMessage(bytes: Array(text.utf8))
            #expect(bounce.autoReplySigns.contains { $0.hasPrefix("Subject:") }, "\(name)")
            #expect(bounce.kind != .autoReply && !bounce.failures.isEmpty, "\(name): \(bounce.kind)")
        }
    }

    @Test func aPersonsMessageAboutAFailedDeliveryIsNoBounce() {
        let text = "From: desk@ministry.example\nSubject: delivery failed?\nIn-Reply-To: <x@y>\n\nYour mail could not be delivered: 550 5.1.1, they said.\n"
        #expect(BounceMessage(bytes: Array(text.utf8)).kind == .other)
    }

    @Test func aReportOnACcLeavesTheRowsStateAlone() {
        var ledger = DeliveryLedger(records: BounceFixtures.sentRecords, campaign: BounceFixtures.campaign)
        let row = "minister@foreign.ministry.example"
        var record = DeliveryRecord(
            time: "t2", campaign: BounceFixtures.campaign, recipient: row, messageID: "<m>", status: .bounced, attempt: 1,
            bounce: BounceFields(dsnStatus: "5.1.1", dsnRecipient: "cc@foreign.ministry.example"))
        ledger.apply(record)
        #expect(ledger[row]?.status == .sent)
        record.dsnRecipient = row
        ledger.apply(record)
        #expect(ledger[row]?.status == .bounced && ledger[row]?.isDone == true && ledger[row]?.attempts == 1)
        // A later delay does not undo a permanent bounce.
        record.status = .delayed
        ledger.apply(record)
        #expect(ledger[row]?.status == .bounced)
    }

    @Test func enhancedCodesAreFoundAloneNotInsideDatesOrVersions() {
        #expect(TextBounce.enhancedCode(in: "550 5.1.1 unknown") == "5.1.1")
        #expect(TextBounce.enhancedCode(in: "<host #4.4.7 smtp;>") == "4.4.7")
        #expect(TextBounce.enhancedCode(in: "Sent: 4.12.2026 10:18") == nil)
        #expect(TextBounce.enhancedCode(in: "version 15.2.1258.12") == nil)
        #expect(TextBounce.enhancedCode(in: "5.1.10 RESOLVER") == "5.1.10")
    }

    @Test func verpAddressesMapBackToTheLettersMessageID() {
        let id = BounceFixtures.messageID("c29f8e7a0d5b4e6c9a1f4d3b9e8c5a09")
        #expect(VERP.address(base: "bounces@amnesty.example", messageID: id) == "bounces+c29f8e7a0d5b4e6c9a1f4d3b9e8c5a09@amnesty.example")
        #expect(VERP.token(inAddress: "bounces+c29f8e7a0d5b4e6c9a1f4d3b9e8c5a09@amnesty.example") == "c29f8e7a0d5b4e6c9a1f4d3b9e8c5a09")
        #expect(VERP.token(inAddress: "bounces+nothex@amnesty.example") == nil)
        #expect(VERP.address(base: "bounces@amnesty.example", messageID: "<other@x>") == nil)
    }

    /// Any bytes give a value: every prefix of every fixture (a message cut anywhere, inside a
    /// header, a boundary, a delivery-status group or an encoded word), and random bytes.
    @Test func truncatedAndRandomInputNeverTraps() throws {
        let attribution = BounceAttribution(campaign: BounceFixtures.campaign, records: BounceFixtures.sentRecords)
        for name in BounceFixtures.names {
            let bytes = try BounceFixtures.bytes(name, crlf: true)
            for end in stride(from: 0, to: bytes.count, by: 3) {
                let bounce = BounceMessage(bytes: bytes[..<end])
                _ = attribution.decide(bounce, at: nil, verp: true, time: "t")
            }
        }
        var random = SplitMix(seed: 13)
        let alphabet = Array("=?:;<>@.#-\r\n \t\"boundary5.1.1 550Content-Type: multipart/report;".utf8) + [0x00, 0xFF, 0xC3]
        for _ in 0..<2_000 {
            let bytes = (0..<random.int(0...400)).map { _ in random.pick(alphabet) }
            _ = BounceMessage(bytes: bytes)
        }
    }
}
