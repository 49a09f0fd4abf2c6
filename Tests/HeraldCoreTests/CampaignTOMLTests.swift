import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

@Suite struct CampaignTOMLTests {
    static let file = "/srv/herald/campaigns/dialogue.toml"

    static let minimal = """
        name = "eu-china-dialogue-1999"
        template = "letter.mustache"
        recipients = ["lists/eu.csv", "/abs/other.csv"]
        log = "../var/dialogue.log.jsonl"

        [smtp]
        url = "smtp://mail.amnesty.example:587"
        """

    static func parse(_ text: String, file: String = file) throws(ValidationFailure) -> Campaign {
        try Campaign.parse(text, file: file)
    }

    /// The diagnostics of a campaign file that must be refused.
    static func diagnostics(_ text: String, file: String = file) -> [Diagnostic] {
        do {
            let campaign = try Campaign.parse(text, file: file)
            Issue.record("accepted: \(campaign)")
            return []
        } catch {
            return error.diagnostics
        }
    }

    /// `minimal` with its `[smtp]` table replaced.
    static func withSMTP(_ smtp: String) -> String {
        """
        name = "c"
        template = "t.mustache"
        recipients = ["r.csv"]
        log = "l.jsonl"

        [smtp]
        \(smtp)
        """
    }

    // MARK: Accepted

    @Test func readsAMinimalCampaign() throws {
        let campaign = try Self.parse(Self.minimal)
        #expect(campaign.name == "eu-china-dialogue-1999")
        #expect(campaign.file == Self.file)
        #expect(campaign.templatePath == "/srv/herald/campaigns/letter.mustache")
        #expect(campaign.recipientPaths == ["/srv/herald/campaigns/lists/eu.csv", "/abs/other.csv"])
        #expect(campaign.logPath == "/srv/herald/var/dialogue.log.jsonl")
        #expect(campaign.schedule == nil)
        #expect(campaign.smtp.url == "smtp://mail.amnesty.example:587")
        #expect(campaign.smtp.explicitTLS == nil)
        #expect(campaign.smtp.tls == .required)
        #expect(campaign.smtp.username == nil)
    }

    @Test func readsEveryOptionalKey() throws {
        let text = """
            # a comment
            name = "weekly_digest.v2"
            template = 'letter.mustache'   # literal string
            recipients = [
                "a.csv",
                "b.csv",
            ]
            log = "log.jsonl"
            schedule = "2099-01-01T09:00:00Z"

            [smtp]
            url = "smtps://smtp.mail.example"
            tls = "required"
            username = "herald"
            password_env = "HERALD_SMTP_PASSWORD"
            """
        let campaign = try Self.parse(text, file: "dialogue.toml")
        #expect(campaign.name == "weekly_digest.v2")
        #expect(campaign.schedule == "2099-01-01T09:00:00Z")
        #expect(campaign.templatePath == "letter.mustache")
        #expect(campaign.recipientPaths == ["a.csv", "b.csv"])
        #expect(campaign.smtp.explicitTLS == .required)
        #expect(campaign.smtp.username == "herald")
        #expect(campaign.smtp.passwordEnv == "HERALD_SMTP_PASSWORD")
        #expect(campaign.smtp.passwordFile == nil)
    }

    @Test func passwordFileIsAcceptedInsteadOfPasswordEnv() throws {
        let campaign = try Self.parse(Self.withSMTP("url = \"smtp://mail.example:587\"\nusername = \"u\"\npassword_file = \"secret.txt\""))
        #expect(campaign.smtp.passwordFile == "secret.txt")
        #expect(campaign.smtp.passwordEnv == nil)
    }

    @Test(arguments: [
        ("Campaigns/c.toml", "letter.mustache", "Campaigns/letter.mustache"),
        ("c.toml", "letter.mustache", "letter.mustache"),
        ("/srv/c/c.toml", "./sub/./letter.mustache", "/srv/c/sub/letter.mustache"),
        ("/srv/c/c.toml", "../shared/letter.mustache", "/srv/shared/letter.mustache"),
        ("/srv/c/c.toml", "/etc/herald/letter.mustache", "/etc/herald/letter.mustache"),
        ("/srv/c/c.toml", "sub//letter.mustache", "/srv/c/sub/letter.mustache"),
    ])
    func pathsAreResolvedAgainstTheCampaignFilesFolder(campaignFile: String, written: String, expected: String) throws {
        let text = "name = \"c\"\ntemplate = \"\(written)\"\nrecipients = [\"\(written)\"]\nlog = \"\(written)\"\n[smtp]\nurl = \"smtp://127.0.0.1\"\n"
        let campaign = try Self.parse(text, file: campaignFile)
        #expect(campaign.templatePath == expected)
        #expect(campaign.recipientPaths == [expected])
        #expect(campaign.logPath == expected)
    }

    @Test func theRepositoryCampaignParses() throws {
        let path = PackagePaths.path("Campaigns/eu-china-dialogue-1999.toml")
        let campaign = try Campaign.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
        #expect(campaign.name == "eu-china-dialogue-1999")
        #expect(campaign.templatePath == PackagePaths.path("Templates/eu-china-dialogue-1999.mustache"))
        #expect(FileManager.default.fileExists(atPath: campaign.templatePath))
        #expect(campaign.recipientPaths.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        #expect(campaign.smtp.tls == .opportunistic)
    }

    // MARK: TLS

    @Test(arguments: [
        ("smtp://127.0.0.1:2525", TLSMode.opportunistic),
        ("smtp://127.0.0.1", .opportunistic),
        ("smtp://127.8.9.10:25", .opportunistic),
        ("smtp://localhost:25", .opportunistic),
        ("smtp://LOCALHOST", .opportunistic),
        ("smtp://[::1]:2525", .opportunistic),
        ("smtp://mail.amnesty.example:587", .required),
        ("smtp://192.168.1.10:25", .required),
        ("smtp://127.0.0.1.attacker.example", .required),
        ("smtp://localhost.example", .required),
        ("smtps://127.0.0.1:465", .required),
        ("smtps://smtp.mail.example", .required),
    ])
    func tlsDefaultsByHost(url: String, expected: TLSMode) throws {
        let campaign = try Self.parse(Self.withSMTP("url = \"\(url)\""))
        #expect(campaign.smtp.explicitTLS == nil)
        #expect(campaign.smtp.tls == expected)
    }

    @Test(arguments: ["smtp://127.0.0.1:2525", "smtp://localhost", "smtp://[::1]"])
    func tlsNoneIsAllowedForLoopback(url: String) throws {
        let campaign = try Self.parse(Self.withSMTP("url = \"\(url)\"\ntls = \"none\""))
        #expect(campaign.smtp.tls == TLSMode.none)
    }

    @Test(arguments: ["smtp://mail.amnesty.example:587", "smtp://10.0.0.1", "smtp://127.0.0.1.attacker.example"])
    func tlsNoneIsRefusedForOtherHosts(url: String) throws {
        let text = Self.withSMTP("url = \"\(url)\"\ntls = \"none\"")
        let problems = Self.diagnostics(text)
        try #require(problems.count == 1, "\(problems)")
        #expect(problems[0].field == "smtp.tls")
        #expect(problems[0].kind == .badConfig)
        #expect(problems[0].message.contains("loopback"))
        #expect(problems[0].line == 8)  // the [smtp] table opens on line 6; tls is on line 8
    }

    @Test func tlsNoneContradictsSMTPS() throws {
        let problems = Self.diagnostics(Self.withSMTP("url = \"smtps://127.0.0.1\"\ntls = \"none\""))
        #expect(problems.map(\.field) == ["smtp.tls"])
    }

    @Test func unknownTLSModeIsRefused() throws {
        let problems = Self.diagnostics(Self.withSMTP("url = \"smtp://127.0.0.1\"\ntls = \"yes\""))
        try #require(problems.count == 1, "\(problems)")
        #expect(problems[0].field == "smtp.tls")
        #expect(problems[0].message.contains("\"yes\""))
    }

    // MARK: Refused keys

    @Test func unknownTopLevelKeyIsNamedWithItsLine() throws {
        let text = Self.minimal.replacingOccurrences(of: "log = ", with: "colour = \"blue\"\nlog = ")
        let problems = Self.diagnostics(text)
        try #require(problems.count == 1, "\(problems)")
        #expect(problems[0].kind == .badConfig)
        #expect(problems[0].field == "colour")
        #expect(problems[0].line == 4)
        #expect(problems[0].file == Self.file)
        #expect(problems[0].description.hasPrefix("\(Self.file):4: colour: unknown key"))
    }

    @Test func unknownTopLevelTableIsNamedWithItsLine() throws {
        let problems = Self.diagnostics(Self.minimal + "\n\n[extras]\nx = 1\n")
        try #require(problems.count == 1, "\(problems)")
        #expect(problems[0].field == "extras")
        #expect(problems[0].line == 9)
    }

    @Test func unknownSMTPKeyIsNamedWithItsLine() throws {
        let problems = Self.diagnostics(Self.withSMTP("url = \"smtp://127.0.0.1\"\nport = 25\nname = \"x\""))
        #expect(problems.map(\.field) == ["smtp.name", "smtp.port"])
        // `name` also exists at the top level (line 1); the one inside [smtp] is on line 9.
        #expect(problems.map(\.line) == [9, 8])
        #expect(problems.allSatisfy { $0.kind == .badConfig && $0.message.contains("unknown key") })
    }

    @Test func passwordInTheCampaignFileIsRefusedWithoutEchoingIt() throws {
        let secret = "hunter2-\(UUID().uuidString)"
        let text = Self.withSMTP("url = \"smtp://mail.example:587\"\nusername = \"u\"\npassword = \"\(secret)\"\npassword_env = \"P\"")
        let problems = Self.diagnostics(text)
        try #require(problems.count == 1, "\(problems)")
        #expect(problems[0].field == "smtp.password")
        #expect(problems[0].line == 9)
        #expect(problems[0].kind == .badConfig)
        #expect(problems[0].message.contains("password_env"))
        #expect(!ValidationFailure(problems).description.contains(secret))
    }

    // MARK: Required keys and values

    @Test func everyMissingRequiredKeyIsListedAtOnce() throws {
        let problems = Self.diagnostics("# nothing here\n")
        #expect(Set(problems.compactMap(\.field)) == ["name", "template", "recipients", "log", "smtp"])
        #expect(problems.count == 5)
        #expect(problems.allSatisfy { $0.kind == .badConfig && $0.message.contains("missing") })
    }

    @Test func missingSMTPURLPointsAtTheTable() throws {
        let problems = Self.diagnostics(Self.withSMTP("username = \"u\"\npassword_env = \"P\""))
        try #require(problems.count == 1, "\(problems)")
        #expect(problems[0].field == "smtp.url")
        #expect(problems[0].line == 6)
    }

    @Test func problemsFromBothLevelsAreReportedTogether() throws {
        let text = """
            name = ".hidden"
            template = ""
            recipients = "one.csv"
            schedule = 5

            [smtp]
            url = "http://mail.example"
            tls = "maybe"
            """
        let problems = Self.diagnostics(text)
        let byField = Dictionary(problems.map { ($0.field ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        #expect(Set(byField.keys) == ["name", "template", "recipients", "schedule", "log", "smtp.url", "smtp.tls"], "\(problems)")
        #expect(byField["name"]?.line == 1)
        #expect(byField["template"]?.line == 2)
        #expect(byField["recipients"]?.line == 3)
        #expect(byField["schedule"]?.line == 4)
        #expect(byField["smtp.url"]?.line == 7)
        #expect(byField["smtp.tls"]?.line == 8)
        #expect(byField["template"]?.message.contains("empty") == true)
        #expect(byField["schedule"]?.message.contains("string") == true)
        #expect(ValidationFailure(problems).kind == .badConfig)
    }

    @Test(arguments: [
        "recipients = []",
        "recipients = [\"\"]",
        "recipients = [\"a.csv\", 3]",
        "recipients = \"a.csv\"",
    ])
    func badRecipientsValueIsRefused(line: String) throws {
        let text = "name = \"c\"\ntemplate = \"t\"\n\(line)\nlog = \"l\"\n[smtp]\nurl = \"smtp://127.0.0.1\"\n"
        let problems = Self.diagnostics(text)
        try #require(!problems.isEmpty)
        #expect(problems.allSatisfy { $0.field == "recipients" && $0.line == 3 }, "\(problems)")
    }

    @Test(arguments: [".hidden", "../escape", "has space", "slash/name", String(repeating: "n", count: 65), "名前"])
    func invalidCampaignNameIsRefused(name: String) throws {
        let text = Self.withSMTP("url = \"smtp://127.0.0.1\"").replacingOccurrences(of: "name = \"c\"", with: "name = \"\(name)\"")
        let problems = Self.diagnostics(text)
        #expect(problems.map(\.field) == ["name"], "\(problems)")
        #expect(problems.first?.line == 1)
    }

    @Test(arguments: [
        "smtp://user:secret@mail.example",
        "http://mail.example",
        "smtp://",
        "smtp://mail.example:0",
        "smtp://mail.example:65536",
        "smtp://mail.example:port",
        "smtp://mail_example.com",
        "mail.example:25",
    ])
    func malformedSMTPURLIsRefused(url: String) throws {
        let problems = Self.diagnostics(Self.withSMTP("url = \"\(url)\""))
        #expect(problems.map(\.field) == ["smtp.url"], "\(problems)")
        #expect(problems.first?.line == 7)
    }

    @Test(arguments: [
        ("username = \"u\"", "smtp.username"),
        ("password_env = \"P\"", "smtp.password_env"),
        ("password_file = \"f\"", "smtp.password_file"),
        ("username = \"u\"\npassword_env = \"P\"\npassword_file = \"f\"", "smtp.password_env"),
    ])
    func credentialsMustComeAsAUsernameAndOneSecretSource(lines: String, field: String) throws {
        let problems = Self.diagnostics(Self.withSMTP("url = \"smtp://mail.example:587\"\n\(lines)"))
        #expect(problems.map(\.field) == [field], "\(problems)")
    }

    @Test func smtpThatIsNotATableIsRefused() throws {
        let text = "name = \"c\"\ntemplate = \"t\"\nrecipients = [\"r\"]\nlog = \"l\"\nsmtp = \"smtp://127.0.0.1\"\n"
        let problems = Self.diagnostics(text)
        #expect(problems.map(\.field) == ["smtp"])
        #expect(problems.first?.line == 5)
    }

    // MARK: Invalid TOML

    @Test(arguments: [
        ("name = \"c\"\ntemplate = \"t\"\nlog = \n", 3),
        ("name = \"c\"\n\n\nrecipients = [\"a.csv\"\n", 4),
        ("name = \"unterminated\ntemplate = \"t\"\n", 1),
        ("name = \"c\"\nname = \"d\"\n", 2),
        ("[smtp]\nurl = \"x\"\n[smtp]\n", 3),
        ("a = 1\nb = 2\nc = = 3\n", 3),
    ])
    func invalidTOMLIsReportedWithALine(text: String, line: Int) throws {
        let problems = Self.diagnostics(text)
        try #require(problems.count == 1, "\(problems)")
        #expect(problems[0].kind == .badConfig)
        #expect(problems[0].line == line, "\(problems[0])")
        #expect(problems[0].message.hasPrefix("not valid TOML"))
    }
}
