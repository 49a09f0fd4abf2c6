import Foundation
import HeraldTestSupport
import Testing

/// Markdown letters, attachments and languages through the real command line and a real SMTP server.
@Suite(.tags(.integration)) struct RichLetterIntegrationTests {
    static let template = """
        From: "Office of the Secretary General" <office@org.example>
        To: {{name}} <{{email}}>
        Subject: Letter to {{country}}
        Content-Type: text/markdown
        Attachment: letters/{{country}}.pdf

        Dear {{name}},

        The **signed letter** to {{country}} is attached.
        """

    static func campaign(csv: String, files: [String: [UInt8]], extra: String = "") -> TestCampaign {
        let campaign = TestCampaign(template: template, csv: csv, extra: extra)
        for (name, bytes) in files {
            let path = campaign.folder.file(name)
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        return campaign
    }

    @Test func aMarkdownLetterWithItsAttachmentArrivesWhole() throws {
        let server = try SMTPTestServer()
        let pdf: [UInt8] = Array("%PDF-1.4\n".utf8) + (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let campaign = Self.campaign(csv: "email,name,country\na@x.example,<b>Ann</b> & \"Co\",Austria\n", files: ["letters/Austria.pdf": pdf])
        let result = try campaign.send(server)
        #expect(result.status == 0, "\(result)")
        let received = server.messages()
        #expect(received.count == 1)
        let report = try EmailOracle.check([received[0].file])[0]
        #expect(report.ok, "\(report.problems)")
        #expect(report.parts.map(\.content_type) == ["text/plain", "text/html", "application/pdf"])
        #expect(report.parts[2].data == pdf)
        #expect(report.html.contains("Dear &lt;b&gt;Ann&lt;/b&gt; &amp; &quot;Co&quot;,"))
        #expect(report.body.contains("Dear <b>Ann</b> & \"Co\","))
        // The preview is the letter sent, but for its Date.
        let preview = try Subprocess.herald(["preview", campaign.path, "--out", campaign.folder.file("preview")])
        #expect(preview.status == 0, "\(preview)")
        let files = try FileManager.default.contentsOfDirectory(atPath: campaign.folder.file("preview")).filter { $0.hasSuffix(".eml") }
        let previewed = try #require(FileManager.default.contents(atPath: campaign.folder.file("preview/\(files[0])")))
        func withoutDate(_ bytes: [UInt8]) -> String {
            String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.hasPrefix("Date: ") }.joined(separator: "\r\n")
        }
        #expect(withoutDate([UInt8](previewed)) == withoutDate(received[0].data))
    }

    @Test func aMissingAttachmentExits65NamingTheRowAndPathAndSendsNothing() throws {
        let server = try SMTPTestServer()
        let campaign = Self.campaign(
            csv: "email,name,country\na@x.example,Ann,Austria\nb@x.example,Bo,Belgium\n",
            files: ["letters/Austria.pdf": [1, 2, 3]])
        let validate = try Subprocess.herald(["validate", campaign.path])
        #expect(validate.status == 65, "\(validate)")
        let resolved = campaign.folder.file("letters/Belgium.pdf")
        #expect(validate.stderr.contains("list.csv:3: Attachment: \(resolved) does not exist"), "\(validate.stderr)")
        let send = try campaign.send(server)
        #expect(send.status == 65, "\(send)")
        #expect(server.connections() == 0 && server.messages().isEmpty, "not even Austria's letter, whose file is there")
        #expect(campaign.folder.read("delivery.jsonl") == nil)
    }

    @Test func validateWarnsOfLanguagesWithoutATemplateAndSendsTheDefault() throws {
        let server = try SMTPTestServer()
        let plain = "From: o@org.example\nTo: {{name}} <{{email}}>\nSubject: Letter\n\nDear {{name}}.\n"
        let campaign = TestCampaign(
            template: plain, csv: "email,name,language\na@x.example,Ann,fr\nb@x.example,Bo,es\nc@x.example,Cy,es\n",
            extra: "[templates]\nfr = \"lettre.txt\"")
        _ = campaign.folder.write("lettre.txt", "From: o@org.example\nTo: {{name}} <{{email}}>\nSubject: Lettre\n\nMadame, Monsieur {{name}}.\n")
        let validate = try Subprocess.herald(["validate", campaign.path])
        #expect(validate.status == 0, "\(validate)")
        #expect(validate.stderr.contains("warning: \(campaign.folder.file("list.csv")):3: language: 2 recipients have language \"es\""), "\(validate.stderr)")
        let send = try campaign.send(server)
        #expect(send.status == 0, "\(send)")
        let subjects = try server.messages().map { try EmailOracle.check([$0.file])[0].subject }.sorted()
        #expect(subjects == ["Letter", "Letter", "Lettre"])
    }
}
