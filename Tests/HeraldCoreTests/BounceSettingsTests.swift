import Foundation
import Testing

@testable import HeraldCore

/// `[bounces]` in the campaign file, and VERP on the letters it asks for.
@Suite struct BounceSettingsTests {
    static func parse(_ bounces: String) -> Result<Campaign, ValidationFailure> {
        let text = """
            name = "c"
            template = "t.mustache"
            recipients = ["r.csv"]
            log = "l.jsonl"
            [smtp]
            url = "smtp://127.0.0.1:2525"
            [bounces]
            \(bounces)
            """
        do { return .success(try Campaign.parse(text, file: "c.toml")) } catch { return .failure(error) }
    }

    @Test func aCompleteTableWithItsDefaults() throws {
        let campaign = try Self.parse("url = \"imaps://imap.amnesty.example/INBOX\"\nusername = \"press\"\npassword_env = \"PW\"").get()
        let bounces = try #require(campaign.bounces)
        #expect(bounces.url.host == "imap.amnesty.example" && bounces.url.secure && bounces.url.folder == "INBOX" && !bounces.url.isLoopback)
        #expect(bounces.url.root == "imaps://imap.amnesty.example/")
        #expect(bounces.processedFolder == "Processed" && bounces.pollSeconds == 300 && !bounces.verp && !bounces.suppress)
    }

    @Test func mistakesAreDiagnosedWithTheirKey() {
        let cases: [(String, String)] = [
            ("url = \"pop3://x/INBOX\"\nusername = \"u\"\npassword_env = \"P\"", "bounces.url"),
            ("url = \"imap://u:p@x/INBOX\"\nusername = \"u\"\npassword_env = \"P\"", "bounces.url"),
            ("url = \"imap://x/INBOX\"\nusername = \"u\"", "bounces.username"),
            ("url = \"imap://x/INBOX\"\nusername = \"u\"\npassword = \"secret\"\npassword_env = \"P\"", "bounces.password"),
            ("url = \"imap://x/INBOX\"\nusername = \"u\"\npassword_env = \"P\"\nprocessed_folder = \"INBOX\"", "bounces.processed_folder"),
            ("url = \"imap://x/INBOX\"\nusername = \"u\"\npassword_env = \"P\"\npoll_seconds = 1", "bounces.poll_seconds"),
            ("url = \"imap://x/INBOX\"\nusername = \"u\"\npassword_env = \"P\"\nverp = \"yes\"", "bounces.verp"),
        ]
        for (table, field) in cases {
            guard case .failure(let failure) = Self.parse(table) else {
                Issue.record("accepted: \(table)")
                continue
            }
            #expect(failure.diagnostics.contains { $0.description.contains(field) }, "\(failure.diagnostics)")
            #expect(!failure.diagnostics.contains { $0.description.contains("secret") })
        }
    }

    @Test func verpPutsTheLettersTokenInTheEnvelopeSender() throws {
        var prepared = try TestData.prepared("email,name\nann@x.example,Ann\n")
        let plain = try prepared.compose(prepared.recipients[0], date: Date(timeIntervalSince1970: 0))
        #expect(plain.envelopeFrom.description == "sender@org.example")
        prepared.campaign.bounces = BounceSettings(url: try IMAPURL(parsing: "imap://127.0.0.1/INBOX"), username: "u", passwordEnv: "P")
        prepared.campaign.bounces?.verp = true
        let message = try prepared.compose(prepared.recipients[0], date: Date(timeIntervalSince1970: 0))
        let token = try #require(VERP.token(ofMessageID: message.messageID))
        #expect(message.envelopeFrom.description == "sender+\(token)@org.example")
        #expect(VERP.token(inAddress: message.envelopeFrom.description) == token)
    }
}
