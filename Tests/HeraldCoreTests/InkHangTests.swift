import Foundation
import Testing

@testable import HeraldCore

/// A Markdown body that Ink 0.6.0 never finishes rendering (found by FuzzHTML) is refused
/// when the template is read, at its line, instead of hanging `validate` while memory grows.
@Suite struct InkHangTests {
    static let header = "From: a@org.example\nTo: {{email}}\nSubject: s\n\n"

    @Test(arguments: [
        ("Dear {{name}},\n\nThe ratio <p-value is small.\n", 7),
        ("Dear {{name}},\n<P\n", 6),
        ("Dear {{name}}, <p", 5),
    ])
    func aParagraphTagWithNoClosingBracketIsRefusedAtItsLine(body: String, line: Int) {
        do {
            _ = try LetterTemplate(source: Self.header + body, file: "letter.md")
            Issue.record("a Markdown body with an unclosed <p was accepted; Ink would never finish rendering it")
        } catch {
            #expect(error.diagnostics.count == 1)
            #expect(error.diagnostics.first?.line == line)
            #expect(error.diagnostics.first?.file == "letter.md")
            #expect(error.diagnostics.first?.message.contains("\"<p\" with no \">\" after it") == true)
        }
    }

    @Test func aLaterClosingBracketOrATextLetterIsAccepted() throws {
        let list = try RecipientList.parse("email,name\nx@y.example,Jo\n", file: "l.csv")
        let closed = try LetterTemplate(source: Self.header + "Dear {{name}},\n\nThe ratio <p-value> is small.\n", file: "letter.md")
        let letter = closed.render(list.recipients[0])
        #expect(letter.body.contains("Dear Jo"))
        #expect(letter.html?.contains("<p-value>") == true, "Ink read the tag as HTML and finished")
        // A text letter never meets Ink.
        _ = try LetterTemplate(source: Self.header + "Dear {{name}}, <p\n", file: "letter.mustache")
    }
}

/// Brackets nested deeper than Ink renders in reasonable time are refused at their line.
@Suite struct InkBracketDepthTests {
    @Test func nineOpenBracketsAreRefusedAtTheLineOfTheNinth() {
        let body = "Dear {{name}},\n\n" + String(repeating: "x [", count: 5) + "\n" + String(repeating: "x [", count: 20) + "y\n"
        do {
            _ = try LetterTemplate(source: InkHangTests.header + body, file: "letter.md")
            Issue.record("a Markdown body with 25 open [ was accepted; Ink would take hours on it")
        } catch {
            #expect(error.diagnostics.map(\.line) == [8])
            #expect(error.diagnostics.first?.message.contains("more than 8 \"[\" open at once") == true)
        }
    }

    @Test func closedOrShallowBracketsAreAcceptedAndRenderQuickly() throws {
        let list = try RecipientList.parse("email,name\nx@y.example,Jo\n", file: "l.csv")
        let body = "Dear {{name}}, " + String(repeating: "[note] ", count: 200) + String(repeating: "[", count: 8) + "x\n"
        let template = try LetterTemplate(source: InkHangTests.header + body, file: "letter.md")
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            let letter = template.render(list.recipients[0])
            #expect(letter.html?.contains("[note]") == true)
            _ = try #require(letter.html)
        }
        #expect(elapsed < .seconds(5), "Ink took \(elapsed) on 8 open brackets")
    }
}

/// A Markdown letter that opens with a `---` rule is rendered, not read as Ink's front matter
/// (on which Ink 0.6.0 trapped: found by FuzzHTML).
@Suite struct InkFrontMatterTests {
    @Test(arguments: ["---\n\nDear {{name}},\n\nYours\n", "---\nDear {{name}},\n", "\n  ---\n\nDear {{name}}\n"])
    func aLetterOpeningWithARuleRendersItsRuleAndText(body: String) throws {
        let list = try RecipientList.parse("email,name\nx@y.example,Jo\n", file: "l.csv")
        let template = try LetterTemplate(source: InkHangTests.header + body, file: "letter.md")
        let html = try #require(template.render(list.recipients[0]).html)
        #expect(html.contains("Dear Jo"))
        #expect(html.contains("<hr"), "the opening --- is a rule")
        #expect(html.contains("<p>Dear Jo"), "the rest is Markdown, not swallowed as raw HTML")
    }

    @Test func aBodyNotOpeningWithADashIsGivenToInkUnchanged() {
        #expect(HTMLSkeleton.shieldedFromFrontMatter("Dear x\n\n---") == "Dear x\n\n---")
        #expect(HTMLSkeleton.shieldedFromFrontMatter("- item") == "<wbr/>\n\n- item")
    }

    @Test(arguments: ["Dear {{name}},\n\n- \n ", "Dear {{name}},\n\n* \n\t"])
    func aLetterEndingInAnEmptyListItemAndWhiteSpaceRenders(body: String) throws {
        let list = try RecipientList.parse("email,name\nx@y.example,Jo\n", file: "l.csv")
        let template = try LetterTemplate(source: InkHangTests.header + body, file: "letter.md")
        let html = try #require(template.render(list.recipients[0]).html)
        #expect(html.contains("Dear Jo"))
    }
}
