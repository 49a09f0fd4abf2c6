import Foundation
import Testing

@testable import HeraldCore

/// A delivery report counts only for an address the letter went to (its logged envelope, less
/// refused addresses): a report carrying a real Message-ID but a stranger's `Final-Recipient`
/// is left as unattributed, and only a permanent failure of the row's own address puts an
/// address on the suppression list.
@Suite struct BounceEnvelopeTests {
    static let campaign = "eu-china-dialogue"
    static let row = "minister@foreign.ministry.example"
    static let cc = "archive@amnesty.example"
    static let messageID = "<4a1f0c9e2d7b4c8a9e3f6b5d1c0a7e21.herald@amnesty.example>"

    /// An intent and a `sent` record for one letter to `row`, Cc `cc`, as the dispatcher logs them.
    static func records(envelope: [String]? = [row, cc], refused: [DeliveryOutcome.Refusal]? = nil) -> [DeliveryRecord] {
        [
            DeliveryRecord(
                time: "2026-11-29T09:00:00Z", campaign: campaign, recipient: row, messageID: messageID, status: .sending,
                attempt: 1, envelope: envelope),
            DeliveryRecord(
                time: "2026-11-29T09:00:01Z", campaign: campaign, recipient: row, messageID: messageID, status: .sent,
                attempt: 1, smtpCode: 250, smtpReply: "250 2.0.0 Ok", envelope: envelope, refused: refused),
        ]
    }

    /// An RFC 3464 report returning the letter's headers, with one group per (final, original) pair.
    static func report(_ groups: [(final: String?, original: String?)], status: String = "5.1.1") -> BounceMessage {
        let perRecipient = groups.map { group in
            [
                group.original.map { "Original-Recipient: rfc822;\($0)" }, group.final.map { "Final-Recipient: rfc822; \($0)" },
                "Action: \(status.hasPrefix("5") ? "failed" : "delayed")", "Status: \(status)",
                "Diagnostic-Code: smtp; 550 \(status) unknown user",
            ].compactMap { $0 }.joined(separator: "\n")
        }.joined(separator: "\n\n")
        let text = """
            From: Mail Delivery System <MAILER-DAEMON@mx.example>
            To: press@amnesty.example
            Subject: Undelivered Mail Returned to Sender
            Message-ID: <report-1@mx.example>
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="B"

            --B
            Content-Type: text/plain

            Your message could not be delivered.

            --B
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example

            \(perRecipient)

            --B
            Content-Type: text/rfc822-headers

            From: Press <press@amnesty.example>
            Message-ID: \(messageID)
            Subject: Open letter

            --B--

            """
        return BounceMessage(bytes: Array(text.utf8))
    }

    static func decide(_ bounce: BounceMessage, records: [DeliveryRecord] = records()) -> BounceAttribution.Decision {
        BounceAttribution(campaign: campaign, records: records).decide(bounce, at: MailboxPosition(uidValidity: 1, uid: 5), verp: false, time: "t")
    }

    @Test func aReportAboutAStrangerWithARealMessageIDIsLeftUnattributed() {
        let decision = Self.decide(Self.report([("secretary@justice.gov.example", nil)]))
        guard case .leave(let reason) = decision else {
            Issue.record("a forged report was counted: \(decision)")
            return
        }
        #expect(reason.hasPrefix("unattributed:") && reason.contains("secretary@justice.gov.example") && reason.contains(Self.messageID), "\(reason)")
    }

    @Test func anOriginalRecipientOutsideTheEnvelopeIsNoBetter() {
        guard case .leave(let reason) = Self.decide(Self.report([("victim@elsewhere.example", "victim@elsewhere.example")])) else {
            Issue.record("counted")
            return
        }
        #expect(reason.hasPrefix("unattributed:"))
    }

    @Test func aForwardIsTiedByItsOriginalRecipientToTheEnvelopeAddress() {
        guard case .record(let records, _) = Self.decide(Self.report([("minister@home.example", Self.row.uppercased())])), let record = records.first else {
            Issue.record("a forwarded address's report was not counted")
            return
        }
        #expect(record.recipient == Self.row && record.dsnRecipient == Self.row && record.status == .bounced)
        #expect(SuppressionList.Entry(permanentBounce: record)?.address == Self.row)
    }

    @Test func aForgedOriginalRecipientNeverSuppressesTheFinalOne() {
        // Original-Recipient is the row (in the envelope), Final-Recipient a stranger: the
        // report is about the row's address, and only that address can be suppressed.
        guard case .record(let records, _) = Self.decide(Self.report([("victim@elsewhere.example", Self.row)])), let record = records.first else {
            Issue.record("not counted")
            return
        }
        #expect(record.dsnRecipient == Self.row)
        #expect(SuppressionList.Entry(permanentBounce: record)?.address == Self.row)
    }

    @Test func aMixedReportCountsOnlyItsEnvelopeAddress() {
        guard case .record(let records, _) = Self.decide(Self.report([("victim@elsewhere.example", nil), (Self.row, nil)])), let record = records.first else {
            Issue.record("not counted")
            return
        }
        #expect(record.dsnRecipient == Self.row)
    }

    @Test func aCcOfTheEnvelopeIsRecordedButSuppressesNothing() {
        guard case .record(let records, _) = Self.decide(Self.report([(Self.cc, nil)])), let record = records.first else {
            Issue.record("the Cc's report was not counted")
            return
        }
        #expect(record.recipient == Self.row && record.dsnRecipient == Self.cc && record.status == .bounced)
        #expect(SuppressionList.Entry(permanentBounce: record) == nil, "a Cc is in every letter's envelope: anyone could forge its bounce")
    }

    @Test func aRefusedCcNeverGotTheLetterSoItsReportIsAStrangers() {
        let refused = [DeliveryOutcome.Refusal(recipient: Self.cc, code: 550, reply: "550 5.1.1 no")]
        guard case .leave(let reason) = Self.decide(Self.report([(Self.cc, nil)]), records: Self.records(refused: refused)) else {
            Issue.record("counted")
            return
        }
        #expect(reason.hasPrefix("unattributed:"))
    }

    @Test func aLogWithoutEnvelopesAcceptsOnlyTheRowsOwnAddress() {
        let old = Self.records(envelope: nil)
        guard case .leave = Self.decide(Self.report([(Self.cc, nil)]), records: old) else {
            Issue.record("a report on an address the log cannot vouch for was counted")
            return
        }
        guard case .record(let records, _) = Self.decide(Self.report([(Self.row, nil)]), records: old), let record = records.first else {
            Issue.record("the row's own report was not counted")
            return
        }
        #expect(record.dsnRecipient == Self.row)
    }

    @Test func aReportNamingNoAddressIsNotCounted() {
        guard case .leave(let reason) = Self.decide(Self.report([(nil, nil)])) else {
            Issue.record("counted")
            return
        }
        #expect(reason.contains("no recipient address"), "\(reason)")
    }

    @Test func onlyAPermanentFailureOfTheRowsOwnAddressSuppresses() {
        var record = DeliveryRecord(
            time: "t", campaign: Self.campaign, recipient: Self.row, messageID: Self.messageID, status: .bounced, attempt: 1,
            bounce: BounceFields(dsnStatus: "5.1.1", dsnRecipient: Self.row, diagnosticCode: "smtp; 550"))
        #expect(
            SuppressionList.Entry(permanentBounce: record)
                == SuppressionList.Entry(address: Self.row, time: "t", campaign: Self.campaign, dsnStatus: "5.1.1", diagnostic: "smtp; 550"))
        record.status = .delayed
        #expect(SuppressionList.Entry(permanentBounce: record) == nil)
        record.status = .bounced
        record.dsnRecipient = Self.cc
        #expect(SuppressionList.Entry(permanentBounce: record) == nil)
    }

    @Test func aReportOnACcIsKeptBesideTheRowInTheLedger() {
        var ledger = DeliveryLedger(records: Self.records(), campaign: Self.campaign)
        func report(_ status: DeliveryStatus, _ code: String) -> DeliveryRecord {
            DeliveryRecord(
                time: "t2", campaign: Self.campaign, recipient: Self.row, messageID: Self.messageID, status: status, attempt: 1,
                bounce: BounceFields(dsnStatus: code, dsnRecipient: Self.cc, diagnosticCode: "smtp; \(code)"))
        }
        ledger.apply(report(.bounced, "5.1.1"))
        ledger.apply(report(.delayed, "4.2.2"))
        let entry = ledger[Self.row]
        #expect(entry?.status == .sent, "the row's own letter arrived")
        #expect(entry?.copyReports?.map(\.address) == [Self.cc])
        #expect(
            entry?.copyReports?.first?.status == .bounced && entry?.copyReports?.first?.fields.dsnStatus == "5.1.1",
            "a later delay does not undo the Cc's bounce")
    }
}
