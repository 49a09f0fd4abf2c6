import Testing

@testable import HeraldCore

@Suite struct SMTPSettingsTests {
    static func parse(_ smtp: String) throws(ValidationFailure) -> Campaign {
        try Campaign.parse(CampaignTOMLTests.withSMTP(smtp), file: "/srv/campaigns/c.toml")
    }

    static func problems(_ smtp: String) -> [String] {
        do { _ = try parse(smtp); return [] } catch { return error.diagnostics.map(\.description) }
    }

    @Test func plaintextToARemoteHostNeedsAllowPlaintextAndWarns() throws {
        #expect(Self.problems("url = \"smtp://mail.org.example\"\ntls = \"none\"").count == 1)
        let campaign = try Self.parse("url = \"smtp://mail.org.example\"\ntls = \"none\"\nallow_plaintext = true")
        #expect(campaign.smtp.tls == TLSMode.none)
        #expect(campaign.smtp.plaintextWarning?.contains("without TLS") == true)
        #expect(try Self.parse("url = \"smtp://127.0.0.1:25\"\ntls = \"none\"").smtp.plaintextWarning == nil)
    }

    @Test(arguments: [
        ("url = \"smtp://mail.org.example\"\ntls = \"opportunistic\"", true),
        ("url = \"smtp://mail.org.example\"", false),
        ("url = \"smtps://mail.org.example\"", false),
        ("url = \"smtp://127.0.0.1:2525\"", false),
        ("url = \"smtp://mail.org.example\"\ntls = \"none\"\nallow_plaintext = true", true),
    ])
    func authOverPossiblePlaintextIsRefused(smtp: String, refused: Bool) {
        let problems = Self.problems(smtp + "\nusername = \"press\"\npassword_env = \"HERALD_PW\"")
        #expect(problems.contains { $0.contains("AUTH over a connection that may be plaintext") } == refused, "\(problems)")
    }

    @Test func caFileIsKeptAsWritten() throws {
        let campaign = try Self.parse("url = \"smtp://mail.org.example\"\nca_file = \"certs/ca.pem\"")
        #expect(campaign.smtp.caFile == "certs/ca.pem")
        #expect(Campaign.resolvePath("certs/ca.pem", against: campaign.file) == "/srv/campaigns/certs/ca.pem")
    }

    @Test func replyTimeoutIsChecked() throws {
        #expect(try Self.parse("url = \"smtp://127.0.0.1\"").smtp.replyTimeout == 600)
        #expect(try Self.parse("url = \"smtp://127.0.0.1\"\nreply_timeout_seconds = 30").smtp.replyTimeout == 30)
        #expect(Self.problems("url = \"smtp://127.0.0.1\"\nreply_timeout_seconds = 0").first?.contains("c.toml:8: smtp.reply_timeout_seconds") == true)
    }
}

@Suite struct CampaignPathTests {
    @Test(arguments: [
        ("Campaigns/c.toml", "../Templates/t.mustache", "Templates/t.mustache"),
        ("c.toml", "t.mustache", "t.mustache"),
        ("/srv/a/c.toml", "../b/./t.mustache", "/srv/b/t.mustache"),
        ("a/c.toml", "../../t.mustache", "../t.mustache"),
        ("/c.toml", "../../t", "/t"),
        ("a/c.toml", "/abs/t", "/abs/t"),
    ])
    func relativePathsResolveAgainstTheCampaignFolder(campaign: String, path: String, expected: String) {
        #expect(Campaign.resolvePath(path, against: campaign) == expected)
    }
}
