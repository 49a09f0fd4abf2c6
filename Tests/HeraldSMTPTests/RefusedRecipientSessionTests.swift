import Foundation
import HeraldCore
import HeraldSMTP
import HeraldTestSupport
import Synchronization
import Testing

/// What a refused row's own address costs on the wire with libcurl 7.88: the figures behind
/// the README's Performance section ("Refused addresses and sessions").
///
/// libcurl ends every failed transfer by closing its connection (`QUIT`, then a new
/// connection, EHLO, STARTTLS and AUTH for the next letter), and a refused `RCPT TO` of
/// the row's own address is a failed transfer: there is no `RSET` in its mail path. These
/// tests pin that down against the real test server, over STARTTLS, so a libcurl that starts
/// keeping the session shows up here, and measure what the reconnects cost.
@Suite struct RefusedRecipientSessionTests {
    /// Sends `count` letters over one transport, every `refusedEvery`-th row's address refused
    /// (550) by the server; returns the connections the server saw, the TLS handshakes that
    /// resumed an earlier session, and the seconds the run took.
    static func run(count: Int, refusedEvery: Int?) throws -> (connections: Int, resumed: Int, refused: Int, seconds: Double) {
        let certs = try TestCertificates()
        let refusedRows = (1...count).filter { index in refusedEvery.map { index % $0 == 0 } ?? false }
        let faults = refusedRows.flatMap { ["--rcpt-reply", "r\($0)@x.example=550"] }
        let server = try SMTPTestServer(faults: certs.serverArguments("good") + faults)
        let trace = Mutex<[String]>([])
        var endpoint = try SMTPEndpoint(url: SMTPURL(parsing: "smtp://localhost:\(server.port)"), tls: .required,
                                        connectTimeout: 5, responseTimeout: 30, caFile: certs.file("ca.pem"))
        endpoint.trace = { line in trace.withLock { $0.append(line) } }
        let transport = try CurlTransport(endpoint: endpoint)
        let messages = try (1...count).map { try CurlTransportIntegrationTests.message(to: "r\($0)@x.example") }
        let start = Date()
        var refused = 0
        for message in messages {
            switch transport.deliver(message) {
            case .accepted: break
            case .rejected(let code, _) where code == 550: refused += 1
            case let other: Issue.record("\(message.envelopeRecipients): \(other)")
            }
        }
        let seconds = Date().timeIntervalSince(start)
        let resumed = trace.withLock { $0.count { $0.contains("SSL re-using session ID") } }
        #expect(server.messages().count == count - refusedRows.count)
        return (server.connections(), resumed, refused, seconds)
    }

    @Test func aRefusedRowsOwnAddressCostsItsSessionIntegration() throws {
        let clean = try Self.run(count: 40, refusedEvery: nil)
        #expect(clean.connections == 1 && clean.refused == 0, "\(clean)")
        let refusing = try Self.run(count: 40, refusedEvery: 2)
        #expect(refusing.refused == 20, "\(refusing)")
        // r2, r4, … r40 refused: each refusal closes the connection, the next row opens one.
        #expect(refusing.connections == 20, "one session per refused row: \(refusing)")
        print("refused-rows: 40 letters, none refused: \(clean.connections) connection(s), \(String(format: "%.3f", clean.seconds)) s; 20 refused: \(refusing.connections) connections, \(refusing.resumed) TLS resumptions, \(String(format: "%.3f", refusing.seconds)) s")
    }
}
