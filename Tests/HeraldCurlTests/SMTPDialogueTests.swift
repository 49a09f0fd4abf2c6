import Testing

@testable import HeraldCurl

/// Pairing libcurl's commands with the server's replies, as the transport sees them.
@Suite struct SMTPDialogueTests {
    static func run(_ events: [String]) -> SMTPDialogue {
        var dialogue = SMTPDialogue()
        for event in events {
            if event.hasPrefix("> ") {
                dialogue.sent(String(event.dropFirst(2)) + "\r\n")
            } else if let reply = SMTPReply(line: event + "\r\n") {
                dialogue.received(reply)
            }
        }
        return dialogue
    }

    @Test func eachReplyBelongsToItsCommand() {
        let dialogue = Self.run([
            "220 mx.example ESMTP", "> EHLO herald", "250-mx.example", "250-SIZE 1000", "250 STARTTLS",
            "> STARTTLS", "220 2.0.0 Ready", "> EHLO herald", "250 mx.example",
            "> AUTH PLAIN AHByZXNzAHNlY3JldA==", "235 2.7.0 ok",
            "> MAIL FROM:<s@org.example> SIZE=10", "250 2.1.0 Ok",
            "> RCPT TO:<a@x.example>", "250 2.1.5 Ok",
            "> RCPT TO:<press@org.example>", "550-5.1.1 <press@org.example>: Recipient address rejected:", "550 5.1.1 mailbox full",
            "> DATA", "354 go ahead", "250 2.0.0 Ok: queued as 1",
        ])
        #expect(dialogue.startedTLS)
        #expect(dialogue.mailReply == .init(code: 250, text: "250 2.1.0 Ok"))
        #expect(dialogue.recipientReplies.map(\.address) == ["a@x.example", "press@org.example"])
        #expect(dialogue.recipientReplies[1].reply.text == "550 5.1.1 <press@org.example>: Recipient address rejected: 5.1.1 mailbox full")
        #expect(dialogue.recipientReplies[1].reply.enhancedStatus == "5.1.1")
        #expect(dialogue.dataReply?.code == 354)
        #expect(dialogue.endOfDataReply?.text == "250 2.0.0 Ok: queued as 1")
        #expect(!"\(dialogue.replies)".contains("AHByZXNz"), "credentials are never kept")
    }

    @Test func aReusedConnectionStartsWithMailFrom() {
        let dialogue = Self.run(["> MAIL FROM:<s@org.example>", "550 5.7.1 Sender rejected"])
        #expect(dialogue.mailReply?.code == 550)
        #expect(dialogue.recipientReplies.isEmpty && !dialogue.sentRecipients)
    }

    @Test func aReplyWithOnlyACodeKeepsTheCode() {
        let dialogue = Self.run(["> MAIL FROM:<s@org.example>", "250", "> RCPT TO:<a@x.example>", "451"])
        #expect(dialogue.recipientReplies.first?.reply == .init(code: 451, text: "451"))
        #expect(dialogue.recipientReplies.first?.reply.enhancedStatus == nil)
    }

    @Test(arguments: [
        ("554 5.7.1 <sender@org.example>: Sender address rejected: Sender blocked by policy", true),
        ("504 5.5.2 <vm>: Helo command rejected: need fully-qualified hostname", true),
        ("554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied", true),
        ("553 5.1.8 Domain of sender address does not exist", true),
        ("550 5.1.1 <a@x.example>: Recipient address rejected: User unknown in virtual mailbox table", false),
        ("550 5.1.1 <A@X.example>: Recipient address rejected", false),
        ("550 5.7.1 Relaying denied", false),
        ("550 No such user here", false),
        ("550", false),
    ])
    func aRefusalAtRCPTCanConcernTheSession(text: String, session: Bool) {
        let reply = SMTPDialogue.Reply(code: Int(text.prefix(3))!, text: text)
        #expect(reply.concernsSession(recipient: "a@x.example") == session)
    }
}
