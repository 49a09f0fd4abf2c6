import Foundation
import Testing

@testable import HeraldCore

/// Campaign files written with dotted keys (`smtp.url = …` at the top level) and inline tables
/// (`smtp = { url = "…" }`): read like `[smtp]`, and every problem on the line it is on.
@Suite struct CampaignTOMLShapeTests {
    static let file = "/srv/herald/campaigns/dialogue.toml"

    /// Lines 1-4; the SMTP settings follow from line 5.
    static let head = """
        name = "c"
        template = "t.mustache"
        recipients = ["r.csv"]
        log = "l.jsonl"

        """

    static func diagnostics(_ text: String) -> [Diagnostic] {
        do {
            let campaign = try Campaign.parse(text, file: file)
            Issue.record("accepted: \(campaign)")
            return []
        } catch {
            return error.diagnostics
        }
    }

    // MARK: Accepted alike

    @Test(arguments: [
        "[smtp]\nurl = \"smtp://mail.example:587\"\ntls = \"required\"\nusername = \"u\"\npassword_env = \"P\"\n[retry]\nmax_attempts = 3\n",
        "smtp.url = \"smtp://mail.example:587\"\nsmtp.tls = \"required\"\nsmtp.username = \"u\"\nsmtp.password_env = \"P\"\nretry.max_attempts = 3\n",
        "smtp = { url = \"smtp://mail.example:587\", tls = \"required\", username = \"u\", password_env = \"P\" }\nretry = { max_attempts = 3 }\n",
        "\"smtp\".'url' = \"smtp://mail.example:587\"\nsmtp . tls = \"required\"\nsmtp.username = \"u\"\nsmtp.\"password_env\" = \"P\"\nretry = { max_attempts = 3 }\n",
    ])
    func dottedKeysAndInlineTablesReadLikeTables(smtp: String) throws {
        let campaign = try Campaign.parse(Self.head + smtp, file: Self.file)
        #expect(campaign.smtp.url == "smtp://mail.example:587")
        #expect(campaign.smtp.explicitTLS == .required)
        #expect(campaign.smtp.username == "u")
        #expect(campaign.smtp.passwordEnv == "P")
        #expect(campaign.retry.maxAttempts == 3)
    }

    // MARK: Unknown keys

    @Test func unknownDottedSMTPKeyIsNamedWithItsLine() {
        let problems = Self.diagnostics(Self.head + "smtp.url = \"smtp://127.0.0.1\"\n# a comment\nsmtp.port = 25\n")
        #expect(problems.map(\.field) == ["smtp.port"], "\(problems)")
        #expect(problems.first?.line == 7)
        #expect(problems.first?.message.contains("unknown key") == true)
    }

    @Test func unknownKeyInAnInlineTableIsNamedWithItsLine() {
        let problems = Self.diagnostics(Self.head + "\n\nsmtp = { url = \"smtp://127.0.0.1\", port = 25 }\n")
        #expect(problems.map(\.field) == ["smtp.port"], "\(problems)")
        #expect(problems.first?.line == 7)
    }

    @Test func unknownDottedTopLevelKeyIsNamedWithItsLine() {
        let problems = Self.diagnostics(Self.head + "\nextras.colour = \"blue\"\n[smtp]\nurl = \"smtp://127.0.0.1\"\n")
        #expect(problems.map(\.field) == ["extras"], "\(problems)")
        #expect(problems.first?.line == 6)
    }

    @Test func passwordInAnInlineTableIsRefusedOnItsLine() {
        let secret = "hunter2-\(UUID().uuidString)"
        let problems = Self.diagnostics(
            Self.head + "smtp = { url = \"smtp://mail.example:587\", username = \"u\", password_env = \"P\", password = \"\(secret)\" }\n")
        #expect(problems.map(\.field) == ["smtp.password"], "\(problems)")
        #expect(problems.first?.line == 5)
        #expect(!ValidationFailure(problems).description.contains(secret))
    }

    // MARK: Wrong types

    @Test func wrongTypeOfADottedKeyIsNamedWithItsLine() {
        let problems = Self.diagnostics(Self.head + "smtp.url = \"smtp://127.0.0.1\"\n\nsmtp.tls = 5\nretry.max_attempts = \"three\"\n")
        #expect(problems.map(\.field) == ["smtp.tls", "retry.max_attempts"], "\(problems)")
        #expect(problems.map(\.line) == [7, 8])
        #expect(problems.first?.message == "must be a string, found integer")
    }

    @Test func wrongTypeInAnInlineTableIsNamedWithItsLine() {
        let problems = Self.diagnostics(Self.head + "smtp = { url = \"smtp://127.0.0.1\" }\nretry = { max_attempts = 1, max_backoff_seconds = \"soon\" }\n")
        #expect(problems.map(\.field) == ["retry.max_backoff_seconds"], "\(problems)")
        #expect(problems.first?.line == 6)
    }

    @Test func inlineTableWhereAStringBelongsIsNamedWithItsLine() {
        let problems = Self.diagnostics(Self.head + "timezone = { zone = \"UTC\" }\nsmtp = { url = \"smtp://127.0.0.1\" }\n")
        #expect(problems.map(\.field) == ["timezone"], "\(problems)")
        #expect(problems.first?.line == 5)
        #expect(problems.first?.message == "must be a string, found table")
    }

    @Test func smtpThatIsAnArrayIsNamedWithItsLine() {
        let problems = Self.diagnostics(Self.head + "\nsmtp = [\"smtp://127.0.0.1\"]\n")
        #expect(problems.map(\.field) == ["smtp"], "\(problems)")
        #expect(problems.first?.line == 6)
    }

    // MARK: Missing url

    @Test func missingURLAmongDottedKeysPointsAtTheFirstOne() {
        let problems = Self.diagnostics(Self.head + "\nsmtp.username = \"u\"\nsmtp.password_env = \"P\"\n")
        #expect(problems.map(\.field) == ["smtp.url"], "\(problems)")
        #expect(problems.first?.line == 6)
        #expect(problems.first?.message.hasPrefix("missing") == true)
    }

    @Test func missingURLInAnInlineTablePointsAtIt() {
        let problems = Self.diagnostics(Self.head + "\n\nsmtp = { username = \"u\", password_env = \"P\" }\n")
        #expect(problems.map(\.field) == ["smtp.url"], "\(problems)")
        #expect(problems.first?.line == 7)
    }

    @Test func malformedURLInAnInlineTableIsNamedWithItsLine() {
        let problems = Self.diagnostics(Self.head + "smtp = { url = \"http://mail.example\" }\n")
        #expect(problems.map(\.field) == ["smtp.url"], "\(problems)")
        #expect(problems.first?.line == 5)
        #expect(problems.first?.message == "\"http://mail.example\" is not an smtp:// or smtps:// URL with a host (and no user or password in it)")
    }

    // MARK: Text that only looks like keys

    @Test func keysInsideMultiLineStringsAndArraysAreNotTakenForKeys() {
        let text = """
            name = "c"
            template = '''
            [smtp]
            port = 1
            '''
            recipients = [
                "r.csv",  # port = 2
            ]
            log = "l.jsonl"
            [smtp]
            url = "smtp://127.0.0.1"
            description = \"\"\"
            port = 3 \\\"\"\"
            \"\"\"
            port = 25
            """
        let problems = Self.diagnostics(text)
        #expect(problems.map(\.field) == ["smtp.description", "smtp.port"], "\(problems)")
        #expect(problems.map(\.line) == [12, 15])
    }
}

/// `TOMLKeyLocator` alone: the line of every key path of a document.
@Suite struct TOMLKeyLocatorTests {
    @Test func findsHeadersDottedKeysAndNestedInlineTables() {
        let locator = TOMLKeyLocator(
            """
            a = 1
            b.c.d = 2
            e = { f = { g = 3 }, h = [ { i = 4 } ] }
            [j . "k.l"]
            m = 'x # not a comment'
            [[n]]
            o = 5
            [[n]]
            p = 6
            """)
        #expect(locator.lines[["a"]] == 1)
        #expect(locator.lines[["b"]] == 2 && locator.lines[["b", "c"]] == 2 && locator.lines[["b", "c", "d"]] == 2)
        #expect(locator.lines[["e"]] == 3 && locator.lines[["e", "f", "g"]] == 3 && locator.lines[["e", "h"]] == 3)
        #expect(locator.lines[["e", "h", "i"]] == nil, "an array's elements are not keys")
        #expect(locator.lines[["i"]] == nil)
        #expect(locator.lines[["j", "k.l"]] == 4 && locator.lines[["j", "k.l", "m"]] == 5)
        #expect(locator.lines[["n"]] == 6 && locator.lines[["n", "o"]] == 7 && locator.lines[["n", "p"]] == 9)
    }

    @Test func aKeyNotWrittenFallsBackToItsTable() {
        let locator = TOMLKeyLocator("name = \"c\"\n\n[smtp]\nusername = \"u\"\n")
        #expect(locator.line(of: ["smtp", "url"]) == 3)
        #expect(locator.line(of: "url", in: "smtp") == 3)
        #expect(locator.line(of: "username", in: "smtp") == 4)
        #expect(locator.line(of: ["template"]) == nil)
        #expect(locator.line(of: "name", in: nil) == 1)
    }

    @Test func quotedKeysAreDecoded() {
        let locator = TOMLKeyLocator("\"a\\u0062c\" = 1\n'd\\e' = 2\n\"f.g\".h = 3\n")
        #expect(locator.lines[["abc"]] == 1)
        #expect(locator.lines[["d\\e"]] == 2)
        #expect(locator.lines[["f.g", "h"]] == 3)
    }

    @Test func multiLineValuesCountTheirLines() {
        let locator = TOMLKeyLocator(
            "a = \"\"\"\none\ntwo\"\"\"\"\"\nb = [\n  1,\n  # c = 0\n  2,\n]\r\nc = '''x\ny'''\nd = 1979-05-27 07:32:00Z # e = 0\ne = 1\n")
        #expect(locator.lines[["b"]] == 4)
        #expect(locator.lines[["c"]] == 9)
        #expect(locator.lines[["d"]] == 11)
        #expect(locator.lines[["e"]] == 12)
    }

    @Test(arguments: ["a = \"unterminated\nb = 1\n", "[unclosed\nb = 1\n", "= = =\n{]\nb = 1\n", "a = { b = \n", "a = [\"x\", \n"])
    func endsOnTextThatIsNotTOML(text: String) {
        _ = TOMLKeyLocator(text)  // returns: never stuck, never out of bounds
    }
}

/// `CampaignFile`: the raw shape a campaign file decodes into, before validation.
@Suite struct CampaignFileTests {
    typealias RootKey = CampaignFile.RootKey

    @Test func keepsEveryKeyAsWrittenWithItsLine() throws {
        let file = try CampaignFile.decode(
            """
            name = "c"
            recipients = ["a.csv", 2]
            colour = "blue"
            smtp.url = "smtp://127.0.0.1"
            smtp.reply_timeout_seconds = 1.5
            retry = "often"
            """, file: "c.toml")
        #expect(file.root[.name] == CampaignFile.Field(value: .string("c"), line: 1))
        #expect(file.root[.recipients] == CampaignFile.Field(value: .array([.string("a.csv"), .integer(2)]), line: 2))
        #expect(file.root.unknownKeys == [CampaignFile.UnknownKey(name: "colour", line: 3)])
        #expect(file.root[.smtp] == CampaignFile.Field(value: .table, line: 4))
        #expect(file.smtp?.line == 4)
        #expect(file.smtp?[.url] == CampaignFile.Field(value: .string("smtp://127.0.0.1"), line: 4))
        #expect(file.smtp?[.replyTimeoutSeconds] == CampaignFile.Field(value: .float(1.5), line: 5))
        #expect(file.retry == nil)
        #expect(file.root[.retry] == CampaignFile.Field(value: .string("often"), line: 6))
        #expect(file.root[.template] == nil)
    }

    @Test func namesEachTypeAsTOMLDoes() throws {
        let file = try CampaignFile.decode(
            "name = 1979-05-27\ntemplate = 07:32:00\nlog = 1979-05-27T07:32:00Z\nschedule = true\ntimezone = 1.0\n",
            file: "c.toml")
        #expect(
            [RootKey.name, .template, .log, .schedule, .timezone].map { file.root[$0]?.value }
                == [.other("date"), .other("time"), .other("date-time"), .bool(true), .float(1)])
        let values: [CampaignFile.Value] = [
            .other("date"), .other("time"), .other("date-time"), .bool(true), .float(1),
            .string(""), .integer(0), .array([]), .table,
        ]
        #expect(
            values.map(\.typeName) == [
                "date", "time", "date-time", "bool", "floating-point number",
                "string", "integer", "array", "table",
            ])
    }

    @Test func theKnownKeysAreTheDocumentedOnes() {
        #expect(
            CampaignFile.Table<CampaignFile.RootKey>.knownKeys
                == "address_columns, allow_duplicates, attachments, bounces, catch_up_seconds, dkim, html, limits, log, name, recipients, require_approval, retry, schedule, smtp, template, templates, timezone"
        )
        #expect(
            CampaignFile.Table<CampaignFile.SMTPKey>.knownKeys
                == "allow_plaintext, ca_file, password_env, password_file, reply_timeout_seconds, tls, url, username")
        #expect(CampaignFile.Table<CampaignFile.RetryKey>.knownKeys == "initial_backoff_seconds, max_attempts, max_backoff_seconds")
        #expect(CampaignFile.Table<CampaignFile.AttachmentsKey>.knownKeys == "max_bytes_per_letter")
        #expect(
            CampaignFile.Table<CampaignFile.BouncesKey>.knownKeys
                == "ca_file, password_env, password_file, poll_seconds, processed_folder, suppress, url, username, verp")
        #expect(CampaignFile.Table<CampaignFile.HTMLKey>.knownKeys == "language, remote_images")
    }
}

/// `SMTPURL`: parsed once, keeping the text as written.
@Suite struct SMTPURLTests {
    @Test func keepsTheTextAndNamesTheServer() throws {
        let url = try SMTPURL(parsing: "SMTP://Mail.Example/ehlo")
        #expect(url.text == "SMTP://Mail.Example/ehlo" && url.description == url.text)
        #expect(url.host == "Mail.Example" && url.port == nil && !url.secure)
        #expect(url.server == "smtp://mail.example:25")
        #expect(try SMTPURL(parsing: "smtps://[::1]").server == "smtps://::1:465")
        #expect(try SMTPURL(parsing: "smtps://[::1]").isLoopback)
    }

    @Test func aMalformedURLSaysWhy() {
        #expect(throws: SMTPURL.Malformed(text: "smtp://u:p@host")) { try SMTPURL(parsing: "smtp://u:p@host") }
        #expect(SMTPURL.Malformed(text: "x").description == "\"x\" is not an smtp:// or smtps:// URL with a host (and no user or password in it)")
    }
}
