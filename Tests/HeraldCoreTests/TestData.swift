import Foundation
import HeraldTestSupport

@testable import HeraldCore

/// Small builders shared by the core tests.
enum TestData {
    static let campaignFile = "/campaigns/test.toml"

    static func list(_ csv: String, file: String = "list.csv") throws -> RecipientList {
        try RecipientList.parse(csv, file: file)
    }

    static func template(_ source: String, file: String = "letter.mustache") throws -> LetterTemplate {
        try LetterTemplate(source: source, file: file)
    }

    static func campaign(name: String = "test-campaign", retry: RetryPolicy = .default) -> Campaign {
        Campaign(
            name: name, file: campaignFile, templatePath: "letter.mustache", recipientPaths: ["list.csv"],
            logPath: "log.jsonl", smtp: SMTPSettings(url: "smtp://127.0.0.1:2525"), retry: retry)
    }

    static let simpleTemplate = """
        From: Sender <sender@org.example>
        To: {{name}} <{{email}}>
        Subject: Hello {{name}}

        Dear {{name}},
        Bye.
        """

    static func prepared(
        _ csv: String, template source: String = simpleTemplate, name: String = "test-campaign",
        retry: RetryPolicy = .default
    ) throws -> PreparedCampaign {
        try PreparedCampaign.prepare(
            campaign: campaign(name: name, retry: retry), template: template(source), lists: [list(csv)],
            date: Date(timeIntervalSince1970: 0))
    }

    /// The repository's real campaign data.
    static func realCampaign() throws -> PreparedCampaign {
        try PreparedCampaign.load(
            campaignFile: PackagePaths.path("Campaigns/eu-china-dialogue-1999.toml"),
            date: Date(timeIntervalSince1970: 918_000_000))
    }
}
