import Foundation
import HeraldCore
import HeraldCurl
import HeraldTestSupport
import Testing

/// `SMTPProbe` (libcurl connect-only) against the real test server: what it learns, and that
/// the server never receives `MAIL`. Every test starts its own server.
@Suite(.tags(.integration)) struct SMTPProbeIntegrationTests {
    static let password = "probe-Pa55word-only-for-this-test"

    static func endpoint(
        _ url: String, tls: TLSMode, user: String? = nil, password: String? = nil,
        caFile: String? = nil
    ) throws -> SMTPEndpoint {
        try SMTPEndpoint(
            url: SMTPURL(parsing: url), tls: tls, username: user, password: password, connectTimeout: 5,
            responseTimeout: 30, caFile: caFile)
    }

    @Test func aPlainServerGivesItsGreetingAndCapabilitiesAndNoMail() throws {
        let server = try SMTPTestServer(faults: ["--size-limit", "12345"])
        let report = SMTPProbe(endpoint: try Self.endpoint(server.url, tls: .opportunistic)).run()
        #expect(report.failure == nil, "\(report)")
        #expect(report.greeting?.hasPrefix("220 herald-test.localhost") == true)
        #expect(report.capabilities.contains("SIZE 12345") && report.sizeLimit == 12345, "\(report.capabilities)")
        #expect(!report.offers("SMTPUTF8") && report.tls == nil && report.authReply == nil)
        #expect(report.quitReply?.hasPrefix("221 ") == true, "the server said goodbye: \(report)")
        // The server notes a command before answering it: after its 221 every command is noted.
        #expect(server.commands() == ["EHLO", "QUIT"], "connect-only: greeting and EHLO, then QUIT, nothing else")
        #expect(server.messages().isEmpty)
    }

    @Test func startTLSWithTheTestCAReportsVersionCipherAndCertificate() throws {
        let certs = try TestCertificates()
        let server = try SMTPTestServer(faults: certs.serverArguments("good") + ["--require-tls", "--smtputf8"])
        let url = "smtp://localhost:\(server.port)"
        let report = SMTPProbe(endpoint: try Self.endpoint(url, tls: .required, caFile: certs.file("ca.pem"))).run()
        #expect(report.failure == nil, "\(report)")
        let tls = try #require(report.tls)
        #expect(tls.version.hasPrefix("TLSv1."), "\(tls)")
        #expect(!tls.cipher.isEmpty && tls.cipher != "?")
        #expect(tls.certificateSubject?.contains("CN=localhost") == true, "\(tls)")
        #expect(tls.certificateIssuer?.contains("Herald Test CA") == true, "\(tls)")
        let expiry = try #require(tls.certificateNotAfter)
        #expect(expiry > Date() && expiry < Date().addingTimeInterval(3 * 366 * 86_400))
        #expect(report.certificateVerified)
        #expect(report.offers("SMTPUTF8"), "the capabilities are the EHLO after STARTTLS: \(report.capabilities)")
        #expect(report.quitReply?.hasPrefix("221 ") == true, "QUIT and its 221 over TLS: \(report)")
        #expect(server.commands() == ["EHLO", "STARTTLS", "EHLO", "QUIT"])

        let other = SMTPProbe(endpoint: try Self.endpoint(url, tls: .required, caFile: certs.file("other-ca.pem"))).run()
        guard case .tls(let reason)? = other.failure else {
            Issue.record("an unknown issuer is a TLS failure: \(other)")
            return
        }
        #expect(reason.contains("unable to get local issuer certificate"), "\(reason)")
    }

    @Test func authRightAndWrong() throws {
        let certs = try TestCertificates()
        let server = try SMTPTestServer(faults: certs.serverArguments("good") + ["--auth", "press:\(Self.password)"])
        let url = "smtp://localhost:\(server.port)"
        let right = SMTPProbe(
            endpoint: try Self.endpoint(
                url, tls: .required, user: "press", password: Self.password,
                caFile: certs.file("ca.pem"))
        ).run()
        #expect(right.failure == nil, "\(right)")
        #expect(right.authReply?.hasPrefix("235") == true, "\(right)")
        let wrong = SMTPProbe(
            endpoint: try Self.endpoint(
                url, tls: .required, user: "press", password: "not-it",
                caFile: certs.file("ca.pem"))
        ).run()
        guard case .authentication(let reply)? = wrong.failure else {
            Issue.record("a refused login: \(wrong)")
            return
        }
        #expect(reply.hasPrefix("535"), "\(reply)")
        usleep(200_000)
        #expect(!server.commands().contains("MAIL") && server.commands().filter { $0 == "AUTH" }.count == 2, "\(server.commands())")
    }

    @Test func credentialsForAServerWithoutAUTHAreRefusedAsASendWould() throws {
        let server = try SMTPTestServer()
        let report = SMTPProbe(endpoint: try Self.endpoint(server.url, tls: .none, user: "press", password: Self.password)).run()
        guard case .authentication(let reason)? = report.failure else {
            Issue.record("expected an authentication failure: \(report)")
            return
        }
        #expect(reason.contains("did not offer AUTH"))
    }

    @Test func nobodyListeningIsUnavailable() throws {
        let report = SMTPProbe(endpoint: try Self.endpoint("smtp://127.0.0.1:\(unusedLoopbackPort())", tls: .opportunistic)).run()
        guard case .unavailable? = report.failure else {
            Issue.record("expected unavailable: \(report)")
            return
        }
    }

    @Test func aRefusedGreetingIsUnavailable() throws {
        let server = try SMTPTestServer(faults: ["--greeting-reply", "554"])
        let report = SMTPProbe(endpoint: try Self.endpoint(server.url, tls: .opportunistic)).run()
        guard case .unavailable(let reason)? = report.failure else {
            Issue.record("expected unavailable: \(report)")
            return
        }
        #expect(reason.contains("554"), "\(reason)")
    }

    @Test func theTransportAttestsTheBytesItHandedOverAndTheTLS() throws {
        let certs = try TestCertificates()
        let server = try SMTPTestServer(faults: certs.serverArguments("good"))
        let transport = try CurlTransport(
            endpoint: Self.endpoint(
                "smtp://localhost:\(server.port)", tls: .required,
                caFile: certs.file("ca.pem")))
        let message = try CurlTransportIntegrationTests.message(to: "r1@x.example", body: "One\r\n.two\r\n")
        guard case .accepted = transport.deliver(message) else {
            Issue.record("not accepted")
            return
        }
        let proof = try #require(transport.lastHandOver)
        let stored = try #require(server.messages().first)
        #expect(proof.messageSHA256 == SHA256.hex(stored.data), "the hash of what the server stored")
        #expect(proof.tlsVersion?.hasPrefix("TLSv1.") == true && proof.tlsCipher?.isEmpty == false, "\(proof)")

        let plain = try SMTPTestServer()
        let plainTransport = try CurlTransport(endpoint: Self.endpoint(plain.url, tls: .opportunistic))
        _ = plainTransport.deliver(message)
        #expect(plainTransport.lastHandOver == HandOverProof(messageSHA256: SHA256.hex(message.data)), "no TLS, no TLS fields")
        let refused = try SMTPTestServer(faults: ["--rcpt-reply", "r1@x.example=550"])
        let refusedTransport = try CurlTransport(endpoint: Self.endpoint(refused.url, tls: .opportunistic))
        _ = refusedTransport.deliver(message)
        #expect(refusedTransport.lastHandOver == nil, "nothing to attest for a letter not accepted")
    }
}
