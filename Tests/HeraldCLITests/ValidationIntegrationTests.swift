import Foundation
import HeraldTestSupport
import Testing

/// Bad input: a clear `file:line: field: …` message, a sysexits code, and nothing sent.
@Suite(.tags(.integration)) struct ValidationIntegrationTests {
    static let template = """
        From: Office <office@org.example>
        To: {{name}} <{{email}}>
        Subject: Letter to {{country}}

        Dear {{name}},
        greetings to {{country}}.
        """

    @Test func missingTemplateFieldExits65NamingTheLineAndSendsNothing() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(template: Self.template + "\nRegards to {{capital}}.\n", csv: "email,name,country\na@x.example,Ann,Austria\n")
        let result = try campaign.send(server)
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("letter.mustache:7: capital: the template uses a field that"))
        #expect(server.connections() == 0 && server.messages().isEmpty)
        #expect(campaign.folder.read("delivery.jsonl") == nil, "no log is written for a campaign that fails validation")
    }

    @Test func duplicatesAreACampaignSettingEveryCommandReadsAlike() throws {
        let server = try SMTPTestServer()
        let csv = "email,name,country\na@x.example,Ann,Austria\nA@x.example,Ann's partner,Austria\nb@x.example,Bo,Belgium\n"
        let plain = TestCampaign(template: Self.template, csv: csv)
        let flagOnly = try Subprocess.herald(["status", plain.path, "--allow-duplicates"])
        #expect(flagOnly.status == 64, "the flag alone would change the log's keys for this command only: \(flagOnly)")
        #expect(flagOnly.stderr.contains("does not say allow_duplicates = true"), "\(flagOnly.stderr)")

        let keyed = TestCampaign(template: Self.template, csv: csv, extra: "allow_duplicates = true")
        let sent = try keyed.send(server)
        #expect(sent.status == 0, "\(sent)")
        #expect(server.messages().count == 3)
        #expect(try keyed.statusJSON()["sent"] == 3, "status, without the flag, sees the same three keys")
        #expect(try Subprocess.herald(["status", keyed.path, "--allow-duplicates"]).status == 0, "the flag may agree with the file")
        #expect(keyed.records().contains { $0["recipient"] as? String == "a@x.example#2" })
    }

    @Test func emptyFieldExits65NamingTheRow() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(template: Self.template, csv: "email,name,country\na@x.example,Ann,Austria\nb@x.example,Bo,\n")
        let result = try campaign.send(server)
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("list.csv:3: country: is empty, but the letter prints it"))
        #expect(server.connections() == 0)
    }

    @Test(arguments: [
        ("email,name,country\na@x.example,Ann,Austria\nb@x.example,Bo,Belgium,extra\n", "list.csv:3: has 4 fields but the header has 3"),
        ("email,name,country\na@x.example,\"Ann\nSmith\",Austria\nb@x.example,\"Bo,Belgium\n", "list.csv:4: a quoted field opened here is never closed"),
        ("email,name,country\nnot-an-address,Ann,Austria\n", "list.csv:2: email: \"not-an-address\" has no '@domain' part"),
        ("email,name,country\n\"a@x.example\r\nRCPT TO:<evil@x.example>\",Ann,Austria\n", "list.csv:2: email:"),
        ("name,country\nAnn,Austria\n", "list.csv:1: email: the header row has no `email` column"),
        ("email,name,country\na@x.example,\"Ann\r\nBcc: evil@x.example\",Austria\n", "list.csv:2: name: holds a line break"),
    ])
    func malformedRecipientDataExits65(csv: String, expected: String) throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(template: Self.template, csv: csv)
        let result = try campaign.send(server)
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(server.connections() == 0)
        let validate = try Subprocess.herald(["validate", campaign.path])
        #expect(validate.status == 65 && validate.stderr.contains(expected))
    }

    @Test func unknownCampaignKeyExits78() throws {
        let campaign = TestCampaign(extra: "shedule = \"0 9 * * *\"")
        let result = try Subprocess.herald(["validate", campaign.path])
        #expect(result.status == 78, "\(result)")
        #expect(result.stderr.contains("campaign.toml:5: shedule: unknown key"))
    }

    @Test func missingFilesExit66() throws {
        let missing = try Subprocess.herald(["validate", "/nonexistent/campaign.toml"])
        #expect(missing.status == 66 && missing.stderr.contains("/nonexistent/campaign.toml: campaign file not found"))
        let campaign = TestCampaign()
        let text = try String(contentsOfFile: campaign.path, encoding: .utf8)
        try text.replacingOccurrences(of: "eu-member-states-1999.csv", with: "gone.csv").write(toFile: campaign.path, atomically: true, encoding: .utf8)
        let result = try Subprocess.herald(["send", campaign.path])
        #expect(result.status == 66, "\(result)")
        #expect(result.stderr.contains("campaign.toml:3: recipients: recipient file"))
    }

    @Test func badCommandLineExits64() throws {
        #expect(try Subprocess.herald(["send"]).status == 64)
        #expect(try Subprocess.herald(["frobnicate"]).status == 64)
        let campaign = TestCampaign()
        let result = try Subprocess.herald(["send", campaign.path, "--smtp-url", "http://example.com"])
        #expect(result.status == 64 && result.stderr.contains("--smtp-url"))
    }

    @Test func previewWritesValidPrivateFilesAndNeverConnects() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        let out = campaign.folder.file("out")
        let result = try Subprocess.herald(["preview", campaign.path, "--out", out])
        #expect(result.status == 0, "\(result)")
        #expect(server.connections() == 0, "a preview opens no connection")
        #expect(result.stdout.contains("RECIPIENT") && result.stdout.contains("SUBJECT") && result.stdout.contains("SIZE"))
        let reports = try EmailOracle.check([out])
        #expect(reports.count == 15 && reports.allSatisfy { $0.ok })
        let rows = realRecipientRows().dropFirst().map { $0.split(separator: ",").map(String.init) }
        for row in rows {
            let country = row[row.count - 5]
            #expect(reports.contains { $0.to_display_name == row[1] && $0.body.contains(country) }, "\(row[1]) / \(country)")
        }
        let attributes = try FileManager.default.attributesOfItem(
            atPath: (out as NSString).appendingPathComponent(try FileManager.default.contentsOfDirectory(atPath: out).sorted()[0]))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }
}
