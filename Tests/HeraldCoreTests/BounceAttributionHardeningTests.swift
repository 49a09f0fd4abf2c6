import Foundation
import Testing

@testable import HeraldCore

/// The breaks a hostile review found in bounce attribution, each pinned: a report about a
/// letter that never went out is not counted (B2), a text bounce quoting the letter's `To`
/// is about the address after its failure statement (B3), a report with several
/// per-recipient groups loses none of them (B4), and a bounce naming two letters is left alone (B5).
@Suite struct BounceAttributionHardeningTests {
    static let campaign = "eu-china-dialogue"
    static let row = "minister@foreign.ministry.example"
    static let cc = "archive@amnesty.example"
    static let id1 = "<4a1f0c9e2d7b4c8a9e3f6b5d1c0a7e21.herald@amnesty.example>"
    static let row2 = "registry@parliament.gov.example"
    static let id2 = "<9b2e7d4c1a0f4e3b8c6d5a2f1e0b9c87.herald@amnesty.example>"

    static func record(
        _ status: DeliveryStatus, attempt: Int = 1, recipient: String = row, id: String = id1,
        code: Int? = nil
    ) -> DeliveryRecord {
        DeliveryRecord(
            time: "2026-11-29T09:00:0\(attempt)Z", campaign: campaign, recipient: recipient, messageID: id, status: status,
            attempt: attempt, smtpCode: code, smtpReply: code.map { "\($0) reply" },
            envelope: status == .sending || status == .sent ? [recipient, cc] : nil)
    }

    /// An RFC 3464 report: `groups` as (Final-Recipient, Status), the returned headers naming
    /// `returned`, the report's own References naming `references`.
    static func report(
        _ groups: [(String, String)], returned: String = id1, references: String? = nil,
        reportID: String = "<report-7@mx.example>"
    ) -> BounceMessage {
        let perRecipient = groups.map { address, status in
            "Final-Recipient: rfc822; \(address)\nAction: \(status.hasPrefix("5") ? "failed" : "delayed")\nStatus: \(status)\n"
                + "Diagnostic-Code: smtp; \(status.hasPrefix("5") ? "550" : "451") \(status) said the server"
        }.joined(separator: "\n\n")
        let text = """
            From: Mail Delivery System <MAILER-DAEMON@mx.example>
            To: press@amnesty.example
            Subject: Delivery Status Notification
            Message-ID: \(reportID)
            \(references.map { "References: \($0)\n" } ?? "")MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="B"

            --B
            Content-Type: text/plain

            Your message could not be delivered to some recipients.

            --B
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example

            \(perRecipient)

            --B
            Content-Type: text/rfc822-headers

            From: Press <press@amnesty.example>
            Message-ID: \(returned)
            Subject: Open letter

            --B--

            """
        return BounceMessage(bytes: Array(text.utf8))
    }

    static func decide(
        _ bounce: BounceMessage, _ records: [DeliveryRecord],
        at position: MailboxPosition = MailboxPosition(uidValidity: 3, uid: 11)
    ) -> BounceAttribution.Decision {
        BounceAttribution(campaign: campaign, records: records).decide(bounce, at: position, verp: true, time: "2026-11-30T10:00:00Z")
    }

    // MARK: B2: only letters that went out

    @Test(arguments: [
        ("deferred (451)", [record(.sending), record(.deferred, code: 451)]),
        ("failed (550)", [record(.sending), record(.failed, code: 550)]),
        ("in doubt (intent only)", [record(.sending)]),
    ])
    func aForgedReportAboutALetterThatNeverWentOutIsNotCounted(_ name: String, _ records: [DeliveryRecord]) {
        let decision = Self.decide(Self.report([(Self.row, "5.1.1")]), records)
        guard case .leave(let reason) = decision else {
            Issue.record("\(name): a report about a letter never accepted was counted: \(decision)")
            return
        }
        #expect(reason.contains("never accepted") && reason.contains(Self.id1), "\(name): \(reason)")
        // The ledger keeps the letter's own state: a deferred letter is still sent later, a failed one is not suppressed.
        #expect(DeliveryLedger(records: records, campaign: Self.campaign)[Self.row]?.status == records.last?.status)
    }

    @Test func aLetterSentOnItsSecondAttemptIsCountedWithThatAttemptAndTheSentEnvelope() {
        var sent = Self.record(.sent, attempt: 2, code: 250)
        sent.refused = [DeliveryOutcome.Refusal(recipient: Self.cc, code: 550, reply: "550 5.1.1 no")]
        let records = [Self.record(.sending), Self.record(.deferred, code: 451), Self.record(.sending, attempt: 2), sent]
        guard case .record(let written, _) = Self.decide(Self.report([(Self.row, "5.1.1")]), records) else {
            Issue.record("the sent letter's report was not counted")
            return
        }
        #expect(written.map(\.attempt) == [2] && written.map(\.dsnRecipient) == [Self.row])
        // The Cc the server refused on the sending attempt never got the letter.
        guard case .leave(let reason) = Self.decide(Self.report([(Self.cc, "5.1.1")]), records) else {
            Issue.record("a refused Cc's report was counted")
            return
        }
        #expect(reason.hasPrefix("unattributed:"))
    }

    // MARK: B4: every group of a report

    @Test func aReportWithARowDelayAndACcFailureRecordsBoth() throws {
        let records = [Self.record(.sending), Self.record(.sent, code: 250)]
        let bounce = Self.report([(Self.row, "4.4.1"), (Self.cc, "5.1.1")])
        guard case .record(let written, _) = Self.decide(bounce, records) else {
            Issue.record("not recorded")
            return
        }
        #expect(written.map(\.dsnRecipient) == [Self.row, Self.cc])
        #expect(written.map(\.status) == [.delayed, .bounced])
        #expect(written.map(\.dsnStatus) == ["4.4.1", "5.1.1"])
        #expect(written.allSatisfy { $0.recipient == Self.row && $0.messageID == Self.id1 && $0.imapUID == 11 })
        // Neither suppresses: the row is only delayed, the Cc is not the row.
        #expect(written.compactMap(SuppressionList.Entry.init(permanentBounce:)).isEmpty)
        var ledger = DeliveryLedger(records: records, campaign: Self.campaign)
        for record in written { ledger.apply(try #require(DeliveryRecord.parse(line: record.jsonLine()))) }
        #expect(ledger[Self.row]?.status == .delayed)
        #expect(ledger[Self.row]?.copyReports?.map(\.address) == [Self.cc] && ledger[Self.row]?.copyReports?.first?.status == .bounced)
    }

    @Test func aRunStoppedAfterTheFirstOfTwoRecordsWritesOnlyTheOther() throws {
        let bounce = Self.report([(Self.row, "4.4.1"), (Self.cc, "5.1.1")])
        var records = [Self.record(.sending), Self.record(.sent, code: 250)]
        guard case .record(let written, _) = Self.decide(bounce, records) else {
            Issue.record("not recorded")
            return
        }
        records.append(try #require(DeliveryRecord.parse(line: written[0].jsonLine())))
        guard case .record(let rest, _) = Self.decide(bounce, records) else {
            Issue.record("the Cc's result was lost")
            return
        }
        #expect(rest.map(\.dsnRecipient) == [Self.cc])
        records.append(rest[0])
        #expect(Self.decide(bounce, records) == .alreadyRecorded(recipient: Self.row))
    }

    // MARK: B5: two letters named

    @Test func returnedHeadersAndReferencesNamingTwoLettersAreLeftAlone() {
        let records = [
            Self.record(.sending), Self.record(.sent, code: 250),
            Self.record(.sending, recipient: Self.row2, id: Self.id2), Self.record(.sent, recipient: Self.row2, id: Self.id2, code: 250),
        ]
        let decision = Self.decide(Self.report([(Self.row, "5.1.1")], returned: Self.id1, references: Self.id2), records)
        guard case .leave(let reason) = decision else {
            Issue.record("a bounce naming two letters was counted: \(decision)")
            return
        }
        #expect(reason.contains("names 2 letters") && reason.contains("not guessing"), "\(reason)")
        // The same letter named twice is one letter.
        guard case .record = Self.decide(Self.report([(Self.row, "5.1.1")], returned: Self.id1, references: Self.id1), records) else {
            Issue.record("one letter named twice was not counted")
            return
        }
    }

    // MARK: B3: text bounces quoting the letter's headers

    /// An Exchange 2003 NDR about the Cc that quotes the letter's `To` (the row) and `Cc` above
    /// its failure statement; `statement` replaces that statement and what follows it.
    static func exchangeNDR(
        statement: String = """
        did not reach the following recipient(s):

        archive@amnesty.example on Sun, 6 Dec 2026 03:00:00 +0000
                    The e-mail account does not exist at the organization this message was sent to.
                    <exch.amnesty.example #5.1.1>
        """, subject: String = "Undeliverable: Open letter"
    ) -> BounceMessage {
        let text = """
            From: System Administrator <postmaster@amnesty.example>
            To: press@amnesty.example
            Subject: \(subject)
            Message-ID: <NDR7@exch.amnesty.example>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="XX"

            --XX
            Content-Type: text/plain; charset="us-ascii"

            Your message

              To:      minister@foreign.ministry.example
              Cc:      archive@amnesty.example
              Subject: Open letter
              Sent:    Sun, 6 Dec 2026 02:22:53 +0000

            \(statement)

            --XX
            Content-Type: message/rfc822

            From: Press <press@amnesty.example>
            To: Minister <minister@foreign.ministry.example>
            Cc: archive@amnesty.example
            Subject: Open letter
            Message-ID: \(id1)

            Dear Minister,
            --XX--

            """
        return BounceMessage(bytes: Array(text.utf8))
    }

    @Test func anExchangeReportQuotingTheLettersToIsAboutTheAddressAfterItsFailureStatement() {
        let bounce = Self.exchangeNDR()
        #expect(bounce.kind == .textBounce && bounce.failures.map(\.finalRecipient) == [Self.cc], "\(bounce.failures)")
        guard case .record(let written, _) = Self.decide(bounce, [Self.record(.sending), Self.record(.sent, code: 250)]) else {
            Issue.record("the Cc's report was not recorded")
            return
        }
        #expect(written.map(\.dsnRecipient) == [Self.cc] && written.map(\.status) == [.bounced])
        #expect(written.compactMap(SuppressionList.Entry.init(permanentBounce:)).isEmpty, "the row was suppressed by its Cc's bounce")
    }

    @Test func aTextBounceThatNamesNoAddressAfterItsStatementSuppressesNothing() {
        // The failure is only in the subject, and the only addresses are the quoted headers':
        // which one failed is unknown, so none is taken.
        let bounce = Self.exchangeNDR(statement: "was returned: #5.1.1 smtp;550 mailbox unavailable", subject: "Undeliverable: Open letter")
        #expect(bounce.failures.allSatisfy { $0.finalRecipient == nil }, "\(bounce.failures)")
        guard case .leave(let reason) = Self.decide(bounce, [Self.record(.sending), Self.record(.sent, code: 250)]) else {
            Issue.record("a report naming no failed address was counted")
            return
        }
        #expect(reason.contains("no recipient address"), "\(reason)")
    }

    @Test func quotedHeaderLinesAreKnown() {
        #expect(TextBounce.isQuotedHeader("  To:      minister@austria.example"))
        #expect(TextBounce.isQuotedHeader("> Cc: a@b.example"))
        #expect(!TextBounce.isQuotedHeader("did not reach the following recipient(s):"))
        #expect(!TextBounce.isQuotedHeader("archive@amnesty.example on Sun, 6 Dec 2026 03:00:00 +0000"))
    }
}
