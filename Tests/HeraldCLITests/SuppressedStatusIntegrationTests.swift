import Foundation
import HeraldTestSupport
import Testing

/// `herald status` shows a row that `send` skips for the suppression list as `suppressed`
/// (`status --json` counts it there, not in `pending`) until its address is removed.
@Suite(.tags(.integration)) struct SuppressedStatusIntegrationTests {
    @Test func aSuppressedRowIsSuppressedInStatusUntilRemoved() throws {
        let server = try SMTPTestServer()
        let folder = TemporaryDirectory("herald-suppressed-status")
        folder.write("letter.mustache", "From: Press <press@amnesty.example>\nTo: {{email}}\nSubject: Open letter\n\nDear reader,\nthe letter.\n")
        folder.write("list.csv", "email\nann@one.example\nBen@Two.example\n")
        let path = folder.write(
            "campaign.toml",
            """
            name = "later-campaign"
            template = "letter.mustache"
            recipients = ["list.csv"]
            log = "delivery.jsonl"
            [smtp]
            url = "\(server.url)"
            [bounces]
            url = "imap://127.0.0.1:9/INBOX"
            username = "bounces"
            password_env = "HERALD_TEST_IMAP_PASSWORD"
            suppress = true
            """)
        folder.write("suppressed.txt", "# Herald suppression list\nben@two.example\t2026-11-28T10:00:00Z\tearlier\t5.1.1\tsmtp; 550 5.1.1 no such user\n")
        func json() throws -> [String: Any] {
            let result = try Subprocess.herald(["status", path, "--json"])
            #expect(result.status == 0, "\(result)")
            return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        }

        let before = try json()
        #expect(before["pending"] as? Int == 1 && before["suppressed"] as? Int == 1, "\(before)")
        let sent = try Subprocess.herald(["send", path])
        #expect(sent.status == 0, "\(sent)")
        let after = try json()
        #expect(
            after["pending"] as? Int == 0 && after["suppressed"] as? Int == 1 && after["sent"] as? Int == 1, "a script waiting for pending == 0 ends: \(after)")
        let table = try Subprocess.herald(["status", path])
        #expect(table.stdout.contains("ben@two.example  suppressed"), "\(table.stdout)")
        #expect(table.stdout.contains("0 pending, 1 suppressed"), "\(table.stdout)")

        #expect(try Subprocess.herald(["suppressed", "remove", path, "ben@two.example"]).status == 0)
        let removed = try json()
        #expect(removed["pending"] as? Int == 1 && removed["suppressed"] as? Int == 0, "pending again once removed: \(removed)")
    }
}
