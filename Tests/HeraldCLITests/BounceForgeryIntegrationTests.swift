import Foundation
import HeraldTestSupport
import Testing

/// `herald bounces` against a real Dovecot: how the IMAP adapter names a connection that fails
/// and a folder the server does not have. The forged-report logic this suite's fixtures build
/// (a real Message-ID about an address the letter never went to, a Cc's report, hostile
/// terminal escapes) runs in-process over a mailbox in memory: BounceCommandTests.
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
            folder.write(
                "letter.mustache",
                "From: Press <press@amnesty.example>\nTo: {{email}}\nCc: Archive <\(BounceForgeryIntegrationTests.cc)>\nSubject: Open letter\n\nDear reader,\nthe letter.\n"
            )
            folder.write("list.csv", "email\n" + BounceForgeryIntegrationTests.letters.map(\.0).joined(separator: "\n") + "\n")
            path = folder.write(
                "campaign.toml",
                """
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
                    lines.append(
                        #"{"attempt":1,"campaign":"eu-china-dialogue","envelope":["\#(recipient)","\#(BounceForgeryIntegrationTests.cc)"],"message_id":"\#(BounceForgeryIntegrationTests.messageID(token))","recipient":"\#(recipient)","status":"\#(status)","time":"2026-11-29T09:00:00Z"}"#
                    )
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
    static func report(
        about finalRecipient: String, letter token: String, subject: String = "Undelivered Mail Returned to Sender",
        diagnostic: String = "smtp; 550 5.1.1 user unknown", id: String
    ) -> [UInt8] {
        Array(
            """
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
