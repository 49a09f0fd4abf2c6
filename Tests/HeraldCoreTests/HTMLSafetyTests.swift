import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// A Markdown letter's HTML part runs nothing, loads nothing and links only to the web or
/// mail: fields where a browser would read them as code or a scheme are refused at their
/// line, and so is the template's own script, frame, remote resource or `javascript:` link.
@Suite struct HTMLSafetyTests {
    static let attack = "javascript:alert(1)"

    /// The template with `body` as its line 7, refused (or not) for a row whose `url` is `value`.
    private func outcome(_ body: String, value: String = attack, html: HTMLPolicy = HTMLPolicy()) -> (error: String?, message: ComposedMessage?) {
        let folder = TemporaryDirectory("herald-html")
        let path = folder.write("letter.md", "From: o@org.example\nTo: <{{email}}>\nSubject: s\n\nHello.\n\n\(body)\n\nYours.\n")
        let csv = "email,url\nann@x.example,\"\(value.replacingOccurrences(of: "\"", with: "\"\""))\"\n"
        do {
            return (nil, try RichLetterFixtures.letter(path, csv: csv, html: html))
        } catch {
            return ("\(error)", nil)
        }
    }

    /// Every bypass of the old "field at the start of the value" check, and every script
    /// context: refused as a template error on line 7, naming the field.
    @Test(arguments: [
        "[x]( {{url}})",
        "[x](\t{{url}})",
        "[x](&#32;{{url}})",
        "<a href=\" {{url}}\">x</a>",
        "<a href=\"&#10;{{url}}\">x</a>",
        "<a href=\"&#10{{url}}\">x</a>",
        "<a onclick=\"console.log('{{url}}')\">x</a>",
        "<a href=\"https://org.example/\" ONMOUSEOVER=\"f('{{url}}')\">x</a>",
        "<p style=\"color: red; {{url}}\">x</p>",
        "<p title=\"t\" srcdoc=\"<b>{{url}}</b>\">x</p>",
        "<form action=\"{{url}}\"><button>go</button></form>",
        "<button formaction=\"{{url}}\">go</button>",
        "<a href=\"java{{url}}\">x</a>",
        "[a]( {{url}} \"title\")",
        "<a href='{{url}}'>x</a>",
        "[x][ref]\n\n[ref]: {{url}}",
        "<!-- note for {{url}}>\n<a href=\"https://org.example/\">old</a>\n-->",
        "<!-- {{url}} -->",
        "<!x {{url}}>",
        "<? {{url}} ?>",
        "<![CDATA[ {{url}} ]]>",
        "<!DOCTYPE {{url}}>",
        "</ {{url}}>",
    ])
    func aFieldThatCouldRunOrChooseASchemeIsRefusedOnItsLine(body: String) throws {
        let (error, _) = outcome(body)
        let text = try #require(error, "\(body) was accepted")
        #expect(
            text.contains("letter.md:7: {{url}}: in this Markdown letter's HTML the field")
                || text.contains("letter.md:9: {{url}}: in this Markdown letter's HTML the field"), "\(text)")
    }

    /// Where a field is only text, or follows the template's own scheme, it is accepted.
    @Test(arguments: [
        "[site](https://org.example/letters/{{url}})",
        "<a href=\"mailto:press@org.example?subject={{url}}\">write</a>",
        "<a href=\"HTTPS://org.example/?q={{url}}\" title=\"{{url}}\">x</a>",
        "<abbr title=\"{{url}}\">EU</abbr>",
        "See *{{url}}* and `code` and {{url}}.",
        "<p class=\"{{url}}\" data-x=\"{{url}}\">t</p>",
    ])
    func aFieldInTextOrAfterTheTemplatesSchemeIsAccepted(body: String) throws {
        let (error, message) = outcome(body)
        #expect(error == nil, "\(error ?? "")")
        let report = try EmailOracle.check(bytes: try #require(message).data)
        #expect(report.ok, "\(report.problems)")
        #expect(!report.html.contains("href=\"javascript"))
    }

    /// The template's own markup: a tracking pixel, script, frames, style sheets and
    /// `javascript:` links are refused (exit 65) on their line.
    @Test(arguments: [
        ("![](https://tracker.example/p.gif?id={{email}})", "src"),
        ("![pixel](https://tracker.example/p.gif)", "src"),
        ("<img src=\"//tracker.example/p.gif\" alt=\"\">", "src"),
        ("<img src=\"p.gif\" alt=\"\">", "src"),
        ("<script>alert(1)</script>", "<script>"),
        ("<iframe src=\"https://evil.example/\"></iframe>", "<iframe>"),
        ("<link rel=stylesheet href=\"https://evil.example/s.css\">", "<link>"),
        ("<style>p { color: red }</style>", "<style>"),
        ("<svg><a href=\"https://x.example\">x</a></svg>", "<svg>"),
        ("<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">", "<meta>"),
        ("[x](javascript:alert(1))", "href"),
        ("[x]( JavaScript:alert(1))", "href"),
        ("<a href=\"&#106;avascript:alert(1)\">x</a>", "href"),
        ("<a href=\"jav&#x09;ascript:alert(1)\">x</a>", "href"),
        ("<a href=\"java&Tab;script:alert(1)\">x</a>", "href"),
        ("<a href=\"data:text/html,<script>alert(1)</script>\">x</a>", "href"),
        ("<a href=\"https://org.example/\" onclick=\"alert(1)\">x</a>", "onclick"),
        ("<a href=\"https://org.example/\" ping=\"https://tracker.example/\">x</a>", "ping"),
        ("<p style=\"background:url(https://tracker.example/p.gif)\">x</p>", "style"),
        ("<p style=\"background:\\75rl(https://tracker.example/p.gif)\">x</p>", "style"),
        ("<table background=\"https://tracker.example/p.gif\"><tr><td>x</td></tr></table>", "background"),
        ("<!--[if mso]><img src=\"https://tracker.example/p.gif\"><![endif]-->", "<!--[if"),
        ("[a](<https://org.example/>)", "href"),
        ("[a](https://org.example/ \"title\")", "<a>"),
        ("![a](data:image/png;base64,AAAA \"title\")", "<img>"),
        ("[a](https://org.example/\"onmouseover=\"alert(1))", "onmouseover"),
        ("<!--> <script>alert(1)</script> -->", "<script>"),
        ("<div title=\">x", "<div>"),
        ("<!---> <script>alert(1)</script> -->", "<script>"),
        ("<!-- x --!> <script>alert(1)</script> -->", "<script>"),
        ("<textarea></textareax><script>alert(1)</script></textarea>", "<script>"),
        ("<a href=\"https://org.example/\" href=\"javascript:alert(1)\">x</a>", "href"),
        ("<a href=javascript:alert(1)>x</a>", "href"),
        ("<a href=\"java&#x73;cript:alert(1)\">x</a>", "href"),
        ("<a href=\"&#x6A&#x61vascript:alert(1)\">x</a>", "href"),
        ("<a href=\"jav&unknown;ascript:alert(1)\">x</a>", "href"),
        ("<img alt=\"\" src=\"data:image/gif;base64,AAAA\" srcset=\"data:image/gif;base64,AAAA 0.5x, http://t.example/p.gif 1x\"/>", "srcset"),
        ("<img alt=\"\" src=\"data:image/gif;base64,AAAA\" srcset=\"data:image/gif;base64,AAAA 1x&#44;https://t.example/p.gif 2x\"/>", "srcset"),
        ("<img alt=\"\" src=\"data:image/gif;base64,AAAA\" srcset=\"data:image/gif;base64,AAAA,, https://t.example/p.gif 2x\"/>", "srcset"),
        (
            "<picture><source srcset=\"data:image/gif;base64,AAAA 1x, https://t.example/p.gif 2x\"><img src=\"data:image/gif;base64,AAAA\" alt=\"\"/></picture>",
            "srcset"
        ),
        ("<img src=\"data:image/gif;base64,AAAA\" attributionsrc=\"https://t.example/a\" alt=\"\"/>", "attributionsrc"),
        ("<a href=\"https://org.example/\" attributionsrc>x</a>", "attributionsrc"),
        ("<!-- <img src=\"https://t.example/p.gif\"/> -->", "src"),
        ("<!-- old: <a href=\"javascript:alert(1)\">x</a> -->", "href"),
    ])
    func theTemplatesOwnScriptFrameRemoteResourceOrScriptLinkIsRefusedOnItsLine(body: String, subject: String) throws {
        let (error, _) = outcome(body)
        let text = try #require(error, "\(body) was accepted")
        #expect(text.contains("letter.md:7: \(subject): this Markdown letter's HTML "), "\(text)")
        #expect(!text.contains("letter.md:7: {{url}}"), "not blamed on a field: \(text)")
    }

    /// A field right after a literal `<`, `</`, `<!` or `<?` would be a tag's name (or a
    /// comment) in a browser, whatever escaping does: refused on its line, saying how to
    /// write an address instead.
    @Test(arguments: ["Please reply to our attaché <{{url}}>.", "Your address: <{{email}}>", "x </{{url}}> y", "x <!{{url}}> y", "x <?{{url}}> y"])
    func aFieldRightAfterALiteralBracketIsRefused(body: String) throws {
        let (error, _) = outcome(body, value: "img src=x onerror=alert(1) x=")
        let text = try #require(error, "\(body) was accepted")
        let refusal = "}}: in this Markdown letter's HTML the field stands right after a literal <"
        #expect(text.contains("letter.md:7: {{url" + refusal) || text.contains("letter.md:7: {{email" + refusal), "\(text)")
        #expect(text.contains("[{{email}}](mailto:{{email}})"), "says how to write an address: \(text)")
        let (mailto, message) = outcome("Your address: [{{email}}](mailto:{{email}})")
        #expect(mailto == nil, "\(mailto ?? "")")
        #expect(try EmailOracle.check(bytes: try #require(message).data).html.contains("<a href=\"mailto:ann@x.example\">ann@x.example</a>"))
    }

    /// A srcset is read as a browser reads it: a data: address with a comma is one candidate.
    @Test func aSrcsetOfDataCandidatesIsAccepted() throws {
        #expect(
            HTMLInspector.srcsetAddresses("data:image/gif;base64,AAAA 1x, data:x,y 2x,https://a.example/p.gif (a, b) 3x,cid:l,, http://b.example/q")
                == ["data:image/gif;base64,AAAA", "data:x,y", "https://a.example/p.gif", "cid:l", "http://b.example/q"])
        let (error, _) = outcome("<img alt=\"\" src=\"cid:logo\" srcset=\"data:image/gif;base64,AAAA 1x, cid:logo 2x,data:x,https://t.example/p.gif 3x\"/>")
        #expect(error == nil, "\(error ?? "")")
    }

    /// An open tag (`<br>`, `<img …>`) before more Markdown makes Ink copy the rest of the
    /// letter raw: refused on the tag's line, saying to self-close it; self-closed, the
    /// signature keeps its lines and its emphasis.
    @Test func anOpenTagThatLeavesMarkdownUnrenderedIsRefusedOnItsLine() throws {
        let signature = "\n\nYours sincerely,\n\nPierre Sané\nSecretary General\n*Amnesty International*"
        let (error, _) = outcome("Our memorandum follows under separate cover.<br>Thank you." + signature)
        let text = try #require(error, "accepted")
        #expect(
            text.contains("letter.md:7: <br>: this Markdown letter's HTML has <br> left open, so Ink copies the rest of the letter after it as raw HTML"),
            "\(text)")
        #expect(text.contains("<br/>"), "\(text)")
        let logo = try #require(outcome("<img src=\"cid:logo\" alt=\"Logo\">\n\nDear *Ann*,").error, "accepted")
        #expect(logo.contains("letter.md:7: <img>: this Markdown letter's HTML has <img> left open"), "\(logo)")
        let afterCode = try #require(outcome("```\nx\n```\nA `b`<br>c `d`\n\n*e*").error, "accepted")
        #expect(afterCode.contains("letter.md:10: <br>:"), "\(afterCode)")
        let unclosed = try #require(outcome("<span class=\"x\">Dear\n\n*Ann*,").error, "accepted")
        #expect(unclosed.contains("letter.md:7: <span>:") && unclosed.contains("</span>"), "\(unclosed)")

        let (fixed, message) = outcome("Our memorandum follows under separate cover.<br/>Thank you." + signature)
        #expect(fixed == nil, "\(fixed ?? "")")
        let html = try EmailOracle.check(bytes: try #require(message).data).html
        #expect(html.contains("<p>Pierre Sané<br>Secretary General<br><em>Amnesty International</em></p>"), "\(html)")
        #expect(outcome("<img src=\"cid:logo\" alt=\"Logo\"/>\n\nDear *Ann*,").error == nil)
        #expect(outcome("<p>Dear <b>Ann</b>,<br>thank you.</p>").error == nil, "a closed block is Ink's as written")
        #expect(outcome("Write `<br>` for a break, and *mean* it.").error == nil, "code is not HTML")
    }

    /// With several problems, each is listed, on its own line.
    @Test func everyProblemIsListed() throws {
        let (error, _) = outcome("[x]( {{url}})\n\n<img src=\"https://t.example/p.gif\"/>\n\n<!-- {{url}} -->\n\nReply to <{{url}}>.")
        let text = try #require(error)
        for expected in ["letter.md:7: {{url}}:", "letter.md:9: src:", "letter.md:11: {{url}}:", "letter.md:13: {{url}}:"] {
            #expect(text.contains(expected), "\(expected) in \(text)")
        }
    }

    @Test func aRefusedTemplateIsBadDataExit65() throws {
        let folder = TemporaryDirectory("herald-html")
        let path = folder.write("letter.md", "From: o@org.example\nTo: <{{email}}>\nSubject: s\n\n<script>alert(1)</script>\n")
        #expect {
            _ = try RichLetterFixtures.prepared(path, csv: "email\nann@x.example\n")
        } throws: { error in
            (error as? ValidationFailure)?.diagnostics.allSatisfy { $0.kind == .badData } == true
        }
    }

    /// `[html] remote_images = true` lets an image load from `https:` (a field after the
    /// template's own scheme too), and nothing else: scripts and `javascript:` links stay refused.
    @Test func remoteImagesAreAllowedOnlyWhenTheCampaignSaysSo() throws {
        let allow = HTMLPolicy(remoteImages: true)
        let pixel = "![](https://tracker.example/p.gif?id={{url}})"
        #expect(outcome(pixel, value: "ann").error != nil)
        let (error, message) = outcome(pixel, value: "ann", html: allow)
        #expect(error == nil, "\(error ?? "")")
        let report = try EmailOracle.check(bytes: try #require(message).data)
        #expect(report.html.contains("<img src=\"https://tracker.example/p.gif?id=ann\""))
        #expect(outcome("<img src=\"{{url}}\" alt=\"\">", html: allow).error?.contains("could choose the address an image loads from") == true)
        #expect(outcome("<script>alert(1)</script>", html: allow).error != nil)
        #expect(outcome("<p style=\"background:url(https://t.example/p.gif)\">x</p>", html: allow).error != nil)
        #expect(outcome("<video poster=\"https://t.example/p.gif\"></video>", html: allow).error != nil, "only images")
        #expect(outcome("<video><source src=\"https://t.example/v.mp4\"></video>", html: allow).error != nil, "only images")
        #expect(
            outcome("<picture><source srcset=\"https://t.example/a.png\"><img src=\"https://t.example/b.png\" alt=\"\"></picture>", html: allow).error == nil)
    }

    /// A problem is reported on the line where it stands, not where its field is first used.
    @Test func aProblemIsReportedOnItsOwnLine() throws {
        let body = "Dear {{url}},\n\nsee [this]( {{url}}).\n\nAnd <script>x()</script>."
        let (error, _) = outcome(body, value: "ann")
        let text = try #require(error)
        #expect(text.contains("letter.md:9: {{url}}:"), "\(text)")
        #expect(text.contains("letter.md:11: <script>:"), "\(text)")
    }

    /// Inside a section, lines are still found: a closed section removes lines, the problem keeps its own.
    @Test func aProblemAfterASectionIsReportedOnItsTemplateLine() throws {
        let folder = TemporaryDirectory("herald-html")
        let path = folder.write("letter.md", "From: o@org.example\nTo: <{{email}}>\nSubject: s\n\nHello.\n{{#flag}}\nFlagged.\n{{/flag}}\n\n[x]( {{url}})\n")
        #expect {
            _ = try RichLetterFixtures.prepared(path, csv: "email,flag,url\nann@x.example,false,https://x.example\n")
        } throws: { error in
            "\(error)".contains("letter.md:10: {{url}}:")
        }
    }

    // MARK: The letter's shape

    /// The address block and the signature keep their lines in the HTML part; wrapped prose is one paragraph.
    @Test func shortLinesKeepTheirBreaksAndWrappedProseIsJoined() throws {
        let folder = TemporaryDirectory("herald-html")
        let path = folder.write(
            "letter.md",
            """
            From: "Pierre Sané" <secretary.general@amnesty.example>
            To: {{name}} <{{email}}>
            Subject: Open letter

            {{name}}
            {{title}}
            Vienna
            Austria

            As the governments of the European Union prepare for their next round of human
            rights dialogue with China on 8 February 1999, I am writing to urge the
            Government to re-evaluate that process.

            Yours sincerely,

            Pierre Sané
            Secretary General
            Amnesty International
            """)
        let csv = "email,name,title\nvice@bmaa.austria.example,Wolfgang Schüssel,Vice-Chancellor and Federal Minister for Foreign Affairs\n"
        let report = try EmailOracle.check(bytes: try RichLetterFixtures.letter(path, csv: csv).data)
        #expect(report.ok, "\(report.problems)")
        let html = report.html.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(html.contains("<p>Wolfgang Schüssel<br>Vice-Chancellor and Federal Minister for Foreign Affairs<br>Vienna<br>Austria</p>"), "\(html)")
        #expect(html.contains("<p>Pierre Sané<br>Secretary General<br>Amnesty International</p>"), "\(html)")
        #expect(
            html.contains("next round of human rights dialogue with China on 8 February 1999, I am writing to urge the Government to re-evaluate"), "\(html)")
        #expect(report.body.replacingOccurrences(of: "\r\n", with: "\n").contains("Wolfgang Schüssel\nVice-Chancellor"), "the text part is unchanged")
    }

    /// An indented dash list inside a paragraph (the 1999 letter's point III) keeps one line per dash.
    @Test func anIndentedDashListKeepsItsLines() throws {
        let folder = TemporaryDirectory("herald-html")
        let path = folder.write(
            "letter.md",
            """
            From: o@org.example
            To: <{{email}}>
            Subject: s

            III. evaluate the progress of the dialogue, with a view to:
                 - setting concrete objectives and a time frame for their achievement;
                 - improving public accountability and reporting on the content of
                   dialogue sessions;
            """)
        let report = try EmailOracle.check(bytes: try RichLetterFixtures.letter(path, csv: "email\nann@x.example\n").data)
        #expect(
            report.html.contains("achievement;<br> - improving public accountability and reporting on the content of dialogue sessions;</p>"), "\(report.html)")
    }

    @Test func aListAfterAShortLineIsStillAList() throws {
        let folder = TemporaryDirectory("herald-html")
        let path = folder.write("letter.md", "From: o@org.example\nTo: <{{email}}>\nSubject: s\n\nWe call on you to:\n- protest;\n- act.\n")
        let report = try EmailOracle.check(bytes: try RichLetterFixtures.letter(path, csv: "email\nann@x.example\n").data)
        #expect(report.html.contains("<p>We call on you to:</p><ul><li>protest;</li><li>act.</li></ul>"), "\(report.html)")
    }

    /// The HTML part declares the template's language: `[html] language`, or the `[templates]` key.
    @Test func theHTMLPartCarriesTheTemplatesLanguage() throws {
        let folder = TemporaryDirectory("herald-html")
        let path = folder.write("letter.md", "From: o@org.example\nTo: <{{email}}>\nSubject: s\n\nHallo.\n")
        let german = try EmailOracle.check(bytes: try RichLetterFixtures.letter(path, csv: "email\nann@x.example\n", html: HTMLPolicy(language: "de")).data)
        #expect(german.html.contains("<html lang=\"de\">"), "\(german.html)")
        let none = try EmailOracle.check(bytes: try RichLetterFixtures.letter(path, csv: "email\nann@x.example\n").data)
        #expect(none.html.contains("<html>"))
    }

    @Test func theHTMLTableIsReadFromTheCampaignFile() throws {
        let base = "name = \"c\"\ntemplate = \"t.md\"\nrecipients = [\"l.csv\"]\nlog = \"l.jsonl\"\n[smtp]\nurl = \"smtp://127.0.0.1:2525\"\n"
        let campaign = try Campaign.parse(base + "[html]\nlanguage = \"de-AT\"\nremote_images = true\n", file: "c.toml")
        #expect(campaign.html == HTMLPolicy(remoteImages: true, language: "de-AT"))
        #expect(try Campaign.parse(base, file: "c.toml").html == HTMLPolicy())
        #expect {
            _ = try Campaign.parse(base + "[html]\nremote_images = \"yes\"\nlang = \"de\"\nlanguage = \"German\"\n", file: "c.toml")
        } throws: { error in
            let text = "\(error)"
            return text.contains("c.toml:8: html.remote_images: must be true or false") && text.contains("html.lang: unknown key")
                && text.contains("html.language: \"German\" is not a language tag") && (error as? ValidationFailure)?.kind == .badConfig
        }
    }
}
