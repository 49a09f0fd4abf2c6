import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

@testable import HeraldCLI

/// The review page (`index.html`): every letter with its values marked, hostile values
/// escaped (checked by Python's html.parser, `Tests/Support/check_review_page.py`), and a
/// bound on its size however many letters.
@Suite struct ReviewPageTests {
    static let template = """
        From: Press Office <press@org.example>
        To: {{name}} <{{email}}>
        Subject: A letter for {{country}}

        Dear {{name}},
        we write to {{country}} about {{topic}}.
        """

    /// What Python's parser made of a page.
    static func parse(_ page: String) throws -> [String: Any] {
        let result = try Subprocess.run(PackagePaths.python, [PackagePaths.path("Tests/Support/check_review_page.py"), page])
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    @Test(.tags(.integration)) func hostileValuesAreEscapedAndMarked() throws {
        let hostile = [
            "<script>alert(1)</script>",
            "Tom & Jerry \"quoted\" 'single'",
            "<img src=x onerror=alert(2)>",
            "</mark></pre></article><a href=\"javascript:alert(3)\">x</a>",
        ]
        var csv = "email,name,country,topic\n"
        for (index, value) in hostile.enumerated() {
            let quoted = "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            csv += "r\(index)@org.example,\(quoted),\(quoted),plain topic \(index)\n"
        }
        let campaign = TestCampaign(template: Self.template, csv: csv)
        let folder = campaign.folder.file("preview")
        let result = try Subprocess.herald(["preview", campaign.path, "--out", folder])
        #expect(result.status == 0, "\(result)")
        let page = (folder as NSString).appendingPathComponent("index.html")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(!html.contains("<script"), "no value becomes a tag")
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        let parsed = try Self.parse(page)
        #expect((parsed["active"] as? [String]) == [], "nothing that runs script or loads an asset: \(parsed["active"] ?? "")")
        #expect(parsed["letters"] as? Int == hostile.count)
        let marks = parsed["marks"] as? [String] ?? []
        for value in hostile {
            // name in To, country in Subject, name and country in the body: each a mark, as written.
            #expect(marks.filter { $0 == value }.count == 4, "\(value) marked where the letter prints it: \(marks)")
        }
        #expect(marks.contains("plain topic 2"))
        let hrefs = parsed["hrefs"] as? [String] ?? []
        #expect(hrefs.filter { $0.hasSuffix(".eml") }.count >= 2 * hostile.count, "each row and each letter links its .eml")
        #expect(!hrefs.contains { $0.lowercased().hasPrefix("javascript:") })
        // The page opens with the count and the manifest hash the preview printed.
        let hash = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("manifest hash: ") }).dropFirst(15)
        #expect(html.contains("<strong id=\"count\">4 messages</strong> · manifest hash <code id=\"manifest-hash\">\(hash)</code>"))
        #expect(html.contains("No validation warnings."))
        // The message bytes are not touched by the marking: the .eml holds no markup.
        let eml = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasSuffix(".eml") })
        #expect(!(try String(contentsOfFile: (folder as NSString).appendingPathComponent(eml), encoding: .utf8)).contains("<mark"))
    }

    @Test(.tags(.integration)) func aLargeCampaignGetsSummarySampleAndValueCounts() throws {
        let countries = ["Austria", "Belgium", "Denmark", "Finland", "France", "Germany", "Greece"]
        var csv = "email,name,country,topic\n"
        for index in 1...2_000 { csv += "r\(index)@org.example,Reader \(index),\(countries[index % countries.count]),topic \(index % 3)\n" }
        csv += "r1@org.example,Again,Austria,topic 9\n"  // a duplicate: a warning at the top
        let campaign = TestCampaign(template: Self.template, csv: csv)
        let folder = campaign.folder.file("preview")
        let started = Date()
        let result = try Subprocess.herald(["preview", campaign.path, "--out", folder])
        print("preview of 2,000 letters with the review page: \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        #expect(result.status == 0, "\(result)")
        let page = (folder as NSString).appendingPathComponent("index.html")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let parsed = try Self.parse(page)
        #expect(parsed["letters"] as? Int == ReviewPage.sampleSize, "a sample, not every letter")
        let hrefs = Set((parsed["hrefs"] as? [String] ?? []).filter { $0.hasSuffix(".eml") })
        #expect(hrefs.count == 2_000, "every row links its .eml")
        #expect(html.contains("<h2>Values per field</h2>"))
        #expect(html.contains("country (7 distinct values)"))
        #expect(html.contains("<tr><td>Austria<td class=\"n\">285\n"), "every 7th of 2,000 rows, the duplicate row left out")
        #expect(html.contains("1 validation warning"))
        #expect(!FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(ReviewPage.rowsPart)), "the parts are removed")
        let size = html.utf8.count
        print("review page of 2,000 letters: \(size) bytes")
        #expect(size < 1_500_000)
    }

    /// 100,000 rows through the page writer (one composed letter reused, so the test takes
    /// seconds): the page stays under 10 MB, listing every row while they fit.
    @Test(arguments: [("r", 100_000), ("minister.of.foreign.affairs.", 100_000)])
    func thePageStaysUnderTenMegabytesAtAHundredThousandLetters(_ prefix: String, _ total: Int) throws {
        let prepared = try PreparedCampaign.load(
            campaignFile: PackagePaths.path("Campaigns/eu-china-dialogue-1999.toml"), date: Date(timeIntervalSince1970: 918_000_000))
        let real = try prepared.recipients
        let messages = try real.map { try prepared.compose($0, date: Date()) }
        let folder = NSTemporaryDirectory() + "herald-page-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let session = try PreviewWriter.Session(try PreviewWriter.inspect(folder, campaign: prepared.campaign.name), campaign: prepared.campaign.name)
        let page = try ReviewPage(session: session, prepared: prepared, total: total)
        let width = String(total).count
        for index in 1...total {
            var recipient = real[index % real.count]
            recipient.address = try EmailAddress(parsing: "\(prefix)\(index)@mfa.example")
            let number = String(index)
            let file = String(repeating: "0", count: width - number.count) + number + "-\(recipient.key).eml"
            try page.add(index: index, recipient: recipient, message: messages[index % real.count], file: file)
        }
        try page.finish(manifestHash: String(repeating: "a", count: 64), inputs: [])
        try session.finish()
        let data = try #require(FileManager.default.contents(atPath: folder + "/index.html"))
        print("review page of \(total) letters (addresses like \(prefix)\(total)@mfa.example): \(data.count) bytes")
        #expect(data.count < 10_000_000)
        let html = String(decoding: data, as: UTF8.self)
        let listed = html.components(separatedBy: "<tr><td><a href=\"").count - 1
        if prefix == "r" {
            #expect(listed == total, "short addresses: every row is listed")
        } else {
            #expect(listed < total && html.contains("more rows are not listed here, to keep this page under 10 MB"))
        }
        #expect(html.components(separatedBy: "<article class=\"letter\"").count - 1 == ReviewPage.sampleSize)
    }
}
