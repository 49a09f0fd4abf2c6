import Foundation
import HeraldTestSupport
import Testing

/// `herald bounces` against a real Dovecot, for what a hostile review found: a forged report
/// about a letter that never went out (deferred, or refused) is left unseen and changes
/// nothing, and one report with the row delayed and its Cc failed records both results.
@Suite(.serialized, .tags(.integration, .dovecot)) struct BounceHardeningIntegrationTests {
    typealias Forgery = BounceForgeryIntegrationTests

    /// A report returning the headers of letter `token`, one group per (address, status).
    static func report(_ groups: [(String, String)], letter token: String, id: String) -> [UInt8] {
        let perRecipient = groups.map { address, status in
            "Final-Recipient: rfc822; \(address)\nAction: \(status.hasPrefix("5") ? "failed" : "delayed")\nStatus: \(status)\n"
                + "Diagnostic-Code: smtp; \(status.hasPrefix("5") ? "550" : "451") \(status) from the server"
        }.joined(separator: "\n\n")
        return Array("""
        Return-Path: <>
        From: Mail Delivery System <MAILER-DAEMON@mx.example>
        To: press@amnesty.example
        Subject: Delivery Status Notification
        Message-ID: <\(id)@mx.example>
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="B"

        --B
        Content-Type: text/plain

        Your message could not be delivered to all its recipients.

        --B
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.example

        \(perRecipient)

        --B
        Content-Type: text/rfc822-headers

        From: Press <press@amnesty.example>
        Message-ID: \(Forgery.messageID(token))
        Subject: Open letter

        --B--

        """.utf8)
    }

    @Test func integrationReportsAboutLettersThatNeverWentOutAreLeftAndATwoGroupReportRecordsBoth() throws {
        let server = try DovecotServer()
        let campaign = Forgery.Campaign(url: server.url)
        let letters = Forgery.letters, cc = Forgery.cc
        // Letter 1 went out; letter 2 was deferred (451), letter 3 refused (550): neither reached anyone.
        func line(_ index: Int, _ status: String, _ extra: String = "") -> String {
            #"{"attempt":1,"campaign":"eu-china-dialogue","envelope":["\#(letters[index].0)","\#(cc)"],"message_id":"\#(Forgery.messageID(letters[index].1))","recipient":"\#(letters[index].0)","status":"\#(status)","time":"2026-11-29T09:00:00Z"\#(extra)}"#
        }
        campaign.folder.write("delivery.jsonl", [line(0, "sending"), line(0, "sent"), line(1, "sending"), line(1, "deferred", #","smtp_code":451"#),
                                                 line(2, "sending"), line(2, "failed", #","smtp_code":550"#)].joined(separator: "\n") + "\n")
        try server.deliver(Self.report([(letters[1].0, "5.1.1")], letter: letters[1].1, id: "forged-deferred"))
        try server.deliver(Self.report([(letters[2].0, "5.1.1")], letter: letters[2].1, id: "forged-failed"))
        try server.deliver(Self.report([(letters[0].0, "4.4.1"), (cc, "5.1.1")], letter: letters[0].1, id: "two-groups"))

        let result = try Subprocess.herald(["bounces", campaign.path], environment: ["HERALD_TEST_IMAP_PASSWORD": server.password])
        #expect(result.status == 0, "\(result)\n\(server.log)")
        for index in [1, 2] {
            #expect(result.stdout.contains("it names the letter \(Forgery.messageID(letters[index].1)), which the server never accepted"), "\(result.stdout)")
        }
        #expect(result.stdout.contains("recorded  delayed 4.4.1 \(letters[0].0)"), "\(result.stdout)")
        #expect(result.stdout.contains("recorded  bounced 5.1.1 \(cc) (a Cc or Bcc of the letter to \(letters[0].0))"), "\(result.stdout)")
        #expect(result.stdout.contains("3 messages in INBOX: 1 recorded (1 bounced, 1 delayed), 0 already recorded, 2 left in place"), "\(result.stdout)")
        #expect(server.messages().count == 2 && server.messages().allSatisfy { !$0.seen })
        #expect(server.messages(in: "Processed").count == 1)
        let reports = campaign.reports()
        #expect(reports.map { $0["dsn_recipient"] as? String } == [letters[0].0, cc], "\(reports)")
        #expect(reports.allSatisfy { $0["recipient"] as? String == letters[0].0 })
        let listed = (campaign.folder.read("suppressed.txt") ?? "").split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(listed.isEmpty, "\(listed)")

        let status = try Subprocess.herald(["status", campaign.path])
        let rows = status.stdout.split(separator: "\n")
        #expect(rows.first { $0.hasPrefix(letters[0].0) }?.contains(" delayed ") == true, "\(status.stdout)")
        #expect(rows.first { $0.hasPrefix(letters[1].0) }?.contains(" deferred ") == true, "the deferred letter stays to be sent: \(status.stdout)")
        #expect(rows.first { $0.hasPrefix(letters[2].0) }?.contains(" failed ") == true, "\(status.stdout)")

        // A second pass records nothing more.
        let again = try Subprocess.herald(["bounces", campaign.path], environment: ["HERALD_TEST_IMAP_PASSWORD": server.password])
        #expect(again.status == 0 && again.stdout.contains("0 recorded") && again.stdout.contains("2 left in place"), "\(again)")
        #expect(campaign.reports().count == 2)
    }
}
