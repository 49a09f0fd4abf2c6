import Foundation
import HeraldTestSupport
import Testing

/// `herald check` against real servers: what it reports, its exit statuses (those `send`
/// would end with), and that the server never receives `MAIL`.
@Suite(.tags(.integration)) struct CheckIntegrationTests {
    static let password = "check-Pa55word-only-for-this-test"
    static let variable = "HERALD_TEST_PASSWORD"

    static func check(_ campaign: TestCampaign, _ more: [String] = [], password: String = password) throws -> Subprocess.Result {
        try Subprocess.herald(["check", campaign.path] + more, environment: [variable: password])
    }

    /// The server's commands once the probe's connection has closed.
    static func commands(_ server: SMTPTestServer) -> [String] {
        // The server records the session when it ends: wait for its QUIT (a condition, not a fixed sleep).
        _ = waitUntil(5) { server.commands().contains { $0.uppercased().hasPrefix("QUIT") } }
        return server.commands()
    }

    @Test func aPlainServerIsReadyAndNoMailIsSent() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        let result = try Self.check(campaign)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("greeting: 220 herald-test.localhost"), "\(result.stdout)")
        #expect(result.stdout.contains("capabilities: SIZE 33554432"), "\(result.stdout)")
        #expect(result.stdout.contains("TLS: none (the server did not offer STARTTLS"), "\(result.stdout)")
        #expect(result.stdout.contains("SIZE: the server takes up to 33554432 bytes; the largest letter is"), "\(result.stdout)")
        #expect(result.stdout.contains("SMTPUTF8: not needed"), "\(result.stdout)")
        #expect(result.stdout.contains("cli-test: ok: 15 letters can go to"), "\(result.stdout)")
        #expect(Self.commands(server) == ["EHLO", "QUIT"], "the session ends with QUIT, not a dropped connection")
        #expect(server.messages().isEmpty && campaign.folder.read("delivery.jsonl") == nil, "no mail, no log")
    }

    @Test func startTLSWithTheTestCAAndTheRightPassword() throws {
        let certs = try TestCertificates()
        let server = try SMTPTestServer(faults: certs.serverArguments("good") + ["--require-tls", "--auth", "press:\(Self.password)"])
        let campaign = TestCampaign(url: "smtp://localhost:\(server.port)").withSMTP(
            "tls = \"required\"\nca_file = \"\(certs.file("ca.pem"))\"\nusername = \"press\"\npassword_env = \"\(Self.variable)\"")
        let result = try Self.check(campaign, ["--verbose"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("TLS: TLSv1."), "\(result.stdout)")
        #expect(
            result.stdout.contains("certificate: /O=Herald tests/CN=localhost, issued by /O=Herald tests/CN=Herald Test CA, expires 20"), "\(result.stdout)")
        #expect(result.stdout.contains(", verified"), "\(result.stdout)")
        #expect(result.stdout.contains("AUTH: accepted for press (235"), "\(result.stdout)")
        #expect(result.stderr.contains("smtp: > STARTTLS"), "the --verbose trace: \(result.stderr)")
        let encoded = [Data("\u{0}press\u{0}\(Self.password)".utf8).base64EncodedString(), Data(Self.password.utf8).base64EncodedString()]
        for secret in [Self.password] + encoded {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret), "the password never appears")
        }
        let quit = try #require(result.stderr.range(of: "smtp: > QUIT\n"), "QUIT over TLS: \(result.stderr)")
        #expect(result.stderr[quit.upperBound...].contains("smtp: < 221 "), "the server's goodbye after it: \(result.stderr)")
        #expect(Self.commands(server) == ["EHLO", "STARTTLS", "EHLO", "AUTH", "QUIT"])
        #expect(server.messages().isEmpty)
    }

    @Test func aWrongPasswordExits77AsSendWould() throws {
        let server = try SMTPTestServer(faults: ["--auth", "press:\(Self.password)"])
        let campaign = TestCampaign(url: server.url).withSMTP("username = \"press\"\npassword_env = \"\(Self.variable)\"")
        let result = try Self.check(campaign, password: "wrong-password")
        #expect(result.status == 77, "\(result)")
        #expect(result.stderr.contains("the server refused the login: 535"), "\(result.stderr)")
        #expect(!Self.commands(server).contains("MAIL"))
    }

    @Test func aSIZELimitBelowTheLargestLetterExits1AsSendWould() throws {
        let server = try SMTPTestServer(faults: ["--size-limit", "2000"])
        let campaign = TestCampaign(url: server.url)
        let result = try Self.check(campaign)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("SIZE: the server takes up to 2000 bytes; the largest letter is"), "\(result.stdout)")
        #expect(result.stderr.contains("15 of 15 letters are larger than the server's SIZE limit of 2000 bytes"), "\(result.stderr)")
        #expect(Self.commands(server) == ["EHLO", "QUIT"])
        // What send then does: the server refuses each at MAIL FROM … SIZE= (552), logged failed, exit 1.
        let send = try campaign.send(nil)
        #expect(send.status == 1, "\(send)")
        #expect(server.messages().isEmpty)
    }

    /// A letter a few bytes under the server's SIZE was called "ok", and a relay that adds its
    /// trace and milter headers then refused every letter (552): a letter closer to the limit
    /// than `relayHeaderMargin` is a problem, and an ok says how much room is left.
    @Test func aLetterWithinTheRelayMarginOfSIZEIsNotOk() throws {
        let campaign = TestCampaign(url: "smtp://127.0.0.1:1")
        let roomy = try SMTPTestServer()
        let first = try Self.check(campaign, ["--smtp-url", roomy.url])
        #expect(first.status == 0, "\(first)")
        let words = first.stdout.components(separatedBy: "the largest letter is ").dropFirst().first?.split(separator: " ")
        let largest = try #require(words?.first.flatMap { Int($0) }, "\(first.stdout)")

        let tight = try SMTPTestServer(faults: ["--size-limit", "\(largest + 29)"])
        let close = try Self.check(campaign, ["--smtp-url", tight.url])
        #expect(close.status == 1, "\(close)")
        #expect(close.stdout.contains("bytes (to "), "\(close.stdout)")
        #expect(close.stdout.contains("too close to the limit"), "\(close.stdout)")
        #expect(close.stderr.contains("within 2048 bytes of the server's SIZE limit of \(largest + 29) bytes"), "\(close.stderr)")
        #expect(close.stderr.contains("relays count the trace and milter headers they add"), "\(close.stderr)")

        let enough = try SMTPTestServer(faults: ["--size-limit", "\(largest + 2048)"])
        let fits = try Self.check(campaign, ["--smtp-url", enough.url])
        #expect(fits.status == 0, "\(fits)")
        #expect(fits.stdout.contains(": ok (at least 2048 bytes to spare for the headers relays add)"), "\(fits.stdout)")
        #expect(tight.messages().isEmpty && enough.messages().isEmpty)
    }

    @Test func anUnreachableServerExits69AndAMissingPasswordSource78() throws {
        let campaign = TestCampaign(url: "smtp://127.0.0.1:\(unusedLoopbackPort())")
        let result = try Self.check(campaign)
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.contains("server unavailable"), "\(result.stderr)")
        let unset = TestCampaign(url: "smtp://127.0.0.1:\(unusedLoopbackPort())").withSMTP("username = \"press\"\npassword_env = \"HERALD_UNSET_VARIABLE\"")
        let config = try Subprocess.herald(["check", unset.path])
        #expect(config.status == 78, "\(config)")
    }

    @Test func requiredTLSWithoutSTARTTLSExits69() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: "smtp://localhost:\(server.port)").withSMTP("tls = \"required\"")
        let result = try Self.check(campaign)
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.contains("did not offer STARTTLS"), "\(result.stderr)")
    }

    @Test func smtputf8NeededIsCheckedAgainstWhatTheServerOffers() throws {
        let csv = "email,name\nann@x.example,Ann\njosé@x.example,José\n"
        let template = "From: Office <office@org.example>\nTo: {{name}} <{{email}}>\nSubject: Hello\n\nDear {{name}}.\n"
        let plain = try SMTPTestServer()
        let refused = try Self.check(TestCampaign(url: plain.url, template: template, csv: csv))
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stdout.contains("SMTPUTF8: needed by 1 letter; NOT offered"), "\(refused.stdout)")
        #expect(refused.stderr.contains("josé@x.example"), "\(refused.stderr)")
        let offering = try SMTPTestServer(faults: ["--smtputf8"])
        let accepted = try Self.check(TestCampaign(url: offering.url, template: template, csv: csv))
        #expect(accepted.status == 0, "\(accepted)")
        #expect(accepted.stdout.contains("SMTPUTF8: needed by 1 letter (a non-ASCII address); offered"), "\(accepted.stdout)")
    }

    @Test func anInvalidCampaignIsRefusedBeforeConnecting() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url, csv: "email,name\nnot-an-address,X\n")
        let result = try Self.check(campaign)
        #expect(result.status == 65, "\(result)")
        #expect(server.connections() == 0)
    }
}
