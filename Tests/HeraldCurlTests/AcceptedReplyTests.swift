import CCurl
import HeraldCore
import Testing

@testable import HeraldCurl

/// A letter libcurl reports as sent is logged with the server's reply to the end of the
/// message as received, and with none when none was captured: never a reply the server
/// did not send.
@Suite struct AcceptedReplyTests {
    /// A transport that never connects: `classify` only reads the dialogue it is given.
    static func transport() throws -> CurlTransport {
        try CurlTransport(endpoint: SMTPEndpoint(url: "smtp://accepted-reply.invalid:2525", tls: .none))
    }

    static func transfer(_ events: [String]) -> Transfer {
        let transfer = Transfer(data: Array("Subject: x\r\n\r\nHello.\r\n".utf8))
        transfer.dialogue = SMTPDialogueTests.run(events)
        return transfer
    }

    static let upToData = [
        "> MAIL FROM:<s@org.example>", "250 2.1.0 Ok", "> RCPT TO:<a@x.example>", "250 2.1.5 Ok",
        "> DATA", "354 go ahead",
    ]

    @Test func theServersOwnReplyIsKept() throws {
        let outcome = try Self.transport().classify(CURLE_OK, Self.transfer(Self.upToData + ["250 2.0.0 Ok: queued as 7"]))
        #expect(outcome == .accepted(code: 250, reply: "250 2.0.0 Ok: queued as 7", refused: []))
    }

    @Test func aReplyThatWasNotCapturedIsNotMadeUp() throws {
        let outcome = try Self.transport().classify(CURLE_OK, Self.transfer(Self.upToData))
        #expect(outcome == .accepted(code: nil, reply: nil, refused: []))
        let none = try Self.transport().classify(CURLE_OK, Self.transfer([]))
        #expect(none == .accepted(code: nil, reply: nil, refused: []))
    }
}
