import Foundation
import HeraldCore
import HeraldCurl
import HeraldTestSupport
import Testing

/// libcurl against a real SMTP server (aiosmtpd) on loopback: every test starts its own.
@Suite(.tags(.integration)) struct CurlTransportIntegrationTests {
    static func message(to recipient: String, body: String = "Hello.\r\n") throws -> ComposedMessage {
        let letter = RenderedLetter(
            headers: [
                (name: "From", value: "Sender <sender@org.example>", line: 1),
                (name: "To", value: recipient, line: 2),
                (name: "Subject", value: "Test for \(recipient)", line: 3),
            ], body: body)
        return try MessageComposer.compose(letter, campaign: "transport-test", recipientKey: recipient, date: Date())
    }

    static func transport(_ server: SMTPTestServer, responseTimeout: Int = 600) throws -> CurlTransport {
        try CurlTransport(
            endpoint: SMTPEndpoint(url: try SMTPURL(parsing: server.url), tls: .opportunistic, connectTimeout: 5, responseTimeout: responseTimeout))
    }

    @Test func reusesOneConnectionAndDeliversBytesExactly() throws {
        let server = try SMTPTestServer()
        let transport = try Self.transport(server)
        let body = "Line one\r\n.leading dot\r\n..two dots\r\n.\r\nlast\r\n"
        var sent: [ComposedMessage] = []
        for index in 1...5 {
            let message = try Self.message(to: "r\(index)@x.example", body: body)
            sent.append(message)
            guard case .accepted(let code, let reply, _) = transport.deliver(message) else {
                Issue.record("message \(index) not accepted")
                continue
            }
            #expect(code == 250)
            #expect(reply?.hasPrefix("250 2.0.0 Ok: queued as HERALD") == true)
            #expect(reply.map { !$0.hasSuffix("\r") && !$0.hasSuffix("\n") } == true)
        }
        let received = server.messages()
        #expect(received.count == 5)
        #expect(received.map(\.data) == sent.map(\.data), "the server stores exactly the composed bytes, dots included")
        #expect(received.map(\.recipients) == (1...5).map { ["r\($0)@x.example"] })
        #expect(received.allSatisfy { $0.mailFrom == "sender@org.example" })
        #expect(server.connections() == 1)
    }

    @Test func rejectedRecipientIsPermanentAndNextMessageReconnects() throws {
        let server = try SMTPTestServer(faults: ["--rcpt-reply", "bad@x.example=550"])
        let transport = try Self.transport(server)
        let outcome = transport.deliver(try Self.message(to: "bad@x.example"))
        guard case .rejected(let code, let reply) = outcome else {
            Issue.record("expected rejected, got \(outcome)")
            return
        }
        // libcurl 7.88 keeps a refused RCPT's text to itself: the code is what Herald can log.
        #expect(code == 550 && reply.hasPrefix("550 "))
        guard case .accepted = transport.deliver(try Self.message(to: "good@x.example")) else {
            Issue.record("the next message was not accepted")
            return
        }
        #expect(server.messages().map(\.recipients) == [["good@x.example"]])
    }

    @Test(arguments: [
        (["--rcpt-reply", "a@x.example=451"], 451),
        (["--data-reply", "451"], 451),
        (["--mail-reply", "452"], 452),
    ])
    func transientRepliesAreDeferred(faults: [String], code: Int) throws {
        let server = try SMTPTestServer(faults: faults)
        let outcome = try Self.transport(server).deliver(try Self.message(to: "a@x.example"))
        guard case .deferred(let got, let reply, _) = outcome else {
            Issue.record("expected deferred, got \(outcome)")
            return
        }
        #expect(got == code)
        #expect(reply?.hasPrefix("\(code) ") == true)
        #expect(server.messages().isEmpty)
    }

    @Test func permanentDataRejectionIsFailed() throws {
        let server = try SMTPTestServer(faults: ["--data-reply", "554"])
        let outcome = try Self.transport(server).deliver(try Self.message(to: "a@x.example"))
        guard case .rejected(554, _) = outcome else {
            Issue.record("expected rejected 554, got \(outcome)")
            return
        }
    }

    @Test func refusedConnectionIsUnavailable() throws {
        let port = unusedLoopbackPort()
        let transport = try CurlTransport(endpoint: SMTPEndpoint(url: try SMTPURL(parsing: "smtp://127.0.0.1:\(port)"), tls: .opportunistic, connectTimeout: 5))
        let outcome = transport.deliver(try Self.message(to: "a@x.example"))
        guard case .unavailable = outcome else {
            Issue.record("expected unavailable, got \(outcome)")
            return
        }
    }

    @Test func greetingRefusalIsUnavailable() throws {
        let server = try SMTPTestServer(faults: ["--greeting-reply", "421"])
        let outcome = try Self.transport(server).deliver(try Self.message(to: "a@x.example"))
        guard case .unavailable(let error) = outcome else {
            Issue.record("expected unavailable, got \(outcome)")
            return
        }
        #expect(error.contains("421"))
    }

    @Test func noReplyAfterTheBodyIsInDoubt() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "4"])
        let outcome = try Self.transport(server, responseTimeout: 1).deliver(try Self.message(to: "a@x.example"))
        guard case .inDoubt = outcome else {
            Issue.record("expected in doubt, got \(outcome)")
            return
        }
    }

    @Test func utf8AddressNeedsSMTPUTF8() throws {
        let capable = try SMTPTestServer(faults: ["--smtputf8"])
        let outcome = try Self.transport(capable).deliver(try Self.message(to: "josé@x.example"))
        guard case .accepted = outcome else {
            Issue.record("expected accepted, got \(outcome)")
            return
        }
        #expect(capable.messages().map(\.recipients) == [["josé@x.example"]])
        let index = (try? String(contentsOfFile: (capable.mailbox as NSString).appendingPathComponent("index.jsonl"), encoding: .utf8)) ?? ""
        #expect(index.contains("SMTPUTF8"), "libcurl announces SMTPUTF8 on MAIL FROM: \(index)")

        let plain = try SMTPTestServer()
        let transport = try Self.transport(plain)
        for _ in 1...2 {  // the second time on the same handle: decided from the EHLO already seen
            let refused = transport.deliver(try Self.message(to: "josé@x.example"))
            guard case .refused(let reason) = refused else {
                Issue.record("expected refused, got \(refused)")
                return
            }
            #expect(reason.contains("SMTPUTF8"))
            guard case .accepted = transport.deliver(try Self.message(to: "jose@x.example")) else {
                Issue.record("an ASCII message after the refusal was not accepted")
                return
            }
        }
        #expect(plain.messages().map(\.recipients) == [["jose@x.example"], ["jose@x.example"]], "no UTF-8 address reached a server without SMTPUTF8")
    }

    @Test func oneProcessNeverMixesTLSSettingsForOneServer() throws {
        let port = unusedLoopbackPort()
        let url = try SMTPURL(parsing: "smtp://127.0.0.1:\(port)")
        _ = try CurlTransport(endpoint: SMTPEndpoint(url: url, tls: .opportunistic))
        _ = try CurlTransport(endpoint: SMTPEndpoint(url: url, tls: .opportunistic))
        let server = "smtp://127.0.0.1:\(port)"
        #expect(throws: TransportSetupError.conflictingTLS(server: server, first: .opportunistic, now: .none)) {
            try CurlTransport(endpoint: SMTPEndpoint(url: url, tls: .none))
        }
        // The same server, though this URL adds a path.
        #expect(throws: TransportSetupError.conflictingTLS(server: server, first: .opportunistic, now: .required)) {
            try CurlTransport(endpoint: SMTPEndpoint(url: try SMTPURL(parsing: "smtp://127.0.0.1:\(port)/ehlo"), tls: .required))
        }
    }

    @Test func requiredTLSWithoutSTARTTLSFails() throws {
        let server = try SMTPTestServer()
        // "localhost", not 127.0.0.1: the other tests in this process use opportunistic TLS
        // there, and one process keeps one TLS setting per server.
        let transport = try CurlTransport(
            endpoint: SMTPEndpoint(url: try SMTPURL(parsing: "smtp://localhost:\(server.port)"), tls: .required, connectTimeout: 5))
        let outcome = transport.deliver(try Self.message(to: "a@x.example"))
        guard case .tlsFailed(let error) = outcome else {
            Issue.record("expected tlsFailed, got \(outcome)")
            return
        }
        #expect(error.contains("STARTTLS"))
        #expect(server.messages().isEmpty)
    }
}
