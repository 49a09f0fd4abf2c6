import Foundation
import HeraldTestSupport

@testable import HeraldCore

/// The rich letters' fixtures (`Fixtures/rich/`): templates of every shape, their attached
/// files, and a small list of the 1999 campaign's rows.
enum RichLetterFixtures {
    static let folder = PackagePaths.path("Tests/HeraldCoreTests/Fixtures/rich")
    static let date = Date(timeIntervalSince1970: 918_000_000)

    static let csv = """
        email,name,title,salutation,country
        minister@auswaertiges-amt.germany.example,Joschka Fischer,Federal Minister for Foreign Affairs,Dear Minister,Germany
        """

    /// A campaign of `template` (a file in the fixtures folder, or a path) over `csv`.
    static func prepared(
        _ template: String, csv: String = csv, languageTemplates: [String: String] = [:],
        listFile: String = "list.csv", html: HTMLPolicy = HTMLPolicy()
    ) throws -> PreparedCampaign {
        let path = template.hasPrefix("/") ? template : (folder as NSString).appendingPathComponent(template)
        let source = try String(contentsOfFile: path, encoding: .utf8)
        var campaign = TestData.campaign(name: "eu-china-dialogue-1999")
        campaign.templatePath = path
        var languages: [String: LetterTemplate] = [:]
        for (language, file) in languageTemplates {
            languages[language] = try LetterTemplate(source: String(contentsOfFile: file, encoding: .utf8), file: file)
        }
        campaign.html = html
        return try PreparedCampaign.prepare(
            campaign: campaign, template: LetterTemplate(source: source, file: path, html: html),
            languageTemplates: languages, lists: [TestData.list(csv, file: listFile)], date: date)
    }

    /// The one letter of a one-row campaign.
    static func letter(_ template: String, csv: String = csv, html: HTMLPolicy = HTMLPolicy()) throws -> ComposedMessage {
        let prepared = try prepared(template, csv: csv, html: html)
        return try prepared.compose(try prepared.recipients[0], date: date)
    }

    static func bytes(_ relative: String) -> [UInt8] {
        [UInt8](FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(relative)) ?? Data())
    }
}
