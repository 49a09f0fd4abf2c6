import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// `[templates]`: a template per language, chosen by the list's `language` column.
@Suite struct LanguageTemplateTests {
    static let base = """
        name = "c"
        template = "letter.md"
        recipients = ["list.csv"]
        log = "log.jsonl"
        [smtp]
        url = "smtp://127.0.0.1:2525"
        """

    @Test func templatesByLanguageAreResolvedAgainstTheCampaignFile() throws {
        let campaign = try Campaign.parse(Self.base + "\n[templates]\nfr = \"letters/letter.fr.md\"\nPT-br = \"../pt.md\"\n", file: "/srv/c/campaign.toml")
        #expect(campaign.languageTemplates == ["fr": "/srv/c/letters/letter.fr.md", "pt-br": "/srv/pt.md"])
    }

    @Test(arguments: [
        ("[templates]\nfrench_ = \"x.md\"", "c.toml:6: templates.french_: \"french_\" is not a language tag"),
        ("[templates]\nfr = 3", "c.toml:6: templates.fr: must be a template file's path"),
        ("[templates]\nfr = \"\"", "c.toml:6: templates.fr: must be a template file's path"),
        ("[templates]\nfr = \"a.md\"\nFR = \"b.md\"", "templates.fr: names a language already in [templates]"),
        ("templates = \"x.md\"", "c.toml:5: templates: must be a table"),
    ])
    func aBadTemplatesTableIsAConfigErrorOnItsLine(extra: String, expected: String) throws {
        #expect {
            _ = try Campaign.parse(Self.base.replacingOccurrences(of: "[smtp]", with: "\(extra)\n[smtp]"), file: "c.toml")
        } throws: { error in
            guard let failure = error as? ValidationFailure else { return false }
            return failure.kind == .badConfig && failure.description.contains(expected)
        }
    }

    static let english = "From: o@org.example\nTo: {{name}} <{{email}}>\nSubject: Letter\n\nDear {{name}}, English.\n"
    static let french = "From: o@org.example\nTo: {{name}} <{{email}}>\nSubject: Lettre\n\nMadame, Monsieur {{name}}, français.\n"

    @Test func theLanguageColumnChoosesAndAnythingElseGetsTheDefaultWithAWarningCounted() throws {
        let folder = TemporaryDirectory("herald-languages")
        let french = folder.write("letter.fr.txt", Self.french)
        let csv = """
            email,name,language
            a@x.example,Ann,fr
            b@x.example,Bo,
            c@x.example,Cy,es
            d@x.example,Di,FR
            e@x.example,Ed,es
            f@x.example,Fa,de
            """
        let english = folder.write("letter.txt", Self.english)
        let prepared = try RichLetterFixtures.prepared(english, csv: csv, languageTemplates: ["fr": french])
        let subjects = try prepared.recipients.map { try prepared.compose($0, date: RichLetterFixtures.date).subject }
        #expect(subjects == ["Lettre", "Letter", "Letter", "Lettre", "Letter", "Letter"])
        #expect(
            prepared.warnings.map(\.description) == [
                "list.csv:4: language: 2 recipients have language \"es\" (first on this line), which [templates] in /campaigns/test.toml does not name; they get the default template \(english)",
                "list.csv:7: language: 1 recipient has language \"de\" (first on this line), which [templates] in /campaigns/test.toml does not name; it gets the default template \(english)",
            ])
        #expect(prepared.fingerprint != prepared.template.fingerprint, "an edit to the French letter is an edit to the campaign")
    }

    @Test func theWarningQuotesTheLanguageAsWrittenNotLowerCased() throws {
        let folder = TemporaryDirectory("herald-languages")
        let french = folder.write("letter.fr.txt", Self.french)
        let english = folder.write("letter.txt", Self.english)
        let csv = "email,name,language\na@x.example,Ann,\u{1B}[2J\nb@x.example,Bo,ES\nc@x.example,Cy,es\n"
        let prepared = try RichLetterFixtures.prepared(english, csv: csv, languageTemplates: ["fr": french])
        let warnings = prepared.warnings.map(\.description)
        #expect(warnings.count == 2, "\(warnings)")
        #expect(warnings.first?.contains("\u{1B}[2J") == true || warnings.first?.contains("\\u001B[2J") == true, "\(warnings)")
        #expect(warnings.allSatisfy { !$0.contains("[2j") }, "the value was lower-cased: \(warnings)")
        #expect(warnings.last?.contains("2 recipients have language \"ES\"") == true, "\(warnings)")
    }

    @Test func withoutTemplatesTheLanguageColumnIsAnOrdinaryField() throws {
        let folder = TemporaryDirectory("herald-languages")
        let english = folder.write("letter.txt", Self.english)
        let prepared = try RichLetterFixtures.prepared(english, csv: "email,name,language\na@x.example,Ann,es\n")
        #expect(prepared.warnings.isEmpty)
        #expect(prepared.fingerprint == prepared.template.fingerprint, "a campaign without [templates] keeps its log's fingerprints")
    }

    @Test func aLanguageTemplateIsCheckedAgainstTheListLikeTheDefault() throws {
        let folder = TemporaryDirectory("herald-languages")
        let french = folder.write("letter.fr.txt", Self.french + "{{ville}}\n")
        let english = folder.write("letter.txt", Self.english)
        #expect {
            _ = try RichLetterFixtures.prepared(english, csv: "email,name,language\na@x.example,Ann,fr\n", languageTemplates: ["fr": french])
        } throws: { error in "\(error)".contains("letter.fr.txt:6: ville: the template uses a field that list.csv has no column for") }
    }
}
