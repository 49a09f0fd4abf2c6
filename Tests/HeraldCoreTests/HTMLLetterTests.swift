import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Markdown letters: a text part and an HTML part rendered by Ink, field values data in both.
@Suite struct HTMLLetterTests {
    @Test func aMarkdownTemplateIsSentAsTextAndHTMLThatTheStrictParserAccepts() throws {
        let message = try RichLetterFixtures.letter("markdown.md")
        let report = try EmailOracle.check(bytes: message.data)
        #expect(report.ok, "\(report.problems)")
        #expect(report.parts.map(\.content_type) == ["text/plain", "text/html"])
        #expect(report.body.contains("**Federal Minister for Foreign Affairs**"), "the text part is the Markdown with the fields in")
        #expect(report.html.contains("<h1>Open letter to the Government of Germany</h1>"))
        #expect(report.html.contains("<strong>Federal Minister for Foreign Affairs</strong>"))
        #expect(report.html.contains("<li>Release all those detained"))
        #expect(report.html.contains("<a href=\"https://www.amnesty.example/letters/Germany\">our site</a>"))
        #expect(report.html.contains("Pierre Sané, Secretary General of Amnesty International</p>"), "the sender's name at the foot")
        #expect(report.html.contains("max-width:40em"))
        for remote in ["<img", "<script", "src=", "<link", "@import", "url("] {
            #expect(!report.html.contains(remote), "the frame loads nothing and runs nothing: \(remote)")
        }
    }

    @Test func theContentTypeLineOrTheFileNameMakesALetterMarkdown() throws {
        let declared = try LetterTemplate(
            source: "From: a@b.example\nTo: <{{email}}>\nSubject: s\ncontent-type:  Text/Markdown \n\nHi *there*\n",
            file: "letter.txt")
        #expect(declared.isMarkdown)
        let named = try LetterTemplate(source: "From: a@b.example\nTo: <{{email}}>\nSubject: s\n\nHi\n", file: "letter.fr.md")
        #expect(named.isMarkdown)
        let plain = try LetterTemplate(source: "From: a@b.example\nTo: <{{email}}>\nSubject: s\n\nHi\n", file: "letter.mustache")
        #expect(!plain.isMarkdown)
    }

    static let hostile = [
        "<script>alert(\"x\")</script>",
        "Tom & Jerry's \"firm\"",
        "**bold** _it_ [link](javascript:alert(1)) ![img](https://tracker.example/p.gif)",
        "# Heading - item",
        "{{email}} {{#x}}y{{/x}}",
        "<img src=x onerror=alert(1)>",
        "\u{E000}0\u{E001}",
    ]

    /// A hostile value in every field position of a Markdown letter: a display name, the
    /// subject, body text, emphasis, a heading, a list item, link text and a link's address
    /// (after the template's own scheme and host).
    @Test(arguments: hostile)
    func aHostileValueIsEscapedInHTMLAndLiteralInText(value: String) throws {
        let template = """
            From: Office <office@org.example>
            To: {{name}} <{{email}}>
            Subject: Letter for {{name}}
            Content-Type: text/markdown

            # To {{name}}

            Dear {{name}}, *{{name}}* and **{{name}}**.

            - {{name}}

            {{name}}

            See [{{name}}](https://org.example/p?who={{name}}).
            """
        let folder = TemporaryDirectory("herald-html")
        let path = folder.write("letter.txt", template)
        let csv = "email,name\nann@x.example,\(csvQuoted(value))\n"
        let message = try RichLetterFixtures.letter(path, csv: csv)
        let report = try EmailOracle.check(bytes: message.data)
        #expect(report.ok, "\(report.problems)")
        #expect(report.subject == "Letter for \(value)")
        #expect(report.body.replacingOccurrences(of: "\r\n", with: "\n").contains("Dear \(value), *\(value)*"), "the text part holds the value as written")
        let escaped = HTMLSkeleton.escape(value)
        #expect(report.html.contains("Dear \(escaped), <em>\(escaped)</em> and <strong>\(escaped)</strong>."))
        #expect(report.html.contains("<h1>To \(escaped)</h1>"))
        #expect(report.html.contains("<li>\(escaped)</li>"))
        #expect(report.html.contains("<p>\(escaped)</p>"), "a value at a line's start is a paragraph's text, not a heading")
        #expect(report.html.contains("<a href=\"https://org.example/p?who=\(escaped)\">\(escaped)</a>"))
        // Nothing of the value became markup.
        for markup in ["<script", "<img", "<strong>bold", "<em>it", "href=\"javascript", "<h1>Heading", "<h1># Heading", "<li>item"] {
            #expect(!report.html.contains(markup), "\(markup) in \(report.html)")
        }
    }

    @Test func escapingIsTheFiveCharacters() {
        #expect(HTMLSkeleton.escape("<script>alert(\"x\")</script> & 'q' é") == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; é")
        #expect(HTMLSkeleton.escape("plain") == "plain")
    }

    private func csvQuoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    @Test(arguments: [
        ("[site]({{url}})", "choose the scheme"),
        ("<a href=\"{{url}}\">x</a>", "choose the scheme"),
        ("<div {{url}}>x</div>", "inside an HTML tag"),
        ("<a href={{url}}>x</a>", "inside an HTML tag"),
        ("<script>var a = \"{{url}}\";</script>", "<script>"),
    ])
    func aFieldWhereEscapingCannotMakeItTextIsRefusedOnItsLine(body: String, reason: String) throws {
        let folder = TemporaryDirectory("herald-html")
        let path = folder.write("letter.md", "From: o@org.example\nTo: <{{email}}>\nSubject: s\n\nHello.\n\n\(body)\n")
        #expect {
            _ = try RichLetterFixtures.prepared(path, csv: "email,url\nann@x.example,https://x.example\n")
        } throws: { error in
            let text = "\(error)"
            return text.contains("letter.md:7: {{url}}: in this Markdown letter's HTML the field") && text.contains(reason)
        }
    }

    @Test func aMarkdownLetterWithATransformIsRefused() throws {
        #expect(throws: ValidationFailure.self) {
            _ = try LetterTemplate(source: "From: o@org.example\nTo: <{{email}}>\nSubject: s\n\n{{uppercased(name)}}\n", file: "l.md")
        }
    }

    @Test func aLetterIsComposedTheSameEveryTimeAndItsBoundariesAreInNoPart() throws {
        let first = try RichLetterFixtures.letter("markdown.md")
        let second = try RichLetterFixtures.letter("markdown.md")
        #expect(first.data == second.data, "a preview equals the letter sent")
        let text = String(decoding: first.data, as: UTF8.self)
        let boundary = try #require(text.components(separatedBy: "boundary=\"").dropFirst().first?.prefix { $0 != "\"" })
        #expect(boundary.hasPrefix("=_herald_"))
        // The boundary appears only on its delimiter lines.
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.filter { $0.contains(boundary) }.count == 4, "the header, two delimiters and the close")
    }

    /// Text that holds `=_` (the start of every Herald boundary) is written quoted-printable.
    @Test func aTextPartHoldingTheBoundaryPrefixIsQuotedPrintable() throws {
        let folder = TemporaryDirectory("herald-html")
        let path = folder.write("letter.md", "From: o@org.example\nTo: <{{email}}>\nSubject: s\n\nWrite {{code}} here.\n")
        let message = try RichLetterFixtures.letter(path, csv: "email,code\nann@x.example,--=_herald_00000000000000000000000000000000\n")
        let report = try EmailOracle.check(bytes: message.data)
        #expect(report.ok, "\(report.problems)")
        #expect(report.parts.map(\.transfer_encoding) == ["quoted-printable", "quoted-printable"])
        #expect(report.body.contains("--=_herald_00000000000000000000000000000000"))
    }

    /// Ink runs once per letter shape: letters whose fields are in the same states share it.
    @Test func theHTMLIsRenderedOncePerShape() throws {
        let csv = "email,name,title,salutation,country\n" + (1...50).map { "m\($0)@x.example,N\($0),T,Dear,C\($0)" }.joined(separator: "\n")
        let prepared = try RichLetterFixtures.prepared("markdown.md", csv: csv)
        let shapes = try #require(prepared.template.shapes)
        #expect(shapes.count == 1)
    }
}
