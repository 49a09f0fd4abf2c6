import Foundation
import HeraldTestSupport
import Testing

/// Who a letter goes to, against a real SMTP server (aiosmtpd): the envelope is the row's
/// address and the addresses the template names, no field value can change it, and each
/// envelope recipient's fate (and the server's own words) reaches the log.
@Suite(.tags(.integration)) struct EnvelopeIntegrationTests {
    /// The real letter with one more header line after `To:`.
    static func letter(adding line: String) -> String {
        let source = (try? String(contentsOfFile: PackagePaths.path("Templates/eu-china-dialogue-1999.mustache"), encoding: .utf8)) ?? ""
        return source.replacingOccurrences(of: "To: {{name}} <{{email}}>\n", with: "To: {{name}} <{{email}}>\n\(line)\n")
    }

    static let press = "press.office@amnesty.example"

    @Test func aHostileNameNeverAddsARecipient() throws {
        let server = try SMTPTestServer()
        let names = ["Eve <eve@attacker.example>, Bob", "Bob\" <eve@attacker.example>, \"x", "{{>x}}"]
        let csv =
            "email,name\n"
            + names.enumerated().map { "r\($0.offset)@ministry.example,\"\($0.element.replacingOccurrences(of: "\"", with: "\"\""))\"" }
            .joined(separator: "\n") + "\n"
        for to in ["{{name}} <{{email}}>", "\"{{name}}\" <{{email}}>"] {
            let campaign = TestCampaign(
                url: server.url, template: "From: Sender <sender@org.example>\nTo: \(to)\nSubject: Hello {{name}}\n\nDear {{name}}\n", csv: csv)
            let validate = try Subprocess.herald(["validate", campaign.path])
            #expect(validate.status == 0, "\(validate)")
            let sent = try campaign.send(nil)
            #expect(sent.status == 0, "\(sent)")
            let intents = campaign.records().filter { $0["status"] as? String == "sending" }
            #expect(intents.map { $0["envelope"] as? [String] ?? [] } == (0..<3).map { ["r\($0)@ministry.example"] })
        }
        let received = server.messages()
        #expect(received.count == 6)
        #expect(received.allSatisfy { $0.recipients.count == 1 && $0.recipients[0].hasSuffix("@ministry.example") }, "\(received.map(\.recipients))")
        let reports = try EmailOracle.check(received.map(\.file))
        #expect(reports.allSatisfy { $0.ok }, "\(reports.map(\.problems))")
        #expect(reports.map(\.to_display_name) == names + names, "a name arrives as a display name, whatever it holds")
        #expect(reports.allSatisfy { $0.to_address.hasSuffix("@ministry.example") })
    }

    @Test func aRefusedCcIsLoggedAndTheLetterGoesToTheMinister() throws {
        let server = try SMTPTestServer(faults: ["--rcpt-reply", "\(Self.press)=550:5.1.1 <\(Self.press)>: Recipient address rejected: mailbox full for good"])
        let campaign = TestCampaign(url: server.url, template: Self.letter(adding: "Cc: Amnesty International Press Office <\(Self.press)>"))
        let result = try campaign.send(nil)
        #expect(result.status == 1, "a refused recipient is reported with exit 1: \(result)")
        #expect(result.stderr.contains("refused: \(Self.press) (on the letter to minister@auswaertiges-amt.germany.example): 550 5.1.1"), "\(result.stderr)")
        let received = server.messages()
        #expect(received.count == 15)
        #expect(received.allSatisfy { $0.recipients.count == 1 && $0.recipients[0] != Self.press }, "\(received.map(\.recipients))")
        let sent = campaign.records().filter { $0["status"] as? String == "sent" }
        #expect(sent.count == 15)
        for record in sent {
            #expect((record["envelope"] as? [String]) == [record["recipient"] as? String ?? "", Self.press])
            let refused = record["refused"] as? [[String: Any]] ?? []
            #expect(refused.count == 1)
            #expect(refused.first?["recipient"] as? String == Self.press)
            #expect(refused.first?["smtp_code"] as? Int == 550)
            #expect(refused.first?["smtp_reply"] as? String == "550 5.1.1 <\(Self.press)>: Recipient address rejected: mailbox full for good")
        }
        let status = try Subprocess.herald(["status", campaign.path])
        #expect(status.stdout.contains("; refused \(Self.press): 550 5.1.1"), "\(status.stdout)")
        #expect(status.stdout.contains("15 sent with a Cc or Bcc refused (not retried)"), "\(status.stdout)")
        #expect(try campaign.send(nil).status == 0, "the ministers have their letters; nothing is resent")
        #expect(server.messages().count == 15)
    }

    @Test func aRefusedMinisterStopsTheLetterForEveryoneAndTheServersWordsAreLogged() throws {
        let greece = "minister@mfa.greece.example"
        let words = "5.1.1 <\(greece)>: Recipient address rejected: User unknown in virtual mailbox table"
        let server = try SMTPTestServer(faults: ["--rcpt-reply", "\(greece)=554:\(words)"])
        let campaign = TestCampaign(url: server.url, template: Self.letter(adding: "Bcc: <\(Self.press)>"))
        let result = try campaign.send(nil)
        #expect(result.status == 1, "\(result)")
        let received = server.messages()
        #expect(received.count == 14)
        #expect(!received.contains { $0.recipients.contains(greece) })
        #expect(received.allSatisfy { $0.recipients.count == 2 && $0.recipients[1] == Self.press })
        let failed = campaign.records().filter { $0["status"] as? String == "failed" }
        #expect(failed.count == 1)
        #expect(failed.first?["recipient"] as? String == greece)
        #expect(failed.first?["smtp_code"] as? Int == 554)
        #expect(failed.first?["smtp_reply"] as? String == "554 \(words)", "the server's own words, not curl's")
        let status = try Subprocess.herald(["status", campaign.path])
        #expect(status.stdout.contains("554 \(words)"), "\(status.stdout)")
    }

    @Test func aRefusedSenderStopsTheRunAndFailsNobody() throws {
        let server = try SMTPTestServer(faults: ["--mail-reply", "550x1:5.7.1 <secretary.general@amnesty.example>: Sender address rejected: not owned by user"])
        let campaign = TestCampaign(url: server.url)
        let first = try campaign.send(nil)
        #expect(first.status == 69, "\(first)")
        #expect(
            first.stderr.contains("the server refused the sender: 550 5.7.1 <secretary.general@amnesty.example>: Sender address rejected"), "\(first.stderr)")
        #expect(server.messages().isEmpty)
        let records = campaign.records()
        #expect(!records.contains { $0["status"] as? String == "failed" }, "nobody is failed for the sender's fault")
        #expect(records.filter { $0["status"] as? String == "deferred" }.count == 1)
        #expect(records.filter { $0["status"] as? String == "sending" }.count == 1, "one attempt, not one per recipient")
        let second = try campaign.send(nil)
        #expect(second.status == 0, "\(second)")
        #expect(server.messages().count == 15)
        #expect(try campaign.statusJSON()["sent"] == 15)
    }

    @Test func aSenderRefusedAtRCPTAsPostfixDoesByDefaultFailsNobody() throws {
        // Postfix's default smtpd_delay_reject = yes answers sender restrictions at RCPT.
        let words = "5.7.1 <secretary.general@amnesty.example>: Sender address rejected: Sender blocked by policy"
        let server = try SMTPTestServer(faults: ["--rcpt-reply", "minister@bmaa.austria.example=554x1:\(words)"])
        let campaign = TestCampaign(url: server.url)
        let first = try campaign.send(nil)
        #expect(first.status == 69, "\(first)")
        #expect(first.stderr.contains("554 \(words)"), "\(first.stderr)")
        #expect(!campaign.records().contains { $0["status"] as? String == "failed" }, "nobody is failed for the sender's fault")
        let second = try campaign.send(nil)
        #expect(second.status == 0, "\(second)")
        #expect(server.messages().count == 15)
    }

    @Test func aLetterTooBigForTheServerFailsAlone() throws {
        let server = try SMTPTestServer(faults: ["--mail-reply", "552x1:5.3.4 Message size exceeds fixed limit"])
        let campaign = TestCampaign(url: server.url)
        let result = try campaign.send(nil)
        #expect(result.status == 1, "\(result)")
        #expect(server.messages().count == 14)
        let failed = campaign.records().filter { $0["status"] as? String == "failed" }
        #expect(failed.map { $0["smtp_reply"] as? String ?? "" } == ["552 5.3.4 Message size exceeds fixed limit"])
    }

    @Test func aRefusedDATACommandKeepsTheServersWordsAndFailsNobody() throws {
        let words = "5.7.1 <DATA>: Data command rejected: Access denied"
        let server = try SMTPTestServer(faults: ["--data-command-reply", "554x1:\(words)"])
        let campaign = TestCampaign(url: server.url)
        let first = try campaign.send(nil)
        #expect(first.status == 69, "\(first)")
        #expect(first.stderr.contains("554 \(words)"), "\(first.stderr)")
        let records = campaign.records()
        #expect(!records.contains { $0["status"] as? String == "failed" })
        #expect(records.contains { $0["smtp_reply"] as? String == "554 \(words)" }, "the server's words, not curl's")
        #expect(try campaign.send(nil).status == 0)
        #expect(server.messages().count == 15)
    }

    @Test func opportunisticTLSToALoopbackRelayWithASelfSignedCertificateDelivers() throws {
        let certs = try SecurityIntegrationTests.Certificates()
        // Like Debian's Postfix with its "snakeoil" certificate: a name that is not 127.0.0.1, an issuer nobody trusts.
        let server = try SMTPTestServer(faults: certs.serverArguments("wrong-host"))
        let campaign = TestCampaign(url: server.url)
        let result = try campaign.send(nil, ["--verbose"])
        #expect(result.status == 0, "\(result)")
        #expect(server.messages().count == 15)
        let index = (try? String(contentsOfFile: (server.mailbox as NSString).appendingPathComponent("index.jsonl"), encoding: .utf8)) ?? ""
        #expect(index.split(separator: "\n").allSatisfy { $0.contains("\"tls\": true") || $0.contains("\"tls\":true") }, "encrypted all the same")
        #expect(result.stderr.contains("TLS certificate not verified (tls = opportunistic"), "\(result.stderr)")

        let required = TestCampaign(url: server.url).withSMTP("tls = \"required\"")
        let refused = try required.send(nil)
        #expect(refused.status == 69, "required keeps verifying: \(refused)")
        #expect(server.messages().count == 15)
    }

    @Test(arguments: ["smtp://127.0.0.1:25/x y", "smtp://127.0.0.1:25/%0d%0aRSET", "smtp://127.0.0.1:25/a?b"])
    func aURLPathThatIsNoEHLONameIsRefusedBeforeSending(url: String) throws {
        let campaign = TestCampaign(url: url)
        let validate = try Subprocess.herald(["validate", campaign.path])
        #expect(validate.status == 78, "\(validate)")
        #expect(validate.stderr.contains("is the name Herald gives in EHLO"), "\(validate.stderr)")
        let good = TestCampaign()
        let override = try Subprocess.herald(["send", good.path, "--smtp-url", url])
        #expect(override.status == 64, "\(override)")
    }

    @Test func aMistypedLogIsRefusedInsteadOfResending() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        #expect(try campaign.send(nil).status == 0)
        let typo = try campaign.send(nil, ["--log", campaign.folder.file("typo/nowhere/delivery.jsonl")])
        #expect(typo.status == 64, "\(typo)")
        #expect(typo.stderr.contains("--log: the folder"), "\(typo.stderr)")
        let fresh = try campaign.send(nil, ["--log", campaign.folder.file("other.jsonl")])
        #expect(fresh.status == 64, "\(fresh)")
        #expect(fresh.stderr.contains("already records letters: a new log would send every one of them again"), "\(fresh.stderr)")
        #expect(server.messages().count == 15, "nothing was sent again")
        #expect(!FileManager.default.fileExists(atPath: campaign.folder.file("typo")))
    }

    @Test func opportunisticTLSIsForLoopbackOnly() throws {
        let campaign = TestCampaign(url: "smtp://mail.example.org:25").withSMTP("tls = \"opportunistic\"")
        let result = try Subprocess.herald(["validate", campaign.path])
        #expect(result.status == 78, "\(result)")
        #expect(result.stderr.contains("smtp.tls: tls \"opportunistic\" encrypts without checking the server's certificate"), "\(result.stderr)")
    }
}
