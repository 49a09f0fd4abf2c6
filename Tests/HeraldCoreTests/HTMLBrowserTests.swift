import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Headless Chromium (Debian's) as the judge: the attacks the check refuses do run in a
/// browser when the check is left out, and the letters it accepts, with hostile values in
/// every field, resolve no link to `javascript:` and run no handler.
/// Chromium is installed by `make deps`; without it these tests fail (they are not skipped).
@Suite(.tags(.integration, .browser)) struct HTMLBrowserTests {
    static let pwn = "document.body.setAttribute('data-pwned','yes')"

    /// The page a template's body would make for one value, with the check left out.
    private func unchecked(_ body: String, value: String) -> (html: String, problems: [HTMLInspector.Problem]) {
        let skeleton = HTMLSkeleton(markdown: body.replacingOccurrences(of: "{{url}}", with: LetterTemplate.placeholder(0)))
        let page = HTMLFrame.page(fragment: skeleton.filled([value]), title: "t", sender: "s")
        return (page, skeleton.problems.map(\.problem))
    }

    /// The issue's attacks: each runs in Chromium without the check (so the probe sees what
    /// it must), and each is what the check refuses.
    @Test(arguments: [
        ("[x]( {{url}})", "javascript:\(pwn)"),
        ("[x](\t{{url}})", "javascript:\(pwn)"),
        ("[x](&#32;{{url}})", "javascript:\(pwn)"),
        ("<a href=\" {{url}}\">x</a>", "javascript:\(pwn)"),
        ("<a onclick=\"console.log('{{url}}')\">x</a>", "');\(pwn);//"),
        ("Please reply to our attaché <{{url}}>.", "img src=x onerror=\(pwn) x="),
        ("Your address: <{{url}}>", "svg/onload=\(pwn)//@x.example"),
        ("<!-- note for {{url}}>\n<a href=\"javascript:\(pwn)\">old link</a>\n-->", "--"),
    ])
    func theAttacksRunInChromiumWithoutTheCheckAndTheCheckRefusesThem(body: String, value: String) throws {
        let (html, problems) = unchecked(body, value: value)
        let verdict = try HeadlessChromium.judge(html)
        #expect(verdict.pwned, "the attack did not run, so this test proves nothing: \(verdict.dom)")
        #expect(problems.contains { $0.field == 0 }, "the check lets through what Chromium runs: \(body)")
    }

    /// The template's own markup that a check on raw characters would miss: each runs in
    /// Chromium, and each is refused.
    @Test(arguments: [
        "<!--> <a href=\"javascript:\(pwn)\">x</a> -->",
        "<!-- x --!> <a href=\"javascript:\(pwn)\">x</a> -->",
        "<a href=\"&#106;avascript:\(pwn)\">x</a>",
        "<a href=\"jav&#x09;ascript:\(pwn)\">x</a>",
        "<a href=\"java&Tab;script:\(pwn)\">x</a>",
        "[x]( JavaScript:\(pwn))",
        "<p onmouseover=\"\(pwn)\">x</p>",
    ])
    func theTemplatesOwnScriptRunsInChromiumAndIsRefused(body: String) throws {
        let (html, problems) = unchecked(body, value: "")
        let verdict = try HeadlessChromium.judge(html)
        #expect(verdict.pwned, "the markup did not run, so this test proves nothing: \(verdict.dom)")
        #expect(problems.contains { $0.field == nil }, "the check lets through what Chromium runs: \(body)")
    }

    /// A srcset whose first candidate is a data: image hides a remote one: Chromium loads the
    /// remote candidate (at 1x), and the check refuses the srcset; so with `attributionsrc`.
    @Test func aRemoteSrcsetCandidateLoadsInChromiumAndIsRefused() throws {
        let gif = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
        let (html, problems) = unchecked("<img alt=\"\" src=\"\(gif)\" srcset=\"\(gif) 0.5x, https://pixel.invalid/p.gif 1x\"/>", value: "")
        let verdict = try HeadlessChromium.judge(html)
        #expect(verdict.loads == ["https://pixel.invalid/p.gif"], "Chromium did not choose the remote candidate, so this test proves nothing: \(verdict.dom)")
        #expect(problems.contains { $0.field == nil && $0.subject == "srcset" }, "\(problems)")
        #expect(
            unchecked("<img alt=\"\" src=\"\(gif)\" attributionsrc=\"https://pixel.invalid/a\"/>", value: "").problems.contains {
                $0.subject == "attributionsrc"
            })
    }

    /// An open `<br>` mid-paragraph: without the check the signature shows in Chromium as one
    /// line with its Markdown literal; the check refuses it.
    @Test func anOpenBreakLeavesTheSignatureUnrenderedInChromiumAndIsRefused() throws {
        let (html, problems) = unchecked(
            "Under separate cover.<br>Thank you.\n\nYours sincerely,\n\nPierre Sané\nSecretary General\n*Amnesty International*", value: "")
        let verdict = try HeadlessChromium.judge(html)
        #expect(verdict.dom.contains("*Amnesty International*"), "the Markdown was rendered, so this test proves nothing: \(verdict.dom)")
        #expect(problems.contains { $0.subject == "<br>" }, "\(problems)")
    }

    static let hostile = [
        "javascript:\(pwn)",
        " javascript:\(pwn)",
        "');\(pwn);//",
        "\" onmouseover=\"\(pwn)",
        "&#106;avascript:\(pwn)",
        "<img src=x onerror=\"\(pwn)\">",
    ]

    /// Every accepted place for a field, filled with each hostile value, in a letter as
    /// Herald composes it: in Chromium no link is `javascript:` and nothing runs.
    @Test(arguments: hostile)
    func anAcceptedLetterWithHostileValuesIsInertInChromium(value: String) throws {
        let folder = TemporaryDirectory("herald-html")
        let path = folder.write(
            "letter.md",
            """
            From: o@org.example
            To: {{url}} <{{email}}>
            Subject: {{url}}

            # {{url}}

            Dear {{url}}, see [the memorandum](https://org.example/m?c={{url}}), *{{url}}*.

            <a href="mailto:press@org.example?subject={{url}}" title="{{url}}">write</a>
            <abbr title="{{url}}" class="{{url}}">EU</abbr>

            {{url}}
            Secretary General
            """)
        let csv = "email,url\nann@x.example,\"\(value.replacingOccurrences(of: "\"", with: "\"\""))\"\n"
        let report = try EmailOracle.check(bytes: try RichLetterFixtures.letter(path, csv: csv).data)
        #expect(report.ok, "\(report.problems)")
        let verdict = try HeadlessChromium.judge(report.html)
        #expect(!verdict.protocols.isEmpty, "the probe ran: \(verdict.dom)")
        #expect(verdict.protocols.allSatisfy { ["https:", "mailto:"].contains($0) }, "\(verdict.protocols)")
        #expect(!verdict.pwned, "\(verdict.dom)")
    }
}
