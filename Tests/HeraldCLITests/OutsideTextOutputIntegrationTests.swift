import Foundation
import HeraldTestSupport
import Testing

/// Scalars a terminal would act on: C0 but line feed, DEL, C1, and the bidirectional controls.
/// A `cat -v`-like check of a command's real output.
func rawTerminalControls(_ text: String) -> [UInt32] {
    text.unicodeScalars.map(\.value).filter {
        ($0 < 0x20 && $0 != 0x0A) || (0x7F...0x9F).contains($0) || [0x061C, 0x200E, 0x200F, 0x2028, 0x2029].contains($0)
            || (0x202A...0x202E).contains($0) || (0x2066...0x2069).contains($0)
    }
}

/// Outside text (CSV values, server replies) reaches warnings, the preview table, `send`, `status`
/// and `check` with its controls visible; the log keeps it exactly.
@Suite(.tags(.integration)) struct OutsideTextOutputIntegrationTests {
    /// A server's reply with terminal escapes: `send` and `status` show it, the log keeps it exactly.
    @Test func aServersRepliesAreShownNotInterpreted() throws {
        let hostile = "5.1.1 \u{1B}]0;pwned\u{07}\u{1B}[2J\u{7F}no such user"  // SMTP replies are ASCII
        let server = try SMTPTestServer(faults: ["--rcpt-reply", "ben@two.example=550:\(hostile)"])
        let folder = TemporaryDirectory("herald-visible-replies")
        folder.write("letter.mustache", "From: Press <press@amnesty.example>\nTo: {{email}}\nSubject: Open letter\n\nDear reader,\nthe letter.\n")
        folder.write("list.csv", "email\nann@one.example\nben@two.example\n")
        let path = folder.write(
            "campaign.toml",
            """
            name = "replies"
            template = "letter.mustache"
            recipients = ["list.csv"]
            log = "delivery.jsonl"
            [smtp]
            url = "\(server.url)"
            """)
        let send = try Subprocess.herald(["send", path])
        #expect(send.status == 1, "one letter refused: \(send)")
        #expect(rawTerminalControls(send.stdout + send.stderr).isEmpty, "\(send)")
        #expect(send.stdout.contains(#"550 5.1.1 \u001B]0;pwned\u0007\u001B[2J\u007Fno such user"#), "\(send.stdout)")
        let status = try Subprocess.herald(["status", path])
        #expect(rawTerminalControls(status.stdout + status.stderr).isEmpty, "\(status)")
        #expect(status.stdout.contains(#"\u001B]0;pwned\u0007\u001B[2J\u007Fno such user"#), "\(status.stdout)")
        let log = folder.read("delivery.jsonl") ?? ""
        let replies = log.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .compactMap { $0["smtp_reply"] as? String }
        #expect(replies.contains("550 \(hostile)"), "the log keeps the exact text: \(replies)")
    }

    /// A greeting with terminal escapes: `check` names the failure with them made visible.
    @Test func aHostileGreetingIsShownNotInterpretedByCheck() throws {
        let server = try SMTPTestServer(faults: ["--greeting-reply", "554:5.7.1 \u{1B}]0;pwned\u{07}\u{1B}[2Jgo away"])
        let campaign = TestCampaign(url: server.url)
        let result = try Subprocess.herald(["check", campaign.path])
        #expect(result.status == 69, "\(result)")
        #expect(rawTerminalControls(result.stdout + result.stderr).isEmpty, "\(result)")
        #expect((result.stdout + result.stderr).contains(#"\u001B]0;pwned\u0007\u001B[2Jgo away"#), "\(result)")
    }

    @Test func csvValuesInWarningsAndThePreviewTableAreShownNotInterpreted() throws {
        let folder = TemporaryDirectory("herald-visible-output")
        folder.write("letter.mustache", "From: Press <press@amnesty.example>\nTo: {{email}}\nSubject: For {{name}}\n\nDear {{name}},\nthe letter.\n")
        folder.write("letter.fr.mustache", "From: Press <press@amnesty.example>\nTo: {{email}}\nSubject: Pour {{name}}\n\nBonjour {{name}},\nla lettre.\n")
        folder.write("list.csv", "email,name,language\nann@one.example,\u{202E}nnA,fr\nben@two.example,Ben,e\u{1B}[2Js\n")
        let path = folder.write(
            "campaign.toml",
            """
            name = "visible"
            template = "letter.mustache"
            recipients = ["list.csv"]
            log = "delivery.jsonl"
            [templates]
            fr = "letter.fr.mustache"
            [smtp]
            url = "smtp://127.0.0.1:9"
            """)
        let validate = try Subprocess.herald(["validate", path])
        #expect(validate.status == 0, "\(validate)")
        #expect(rawTerminalControls(validate.stdout + validate.stderr).isEmpty, "\(validate)")
        #expect(validate.stderr.contains(#"language "e\u001B[2Js""#), "quoted as the list writes it: \(validate.stderr)")

        let preview = try Subprocess.herald(["preview", path, "--out", folder.file("preview")])
        #expect(preview.status == 0, "\(preview)")
        #expect(rawTerminalControls(preview.stdout + preview.stderr).isEmpty, "\(preview)")
        #expect(preview.stdout.contains(#"Pour \u202EnnA"#), "\(preview.stdout)")
    }

    /// Hostile review, round 2: ArgumentParser echoed an unknown option or a bad value as given,
    /// so an argument built from a list or a bounce reached the terminal raw. Its messages go
    /// through the same filter now, with the same exit statuses.
    @Test func argumentParserErrorsShowControlCharactersVisibly() throws {
        let hostile = "\u{1B}]0;PWN\u{07}\u{1B}[2J\u{202E}"
        for arguments in [
            ["status", "c.toml", "--x" + hostile], ["resolve", "c.toml", "--recipient", "a@x.example", "--as", "s" + hostile],
            ["bogus" + hostile],
        ] {
            let run = try Subprocess.herald(arguments)
            #expect(run.status == 64, "\(run)")
            #expect(rawTerminalControls(run.stdout + run.stderr).isEmpty, "\(run)")
            #expect(run.stderr.contains(#"\u001B]0;PWN\u0007\u001B[2J\u202E"#), "\(run.stderr)")
        }
    }

}
