import Foundation
import HeraldTestSupport
import Testing

/// A Markdown letter's HTML part through the release path: `herald send` refuses a template
/// that would track or run script (exit 65 at its line, nothing sent), and sends a remote
/// image only when the campaign file's `[html] remote_images = true` says so.
@Suite(.tags(.integration)) struct HTMLLetterIntegrationTests {
    static let template = """
        From: Office <office@org.example>
        To: {{name}} <{{email}}>
        Subject: Letter
        Content-Type: text/markdown

        Dear {{name}},

        ![](https://tracker.example/p.gif?id={{email}})

        Yours,
        Office
        """

    @Test func aTrackingPixelIsRefusedAtItsLineAndNothingIsSent() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(template: Self.template, csv: "email,name\na@x.example,Ann\n")
        let result = try campaign.send(server)
        #expect(result.status == 65, "\(result)")
        #expect(
            result.stderr.contains("letter.mustache:8: src: this Markdown letter's HTML has <img src=…>, which loads an image from elsewhere"),
            "\(result.stderr)")
        #expect(result.stderr.contains("remote_images = true"), "says how to allow it")
        #expect(server.connections() == 0 && server.messages().isEmpty)
        let validate = try Subprocess.herald(["validate", campaign.path])
        #expect(validate.status == 65, "\(validate)")
    }

    /// The bypasses of the old link check: `herald validate` refuses each at its line (exit 65).
    @Test(arguments: [
        "[x]( {{url}})", "[x](&#32;{{url}})", "<a href=\" {{url}}\">x</a>", "<a onclick=\"console.log('{{url}}')\">x</a>",
        "Please reply to <{{url}}>.", "<!-- note for {{url}}>\n<a href=\"https://org.example/\">old</a>\n-->",
    ])
    func aFieldThatCouldRunIsRefusedByValidate(line: String) throws {
        let template =
            "From: Office <office@org.example>\nTo: {{name}} <{{email}}>\nSubject: Letter\nContent-Type: text/markdown\n\nDear {{name}},\n\n\(line)\n"
        let campaign = TestCampaign(template: template, csv: "email,name,url\na@x.example,Ann,javascript:alert(1)\n")
        let result = try Subprocess.herald(["validate", campaign.path])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("letter.mustache:8: {{url}}: in this Markdown letter's HTML the field"), "\(result.stderr)")
    }

    /// The HTML part's `lang`: `[html] language` for the default template, the `[templates]` key for a language's.
    @Test func eachLettersHTMLPartCarriesItsTemplatesLanguage() throws {
        let server = try SMTPTestServer()
        let english = "From: Office <office@org.example>\nTo: {{name}} <{{email}}>\nSubject: Letter\nContent-Type: text/markdown\n\nDear {{name}},\n"
        let campaign = TestCampaign(
            template: english, csv: "email,name,language\na@x.example,Ann,\nb@x.example,Bernd,de\n",
            extra: "[templates]\nde = \"letter.de.md\"\n[html]\nlanguage = \"en\"")
        _ = campaign.folder.write("letter.de.md", "From: Office <office@org.example>\nTo: {{name}} <{{email}}>\nSubject: Brief\n\nSehr geehrter {{name}},\n")
        let result = try campaign.send(server)
        #expect(result.status == 0, "\(result)")
        let pages = try server.messages().map { try EmailOracle.check(bytes: $0.data).html }
        #expect(pages.contains { $0.contains("<html lang=\"en\">") && $0.contains("Dear Ann") }, "\(pages)")
        #expect(pages.contains { $0.contains("<html lang=\"de\">") && $0.contains("Sehr geehrter Bernd") }, "\(pages)")
    }

    @Test func aCampaignThatAllowsRemoteImagesSendsThemWithItsLanguage() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(
            template: Self.template, csv: "email,name\na@x.example,Ann\n",
            extra: "[html]\nremote_images = true\nlanguage = \"de\"")
        let result = try campaign.send(server)
        #expect(result.status == 0, "\(result)")
        let messages = server.messages()
        try #require(messages.count == 1)
        let report = try EmailOracle.check(bytes: messages[0].data)
        #expect(report.ok, "\(report.problems)")
        #expect(report.html.contains("<html lang=\"de\">"), "\(report.html)")
        #expect(report.html.contains("<img src=\"https://tracker.example/p.gif?id=a@x.example\""), "\(report.html)")
        #expect(report.html.contains("<p>Yours,<br>Office</p>"), "the signature keeps its lines: \(report.html)")
    }
}
