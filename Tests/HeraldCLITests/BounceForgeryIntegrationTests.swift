import Foundation
import HeraldTestSupport
import Testing

/// `herald bounces` against a real Dovecot: a report carrying a real Message-ID but an address
/// the letter never went to is left in the mailbox, unseen, as unattributed, and suppresses
/// nobody; a Cc's report is recorded and named, and suppresses nobody either; a report's
/// terminal escapes reach the log exactly and the terminal only as visible text.
@Suite(.serialized, .tags(.integration, .dovecot)) struct BounceForgeryIntegrationTests {
    static let cc = "archive@amnesty.example"
    /// Row → Message-ID token. The attacker received letter 1; the victim is row 2.
    static let letters: [(String, String)] = [
        ("attacker@mail.example", "11111111111111111111111111111111"),
        ("victim@justice.gov.example", "22222222222222222222222222222222"),
        ("office@health.gov.example", "33333333333333333333333333333333"),
        ("cabinet@finance.gov.example", "44444444444444444444444444444444"),
    ]
    static func messageID(_ token: String) -> String { "<\(token).herald@amnesty.example>" }
    static let hostile = "smtp; 550 5.1.1 \u{1B}]0;pwned\u{07}\u{1B}[2J\u{202E}user unknown"

    /// A campaign whose letters went to each row with a Cc to the archive, as its log records
    /// them (envelope: the row, then the Cc), with `[bounces] suppress = true`.
    struct Campaign {
        let folder = TemporaryDirectory("herald-forged-dsn")
        let path: String

        init(url: String) {
            folder.write("letter.mustache", "From: Press <press@amnesty.example>\nTo: {{email}}\nCc: Archive <\(BounceForgeryIntegrationTests.cc)>\nSubject: Open letter\n\nDear reader,\nthe letter.\n")
            folder.write("list.csv", "email\n" + BounceForgeryIntegrationTests.letters.map(\.0).joined(separator: "\n") + "\n")
            path = folder.write("campaign.toml", """
            name = "eu-china-dialogue"
            template = "letter.mustache"
            recipients = ["list.csv"]
            log = "delivery.jsonl"
            [smtp]
            url = "smtp://127.0.0.1:9"
            [bounces]
            url = "\(url)"
            username = "bounces"
            password_env = "HERALD_TEST_IMAP_PASSWORD"
            suppress = true
            """)
            var lines: [String] = []
            for (recipient, token) in BounceForgeryIntegrationTests.letters {
                for status in ["sending", "sent"] {
                    lines.append(#"{"attempt":1,"campaign":"eu-china-dialogue","envelope":["\#(recipient)","\#(BounceForgeryIntegrationTests.cc)"],"message_id":"\#(BounceForgeryIntegrationTests.messageID(token))","recipient":"\#(recipient)","status":"\#(status)","time":"2026-11-29T09:00:00Z"}"#)
                }
            }
            folder.write("delivery.jsonl", lines.joined(separator: "\n") + "\n")
        }

        func reports() -> [[String: Any]] {
            (folder.read("delivery.jsonl") ?? "").split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .filter { ["bounced", "delayed"].contains($0["status"] as? String) }
        }
    }

    /// An RFC 3464 report about `finalRecipient`, returning the headers of the letter `token`.
    static func report(about finalRecipient: String, letter token: String, subject: String = "Undelivered Mail Returned to Sender",
                       diagnostic: String = "smtp; 550 5.1.1 user unknown", id: String) -> [UInt8] {
        Array("""
        Return-Path: <>
        From: Mail Delivery System <MAILER-DAEMON@mx.example>
        To: press@amnesty.example
        Subject: \(subject)
        Message-ID: <\(id)@mx.example>
        Date: Sun, 29 Nov 2026 10:15:11 +0100
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="B"

        --B
        Content-Type: text/plain

        Your message could not be delivered.

        --B
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.example

        Final-Recipient: rfc822; \(finalRecipient)
        Action: failed
        Status: 5.1.1
        Diagnostic-Code: \(diagnostic)

        --B
        Content-Type: text/rfc822-headers

        From: Press <press@amnesty.example>
        Message-ID: \(messageID(token))
        Subject: Open letter

        --B--

        """.utf8)
    }

    @Test func integrationAForgedReportIsLeftAndSilencesNobodyWhileACcsIsNamed() throws {
        let server = try DovecotServer()
        // The attacker forges a report on their own letter's Message-ID about the victim.
        try server.deliver(Self.report(about: Self.letters[1].0, letter: Self.letters[0].1,
                                       subject: "Undelivered \u{1B}[2J\u{202E}Mail", id: "forged"))
        // A real report on the Cc of letter 3, and one on row 4's own address with a hostile diagnostic.
        try server.deliver(Self.report(about: Self.cc, letter: Self.letters[2].1, id: "cc"))
        try server.deliver(Self.report(about: Self.letters[3].0, letter: Self.letters[3].1, diagnostic: Self.hostile, id: "own"))
        let campaign = Campaign(url: server.url)

        let result = try Subprocess.herald(["bounces", campaign.path], environment: ["HERALD_TEST_IMAP_PASSWORD": server.password])
        #expect(result.status == 0, "\(result)\n\(server.log)")
        #expect(rawTerminalControls(result.stdout + result.stderr).isEmpty, "\(result)")
        // The forgery: left in place, unseen, reported as unattributed; nothing recorded for it.
        #expect(result.stdout.contains("unattributed: it names the letter \(Self.messageID(Self.letters[0].1)) to \(Self.letters[0].0) but reports on \(Self.letters[1].0)"), "\(result.stdout)")
        #expect(result.stdout.contains(#"Undelivered \u001B[2J\u202EMail"#), "\(result.stdout)")
        #expect(result.stdout.contains("3 messages in INBOX: 2 recorded (2 bounced, 0 delayed), 0 already recorded, 1 left in place (1 unattributed"), "\(result.stdout)")
        #expect(server.messages().count == 1 && server.messages().allSatisfy { !$0.seen })
        #expect(server.messages(in: "Processed").count == 2)
        let reports = campaign.reports()
        #expect(Set(reports.compactMap { $0["recipient"] as? String }) == [Self.letters[2].0, Self.letters[3].0], "\(reports)")
        #expect(!reports.contains { ($0["dsn_recipient"] as? String) == Self.letters[1].0 })
        // The Cc's report names the Cc, beside its row, and is recorded with it.
        #expect(result.stdout.contains("recorded  bounced 5.1.1 \(Self.cc) (a Cc or Bcc of the letter to \(Self.letters[2].0))"), "\(result.stdout)")
        #expect(reports.contains { $0["recipient"] as? String == Self.letters[2].0 && $0["dsn_recipient"] as? String == Self.cc })
        // The log keeps the report's exact text.
        #expect(reports.contains { $0["diagnostic_code"] as? String == Self.hostile }, "\(reports)")
        // Only row 4's own permanent failure is suppressed: not the victim, not the Cc.
        let suppressed = campaign.folder.read("suppressed.txt") ?? ""
        let listed = suppressed.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { String($0.prefix { $0 != "\t" }) }
        #expect(listed == [Self.letters[3].0], "\(suppressed)")

        let list = try Subprocess.herald(["suppressed", "list", campaign.path])
        #expect(list.status == 0, "\(list)")
        #expect(rawTerminalControls(list.stdout + list.stderr).isEmpty, "\(list)")
        #expect(list.stdout.contains(#"\u001B]0;pwned\u0007\u001B[2J\u202Euser unknown"#), "\(list.stdout)")

        let status = try Subprocess.herald(["status", campaign.path])
        #expect(status.status == 0, "\(status)")
        #expect(rawTerminalControls(status.stdout + status.stderr).isEmpty, "\(status)")
        #expect(status.stdout.contains(#"\u001B]0;pwned\u0007\u001B[2J\u202Euser unknown"#), "\(status.stdout)")
        let ccRow = status.stdout.split(separator: "\n").first { $0.hasPrefix(Self.letters[2].0) } ?? ""
        #expect(ccRow.contains(" sent ") && ccRow.contains("; bounced \(Self.cc): 5.1.1 smtp; 550 5.1.1 user unknown"), "\(status.stdout)")
        let victimRow = status.stdout.split(separator: "\n").first { $0.hasPrefix(Self.letters[1].0) } ?? ""
        #expect(victimRow.contains(" sent "), "\(status.stdout)")

        // A second pass leaves the forgery again and records nothing.
        let again = try Subprocess.herald(["bounces", campaign.path], environment: ["HERALD_TEST_IMAP_PASSWORD": server.password])
        #expect(again.status == 0 && again.stdout.contains("0 recorded") && again.stdout.contains("1 left in place"), "\(again)")
        #expect(campaign.reports().count == 2 && server.messages().count == 1)
    }

    /// A server that cannot be reached: the message names the connection, not `UID SEARCH`.
    @Test func integrationAnIMAPConnectFailureNamesTheConnect() throws {
        let closed = try Subprocess.run(PackagePaths.python, ["-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        let port = closed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let campaign = Campaign(url: "imap://127.0.0.1:\(port)/INBOX")
        let result = try Subprocess.herald(["bounces", campaign.path], environment: ["HERALD_TEST_IMAP_PASSWORD": "secret"])
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.contains("connecting to 127.0.0.1:\(port) failed"), "\(result)")
        #expect(!result.stderr.contains("UID SEARCH"), "\(result)")
    }

    /// A folder the server does not have: libcurl calls it a denied login; Herald names the SELECT (69, not 77).
    @Test func integrationAMissingFolderNamesTheSelectNotTheLogin() throws {
        let server = try DovecotServer()
        let campaign = Campaign(url: server.url.replacingOccurrences(of: "/INBOX", with: "/NoSuchFolder"))
        let result = try Subprocess.herald(["bounces", campaign.path], environment: ["HERALD_TEST_IMAP_PASSWORD": server.password])
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.contains("SELECT NoSuchFolder") && !result.stderr.contains("refused user"), "\(result)")
    }
}
