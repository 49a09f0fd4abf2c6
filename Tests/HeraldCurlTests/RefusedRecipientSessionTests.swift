import Foundation
import HeraldCore
import HeraldCurl
import HeraldTestSupport
import Synchronization
import Testing

/// What a refused row's own address costs on the wire with libcurl 7.88: the figures behind
/// the README's Performance section ("Refused addresses and sessions").
///
/// libcurl ends every failed transfer by closing its connection (`QUIT`, then for the next
/// letter a new connection, EHLO, STARTTLS, EHLO and AUTH), and a refused `RCPT TO` of the
/// row's own address is a failed transfer (`CURLE_SEND_ERROR`, or the read callback's abort
/// when a Cc was accepted): its mail path has no `RSET`. A refused Cc or Bcc is not a failure
/// (`CURLOPT_MAIL_RCPT_ALLOWFAILS`) and keeps the session. These tests pin both down against
/// the real test server over STARTTLS, so a libcurl that starts keeping sessions (or resuming
/// TLS on reconnect, which 7.88 never does after STARTTLS) shows up here, and print the cost.
@Suite(.tags(.integration)) struct RefusedRecipientSessionTests {
    struct Figures: CustomStringConvertible {
        var letters = 0, refused = 0, connections = 0, quits = 0, fullHandshakes = 0, resumedHandshakes = 0
        var seconds = 0.0
        var description: String {
            "\(letters) letters, \(refused) refused: \(connections) connection(s), \(quits) QUIT, \(fullHandshakes) TLS handshake(s) "
                + "(\(resumedHandshakes) resumed), \(String(format: "%.3f", seconds)) s"
        }
    }

    /// Sends one letter per address over one `CurlTransport` (tls = required), the server
    /// refusing (550) the addresses in `refused`, and `cc` (when given) added to every
    /// envelope after the row's own address.
    static func run(_ addresses: [String], refused: Set<String>, cc: String? = nil) throws -> Figures {
        let certs = try TestCertificates()
        let faults = refused.sorted().flatMap { ["--rcpt-reply", "\($0)=550"] }
        let server = try SMTPTestServer(faults: certs.serverArguments("good") + faults)
        let trace = Mutex<[String]>([])
        var endpoint = try SMTPEndpoint(
            url: SMTPURL(parsing: "smtp://localhost:\(server.port)"), tls: .required,
            connectTimeout: 5, responseTimeout: 30, caFile: certs.file("ca.pem"))
        endpoint.trace = { line in trace.withLock { $0.append(line) } }
        let transport = try CurlTransport(endpoint: endpoint)
        let messages = try addresses.map { address in
            var message = try CurlTransportIntegrationTests.message(to: address)
            if let cc { message.envelopeRecipients.append(try EmailAddress(parsing: cc)) }
            return message
        }
        var figures = Figures(letters: addresses.count)
        let start = Date()
        for message in messages {
            switch transport.deliver(message) {
            case .accepted: break
            case .rejected(550, _): figures.refused += 1
            case let other: Issue.record("\(message.envelopeRecipients): \(other)")
            }
        }
        figures.seconds = Date().timeIntervalSince(start)
        figures.connections = server.connections()
        figures.quits = server.commands().count { $0 == "QUIT" }
        trace.withLock { lines in
            figures.fullHandshakes = lines.count { $0.contains("TLS handshake, Client hello") }
            figures.resumedHandshakes = lines.count { $0.contains("SSL re-using session ID") }
        }
        #expect(server.messages().count == addresses.count - figures.refused)
        return figures
    }

    @Test func aRefusedRowsOwnAddressCostsItsSession() throws {
        let addresses = (1...200).map { "r\($0)@x.example" }
        let everyOther = Set(addresses.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
        let clean = try Self.run(addresses.filter { !everyOther.contains($0) }, refused: [])
        #expect(clean.connections == 1 && clean.fullHandshakes == 1, "\(clean)")
        let refusing = try Self.run(addresses, refused: everyOther)
        #expect(refusing.refused == 100, "\(refusing)")
        // r2, r4, … r200 refused: each refusal closes the connection, the next row opens one.
        #expect(refusing.connections == 100 && refusing.quits == 100, "one session per refused row: \(refusing)")
        #expect(
            refusing.fullHandshakes == 100 && refusing.resumedHandshakes == 0,
            "libcurl 7.88 resumes no TLS session after STARTTLS: \(refusing)")
        let perRefusal = (refusing.seconds - clean.seconds) / Double(refusing.refused)
        print("refused-rows: \(clean)")
        print("refused-rows: \(refusing)")
        print("refused-rows: each refused row cost \(String(format: "%.2f", perRefusal * 1000)) ms more than not sending it")
    }

    /// The row's own address refused while its Cc is accepted: libcurl goes on to DATA, the
    /// read callback stops the transfer at the server's 354 (nothing of the letter is sent),
    /// and the connection, now inside DATA, can only be closed.
    @Test func aRefusedRowWithAnAcceptedCcCostsItsSessionToo() throws {
        let addresses = (1...10).map { "r\($0)@x.example" }
        let figures = try Self.run(addresses, refused: Set(addresses), cc: "attache@x.example")
        #expect(figures.refused == 10 && figures.connections == 10, "\(figures)")
        print("refused-rows (Cc accepted): \(figures)")
    }

    @Test func aRefusedCcKeepsTheSession() throws {
        let addresses = (1...20).map { "r\($0)@x.example" }
        let figures = try Self.run(addresses, refused: ["attache@x.example"], cc: "attache@x.example")
        #expect(figures.refused == 0 && figures.connections == 1 && figures.fullHandshakes == 1, "\(figures)")
    }
}
