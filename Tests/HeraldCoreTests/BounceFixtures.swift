import Foundation
import HeraldCore
import HeraldTestSupport

/// The synthetic bounce corpus in Fixtures/bounces (written for these tests in the shapes
/// of the published formats) and the campaign log its letters come from.
enum BounceFixtures {
    static let folder = PackagePaths.path("Tests/HeraldCoreTests/Fixtures/bounces")
    static let campaign = "eu-china-dialogue"

    static func bytes(_ name: String, crlf: Bool = false) throws -> [UInt8] {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(name))))
        guard crlf else { return bytes }
        var out: [UInt8] = []
        for byte in bytes {
            if byte == 0x0A { out.append(0x0D) }
            out.append(byte)
        }
        return out
    }

    static var names: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".eml") }.sorted() ?? []
    }

    /// The letters of the campaign: recipient → the hash part of its Message-ID.
    static let letters: [(recipient: String, token: String)] = [
        ("minister@foreign.ministry.example", "4a1f0c9e2d7b4c8a9e3f6b5d1c0a7e21"),
        ("press@interior.gov.example", "5b2e1d0f3c8a4d9b8f4e7c6a2d1b8f32"),
        ("secretary@justice.gov.example", "6c3f2e1a4d9b4e0c9a5f8d7b3e2c9a43"),
        ("office@health.gov.example", "7d4a3f2b5e0c4f1d8b6a9e8c4f3d0b54"),
        ("cabinet@finance.gov.example", "8e5b4a3c6f1d4a2e9c7b0f9d5a4e1c65"),
        ("ambassador@embassy.example", "9f6c5b4d7a2e4b3f8d8c1a0e6b5f2d76"),
        ("minister@agriculture.gov.example", "a07d6c5e8b3f4c4a9e9d2b1f7c6a3e87"),
        ("spokesperson@defence.gov.example", "b18e7d6f9c4a4d5b8f0e3c2a8d7b4f98"),
        ("registry@parliament.gov.example", "c29f8e7a0d5b4e6c9a1f4d3b9e8c5a09"),
    ]

    static func messageID(_ token: String) -> String { "<\(token).herald@amnesty.example>" }

    /// An intent and a `sent` record for every letter.
    static var sentRecords: [DeliveryRecord] {
        letters.flatMap { letter in
            [DeliveryStatus.sending, .sent].map {
                DeliveryRecord(
                    time: "2026-11-29T09:13:57Z", campaign: campaign, recipient: letter.recipient,
                    messageID: messageID(letter.token), status: $0, attempt: 1,
                    smtpCode: $0 == .sent ? 250 : nil, smtpReply: $0 == .sent ? "250 2.0.0 Ok" : nil)
            }
        }
    }

    /// What each fixture must give: kind, outcome, status, the letter's recipient (nil: not
    /// attributed) and, when the parser must find them, the remote MTA and the diagnostic.
    struct Expected {
        var kind: BounceMessage.Kind
        var outcome: BounceOutcome?
        var status: String?
        var letter: String?
        var clue: BounceAttribution.Clue?
        var remoteMTA: String?
        var diagnostic: String?
        var finalRecipient: String?
    }

    static let expected: [String: Expected] = [
        "rfc3464-hard.eml": Expected(
            kind: .deliveryReport, outcome: .bounced, status: "5.1.1", letter: "minister@foreign.ministry.example",
            clue: .returnedHeaders, remoteMTA: "mx1.foreign.ministry.example",
            diagnostic: "SMTP; 550 5.1.1 <minister@foreign.ministry.example>... Mailbox does not exist",
            finalRecipient: "minister@foreign.ministry.example"),
        "rfc3464-soft.eml": Expected(
            kind: .deliveryReport, outcome: .delayed, status: "4.2.2", letter: "press@interior.gov.example",
            clue: .returnedHeaders, remoteMTA: "store3.interior.gov.example",
            diagnostic: "smtp; 452 4.2.2 Mailbox over quota, try again later", finalRecipient: "press@interior.gov.example"),
        "postfix-hard.eml": Expected(
            kind: .deliveryReport, outcome: .bounced, status: "5.1.1", letter: "secretary@justice.gov.example",
            clue: .returnedHeaders, remoteMTA: "mx.justice.gov.example",
            diagnostic: "smtp; 550 5.1.1 <secretary@justice.gov.example>: Recipient    address rejected: User unknown in virtual mailbox table",
            finalRecipient: "secretary@justice.gov.example"),
        "postfix-delayed.eml": Expected(
            kind: .deliveryReport, outcome: .delayed, status: "4.4.1", letter: "office@health.gov.example",
            clue: .returnedHeaders, remoteMTA: nil,
            diagnostic: "X-Postfix; connect to mx.health.gov.example[203.0.113.7]:25:    Connection timed out",
            finalRecipient: "office@health.gov.example"),
        "exim-failed.eml": Expected(
            kind: .textBounce, outcome: .bounced, status: "5.2.1", letter: "cabinet@finance.gov.example",
            clue: .returnedHeaders, remoteMTA: "mx2.finance.gov.example",
            diagnostic: "SMTP error from remote mail server after RCPT TO:<cabinet@finance.gov.example>: 550 5.2.1 Mailbox disabled, not accepting messages",
            finalRecipient: "cabinet@finance.gov.example"),
        "exchange-ndr.eml": Expected(
            kind: .deliveryReport, outcome: .bounced, status: "5.1.10", letter: "ambassador@embassy.example",
            clue: .returnedHeaders, remoteMTA: nil,
            diagnostic: "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
            finalRecipient: "ambassador@embassy.example"),
        "exchange-legacy-text.eml": Expected(
            kind: .textBounce, outcome: .bounced, status: "5.2.2", letter: "minister@agriculture.gov.example",
            clue: .returnedHeaders, remoteMTA: "exch.agriculture.gov.example",
            diagnostic: "<exch.agriculture.gov.example #5.2.2 smtp;552 5.2.2 Mailbox quota exceeded>",
            finalRecipient: "minister@agriculture.gov.example"),
        "gmail-hard.eml": Expected(
            kind: .deliveryReport, outcome: .bounced, status: "5.1.1", letter: "spokesperson@defence.gov.example",
            clue: .returnedHeaders,
            remoteMTA: "mx.defence.gov.example. (198.51.100.77, the server for the domain defence.gov.example.)",
            diagnostic: "smtp; 550 5.1.1 The email account that you tried to reach does not exist.",
            finalRecipient: "spokesperson@defence.gov.example"),
        "auto-reply.eml": Expected(kind: .autoReply),
        "unrelated.eml": Expected(kind: .other),
        "other-campaign.eml": Expected(
            kind: .deliveryReport, outcome: .bounced, status: "5.1.1", diagnostic: "smtp; 550 5.1.1 unknown user",
            finalRecipient: "someone@elsewhere.example"),
        "no-headers-verp.eml": Expected(
            kind: .deliveryReport, outcome: .bounced, status: "5.7.1", letter: nil,
            remoteMTA: "mx.parliament.gov.example", diagnostic: "smtp; 554 5.7.1 Message rejected by recipient policy",
            finalRecipient: "registry@parliament.gov.example"),
    ]
}
