import Foundation
import HeraldTestSupport
import Testing

/// TLS verification and SMTP AUTH against a real server with a throwaway CA made in the test.
@Suite(.tags(.integration)) struct SecurityIntegrationTests {
    static let password = "s3cret-Pa55word-only-for-this-test"

    /// Certificates from `Tests/Support/make_certs.py`: ca, other-ca, good, wrong-host, expired.
    final class Certificates: @unchecked Sendable {
        let folder = TemporaryDirectory("herald-certs")
        init() throws {
            let made = try Subprocess.run(PackagePaths.python, [PackagePaths.path("Tests/Support/make_certs.py"), folder.path])
            guard made.status == 0 else { throw SMTPTestServer.SetupFailure(description: "make_certs.py: \(made)") }
        }
        func file(_ name: String) -> String { folder.file(name) }
        func serverArguments(_ name: String) -> [String] { ["--tls-cert", file("\(name).pem"), "--tls-key", file("\(name).key")] }
    }

    static func campaign(_ server: SMTPTestServer, host: String = "localhost", smtp: String) -> TestCampaign {
        TestCampaign(url: "smtp://\(host):\(server.port)", extra: "").withSMTP(smtp)
    }

    @Test func verifiedSTARTTLSDelivers() throws {
        let certs = try Certificates()
        let server = try SMTPTestServer(faults: certs.serverArguments("good") + ["--require-tls"])
        let campaign = Self.campaign(server, smtp: "tls = \"required\"\nca_file = \"\(certs.file("ca.pem"))\"")
        let result = try campaign.send(nil)
        #expect(result.status == 0, "\(result)")
        #expect(server.messages().count == 15)
        let index = (try? String(contentsOfFile: (server.mailbox as NSString).appendingPathComponent("index.jsonl"), encoding: .utf8)) ?? ""
        #expect(index.split(separator: "\n").allSatisfy { $0.contains("\"tls\": true") || $0.contains("\"tls\":true") })
    }

    @Test(arguments: [
        ("good", "other-ca.pem", "localhost", "unable to get local issuer certificate"),
        ("wrong-host", "ca.pem", "localhost", "no alternative certificate subject name matches"),
        ("expired", "ca.pem", "localhost", "certificate has expired"),
    ])
    func unverifiableServerExits69AndSendsNothing(cert: String, ca: String, host: String, reason: String) throws {
        let certs = try Certificates()
        let server = try SMTPTestServer(faults: certs.serverArguments(cert))
        let campaign = Self.campaign(server, host: host, smtp: "tls = \"required\"\nca_file = \"\(certs.file(ca))\"")
        let result = try campaign.send(nil)
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.contains("\(host): TLS failed"), "\(result.stderr)")
        #expect(result.stderr.contains(reason), "\(result.stderr)")
        #expect(server.messages().isEmpty)
    }

    @Test func aMissingCAFileIsFoundByValidateAndBeforeConnecting() throws {
        let server = try SMTPTestServer()
        let campaign = Self.campaign(server, smtp: "tls = \"required\"\nca_file = \"no-such-ca.pem\"")
        let validate = try Subprocess.herald(["validate", campaign.path])
        #expect(validate.status == 66, "\(validate)")
        #expect(validate.stderr.contains("smtp.ca_file: \(campaign.folder.file("no-such-ca.pem")) not found"), "\(validate.stderr)")
        let send = try campaign.send(nil)
        #expect(send.status == 66, "\(send)")
        #expect(server.connections() == 0, "nothing was attempted")
    }

    @Test func requiredTLSWithoutSTARTTLSExits69() throws {
        let server = try SMTPTestServer()
        let campaign = Self.campaign(server, smtp: "tls = \"required\"")
        let result = try campaign.send(nil)
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.contains("did not offer STARTTLS"))
        #expect(server.messages().isEmpty)
    }

    @Test func utf8LocalPartIsSentOnlyToAServerOfferingSMTPUTF8() throws {
        let csv = "email,name\nann@x.example,Ann\njosé@x.example,José\nbo@x.example,Bo\n"
        let template = "From: Office <office@org.example>\nTo: {{name}} <{{email}}>\nSubject: Hello\n\nDear {{name}}.\n"
        let plain = try SMTPTestServer()
        let campaign = TestCampaign(url: plain.url, template: template, csv: csv)
        let refused = try campaign.send(nil)
        #expect(refused.status == 1, "\(refused)")
        #expect(plain.messages().flatMap(\.recipients).sorted() == ["ann@x.example", "bo@x.example"])
        let failed = campaign.records().filter { $0["status"] as? String == "failed" }
        #expect(failed.count == 1 && (failed.first?["error"] as? String)?.contains("SMTPUTF8") == true, "\(failed)")

        let capable = try SMTPTestServer(faults: ["--smtputf8"])
        let other = TestCampaign(url: capable.url, template: template, csv: csv)
        let sent = try other.send(nil)
        #expect(sent.status == 0, "\(sent)")
        let jose = try #require(capable.messages().first { $0.recipients == ["josé@x.example"] })
        #expect(
            String(decoding: jose.data, as: UTF8.self).contains("To: =?utf-8?q?Jos=C3=A9?= <josé@x.example>\r\n")
                || String(decoding: jose.data, as: UTF8.self).contains("<josé@x.example>"))
    }

    @Test func credentialsButNoAUTHOfferedExits77AndSendsNothing() throws {
        let server = try SMTPTestServer()
        let campaign = Self.campaign(server, host: "127.0.0.1", smtp: "username = \"press\"\npassword_env = \"HERALD_TEST_PASSWORD\"")
        let result = try Subprocess.herald(["send", campaign.path], environment: ["HERALD_TEST_PASSWORD": Self.password])
        #expect(result.status == 77, "\(result)")
        #expect(result.stderr.contains("did not offer AUTH"))
        #expect(server.messages().isEmpty)
    }

    @Test func authOfferedOnlyAfterSTARTTLSIsUsed() throws {
        let certs = try Certificates()
        let server = try SMTPTestServer(faults: certs.serverArguments("good") + ["--require-tls", "--auth", "press:\(Self.password)"])
        let campaign = Self.campaign(
            server, smtp: "tls = \"required\"\nca_file = \"\(certs.file("ca.pem"))\"\nusername = \"press\"\npassword_env = \"HERALD_TEST_PASSWORD\"")
        let result = try Subprocess.herald(["send", campaign.path], environment: ["HERALD_TEST_PASSWORD": Self.password])
        #expect(result.status == 0, "\(result)")
        #expect(server.messages().count == 15)
    }

    @Test func authWithPasswordEnvAndPasswordFileAndNoLeak() throws {
        let server = try SMTPTestServer(faults: ["--auth", "press:\(Self.password)"])
        let byEnv = Self.campaign(server, host: "127.0.0.1", smtp: "username = \"press\"\npassword_env = \"HERALD_TEST_PASSWORD\"")
        let first = try Subprocess.herald(["send", byEnv.path, "--verbose"], environment: ["HERALD_TEST_PASSWORD": Self.password])
        #expect(first.status == 0, "\(first)")
        #expect(first.stderr.contains("smtp: > AUTH PLAIN [credentials redacted]"), "\(first.stderr)")
        #expect(first.stderr.contains("smtp: > MAIL FROM:<secretary.general@amnesty.example>"))
        let encoded = [Data("\u{0}press\u{0}\(Self.password)".utf8).base64EncodedString(), Data(Self.password.utf8).base64EncodedString()]
        #expect(server.messages().count == 15)

        let byFile = Self.campaign(server, host: "127.0.0.1", smtp: "username = \"press\"\npassword_file = \"secret.txt\"")
        let secret = byFile.folder.write("secret.txt", Self.password + "\n")
        chmod(secret, 0o644)
        let loose = try Subprocess.herald(["send", byFile.path])
        #expect(loose.status == 78 && loose.stderr.contains("chmod 600"), "\(loose)")
        chmod(secret, 0o600)
        let second = try Subprocess.herald(["send", byFile.path, "--log", byFile.folder.file("second.jsonl")])
        #expect(second.status == 0, "\(second)")
        #expect(server.messages().count == 30)

        // A campaign of its own (a fresh log): `--log` to a new file is refused while the
        // campaign's own log records letters, since it would send them all again.
        let unsent = Self.campaign(server, host: "127.0.0.1", smtp: "username = \"press\"\npassword_env = \"HERALD_TEST_PASSWORD\"")
        let wrong = try Subprocess.herald(
            ["send", unsent.path],
            environment: ["HERALD_TEST_PASSWORD": "not-the-password"])
        #expect(wrong.status == 77, "\(wrong)")
        #expect(wrong.stderr.contains("535"), "\(wrong.stderr)")

        let missing = try Subprocess.herald(["send", unsent.path])
        #expect(missing.status == 78 && missing.stderr.contains("HERALD_TEST_PASSWORD is not set"))

        // The password appears in no output and no file Herald wrote.
        for result in [first, loose, second, wrong, missing] {
            #expect(!result.stdout.contains(Self.password) && !result.stderr.contains(Self.password))
            #expect(!encoded.contains { result.stderr.contains($0) || result.stdout.contains($0) })
        }
        for folder in [byEnv.folder, byFile.folder] {
            let files = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
            for name in files where name != "secret.txt" {
                let text = folder.read(name) ?? ""
                #expect(!text.contains(Self.password) && !encoded.contains { text.contains($0) }, "\(name) holds the password")
            }
        }
    }
}

extension TestCampaign {
    /// The same campaign with extra lines in its [smtp] table.
    func withSMTP(_ lines: String) -> TestCampaign {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        try? (text + "\n" + lines + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return self
    }
}
