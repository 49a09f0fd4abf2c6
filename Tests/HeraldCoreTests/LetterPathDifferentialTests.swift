import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Compares a letter's way through the template shapes and the byte composer with the way
/// it took before (`LegacyLetterPath`: Mustache for every letter, String composition), on
/// generated templates and rows: the rendered letter (headers, their problems, mailboxes,
/// body), the row checks, and the composed message byte for byte or the same problems.
///
/// The templates mix what the shapes stand for with what they do not (a dotted name, a
/// transform, `{{.}}`, a pragma, a placeholder character or a brace beside an accent in the
/// body), the header structures with every way of getting them wrong, and rows whose
/// values are empty, flags in any case, texts with quotes, commas, brackets, tags,
/// placeholder characters, line breaks and every script; each template renders many rows,
/// so that most letters come from a shape made for an earlier one.
@Suite struct LetterPathDifferentialTests {
    static let date = Date(timeIntervalSince1970: 918_000_000)

    static let froms = [
        "\"Pierre Sané, Secretary General of Amnesty International\" <secretary.general@amnesty.example>",
        "Amnesty International <press@amnesty.example>", "sender@org.example", "{{sender}} <s@org.example>",
        "{{email}}", "Bad <{{name}}>", "<{{user}}@x.example>", "\"Unbalanced <a@b.example>", "Two <a@b.example>, Three <c@d.example>",
        "{{#flag}}A <a@x.example>{{/flag}}{{^flag}}B <b@x.example>{{/flag}}", "not an address", "Ann <ann@bücher.example>",
    ]
    static let tos = [
        "{{name}} <{{email}}>", "{{email}}", "{{name}} <{{email}}>, {{cc}}", "{{title}} {{name}} <{{email}}>",
        "\"{{name}}\" <{{email}}>", "x <y@z.example>", "{{name}} <{{email}}>{{#flag}}, Boss <boss@x.example>{{/flag}}",
        "{{name}} <{{email}}>, {{name}} <{{cc}}>", "{{sender}}, {{name}} <{{email}}>",
    ]
    static let others = [
        "Cc: {{cc}}", "Cc: Copy <copy@x.example>", "Cc: {{name}} <{{cc}}>", "Bcc: Hidden <hidden@x.example>", "Bcc: {{cc}}",
        "Reply-To: Amnesty International Press Office <press.office@amnesty.example>", "Reply-To: {{sender}} <reply@x.example>",
        "Sender: Office <office@x.example>", "X-Campaign: {{country}}", "X-Note: Sané – the same for everyone",
        "{{hname}}: value", "X-{{hname}}: v", "Date: now", "Subject: twice", "not a header line", "  continued {{name}}",
        "X-Long: " + String(repeating: "word ", count: 40), "X-Flag: {{flag}} {{#flag}}on{{/flag}}",
    ]
    static let subjects = [
        "Open letter to the Government of {{country}} on the EU–China human rights dialogue of 8 February 1999",
        "Hi {{name}}", "Plain subject", "{{subject}}", "Open =?utf-8?q?x?= {{name}}", "{{#flag}}Presidency: {{/flag}}{{country}}",
    ]
    static let bodyLines = [
        "London, February 1999", "", "{{name}}", "{{{title}}}", "{{& city}}", "{{#flag}}Presidency paragraph.{{/flag}}",
        "{{^flag}}Member state paragraph.{{/flag}}", "{{#name}}Dear {{name}},{{/name}}", "{{! a comment }}", "{{#flag}}",
        "standalone section line {{country}}", "{{/flag}}", "Sané – €", "{{#missing}}never{{/missing}}", "{{ country }} and {{city}}.",
        "trailing spaces   ", "=3D and dots", String(repeating: "long line ", count: 120),
    ]
    /// Lines only some templates get: tags the shapes do not stand for, and the body characters that rule them out.
    static let unshapedLines = [
        "{{name.first}}", "{{uppercased(name)}}", "{{#city}}{{.}}{{/city}}", "{{% CONTENT_TYPE: HTML }}", "a \u{E000}0\u{E001} b",
        "é{{name}}", "{{name}}\u{301}",
    ]

    static let values: [String: [String]] = [
        "name": [
            "Ann", "Pierre Sané", "O'Brien, Jr.", "\"Q\" <x@y.example>", "{{x}}", "", " ", "TRUE", "false", "Ελένη Παπαδόπουλος",
            "a\u{E000}0\u{E001}b", "Ødegård", String(repeating: "Longname ", count: 12), "=?utf-8?q?x?=", "e\u{301}", "Ann\nBcc: x@y.example",
            "Kelvin \u{212A}", "Ann (the) Minister; <boss>",
        ],
        "title": ["Minister", "", "Vice-Chancellor & Federal Minister", "<b>", "true"],
        "country": ["Germany", "the Netherlands", "", "Österreich", "True", "FALSE"],
        "city": ["Bonn", "The Hague", "", "1 Street\nTown", "Den Haag\r\n"],
        "flag": ["true", "false", "TRUE", "", "yes", "False", "tRuE", "\u{212A}", "truE "],
        "sender": ["Office", "", "Sané, Pierre", "o@x.example", "\"quoted\""],
        "cc": ["copy@x.example", "", "not an address", "a@b", " spaced@x.example ", "josé@bücher.example", "TRUE"],
        "subject": ["Hello", "", "Ministère étrangère", "=?utf-8?b?x?=", String(repeating: "x", count: 120)],
        "hname": ["X-A", "", "true"],
        "user": ["ann", "", "ann@x.example"],
    ]

    static func template(_ random: inout SplitMix) -> String {
        var lines: [String] = []
        if random.chance(10) { lines.append("{{% CONTENT_TYPE: TEXT }}") }
        var headers = ["From: " + random.pick(froms), "To: " + random.pick(tos), "Subject: " + random.pick(subjects)]
        for _ in 0..<random.int(0...3) { headers.insert(random.pick(others), at: random.int(1...headers.count)) }
        if random.chance(5) { headers.removeLast() }
        lines += headers
        lines.append("")
        for _ in 0..<random.int(0...12) { lines.append(random.pick(bodyLines)) }
        if random.chance(15) { lines.insert(random.pick(unshapedLines), at: random.int((headers.count + 1)...lines.count)) }
        return lines.joined(separator: random.chance(10) ? "\r\n" : "\n")
    }

    static func recipient(_ random: inout SplitMix, line: Int) throws -> Recipient {
        var fields: [String: String] = [:]
        for (name, pool) in values.sorted(by: { $0.key < $1.key }) where random.chance(95) { fields[name] = random.pick(pool) }
        let email = random.pick(["ann@x.example", "Pierre.Sane@Ministry.example", "josé@bücher.example"])
        fields["email"] = email
        return Recipient(file: "list.csv", line: line, fields: fields, address: try EmailAddress(parsing: email))
    }

    /// A handful of rows, then many more that share their field states and differ in values.
    static func rows(_ random: inout SplitMix) throws -> [Recipient] {
        var rows: [Recipient] = []
        for line in 2..<(2 + random.int(1...4)) { rows.append(try recipient(&random, line: line)) }
        for line in rows.count..<(rows.count + 12) {
            var row = random.pick(rows)
            row.line = line + 2
            for (name, value) in row.fields.sorted(by: { $0.key < $1.key }) where random.chance(40) {
                let others = (values[name] ?? []).filter { LetterShapes.State($0) == LetterShapes.State(value) }
                if !others.isEmpty { row.fields[name] = random.pick(others) }
            }
            rows.append(row)
        }
        return rows
    }

    @Test(arguments: [1999, 2026] as [UInt64])
    func lettersMatchTheOldPath(seed: UInt64) throws {
        var random = SplitMix(seed: seed)
        var differing: [String] = []
        var templates = 0, shaped = 0, composed = 0, refused = 0
        for _ in 0..<800 {
            let source = Self.template(&random)
            guard let template = try? LetterTemplate(source: source, file: "letter.mustache") else { continue }
            templates += 1
            if template.shapes != nil { shaped += 1 }
            let addressColumns = random.pick([[], ["cc"], ["cc", "user"], ["sender"]])
            for row in try Self.rows(&random) {
                let letter = template.render(row, addressColumns: addressColumns)
                let old = LegacyLetterPath.render(template, row, addressColumns: addressColumns)
                if letter != old { differing.append("render: \(source.debugDescription) \(row.fields)") }
                if template.check(row) != LegacyLetterPath.check(template, row) { differing.append("check: \(source.debugDescription) \(row.fields)") }
                let new = Result { () throws(ComposeFailure) in
                    try MessageComposer.compose(letter, campaign: "c", recipientKey: row.key, date: Self.date)
                }
                let before = Result { () throws(ComposeFailure) in
                    try LegacyLetterPath.compose(old, campaign: "c", recipientKey: row.key, date: Self.date)
                }
                switch (new, before) {
                case (.success(let a), .success(let b)) where a == b: composed += 1
                case (.failure(let a), .failure(let b)) where a.problems == b.problems: refused += 1
                default: differing.append("compose: \(source.debugDescription) \(row.fields)")
                }
            }
        }
        #expect(differing.isEmpty, "\(differing.count) differ, first: \(differing.first ?? "")")
        // The generator reaches every path: templates with and without shapes, letters composed and refused.
        #expect(templates > 400 && shaped > 300 && templates - shaped > 30, "\(templates) templates, \(shaped) with shapes")
        #expect(composed > 1_000 && refused > 1_000, "\(composed) composed, \(refused) refused")
    }

    /// A header the template encoded once is encoded again once it is changed.
    @Test func aChangedHeaderIsEncodedAnew() throws {
        let template = try TestData.template("From: Pierre Sané <p@amnesty.example>\nTo: {{name}} <{{email}}>\nSubject: Hi\n\nBody")
        let row = try TestData.list("email,name\nann@x.example,Ann\n").recipients[0]
        var letter = template.render(row)
        #expect(letter.headers[0].encoded != nil)
        letter.headers[0].value = "Somebody Else <else@x.example>"
        letter.headers[0].mailboxes = nil
        #expect(letter.headers[0].encoded == nil)
        let message = try MessageComposer.compose(letter, campaign: "c", recipientKey: row.key, date: Self.date)
        let old = try LegacyLetterPath.compose(letter, campaign: "c", recipientKey: row.key, date: Self.date)
        #expect(message == old)
        #expect(String(decoding: message.data, as: UTF8.self).hasPrefix("From: Somebody Else <else@x.example>\r\n"))
    }

    /// The flag test gives what lowercasing gave, on the values where the shortcut could go wrong.
    @Test(arguments: [
        "true", "TRUE", "tRuE", "false", "FALSE", "true ", " true", "tru", "truee", "", "\u{212A}", "\u{130}",
        "ｔｒｕｅ", "TRUE\u{301}", "falsé", "ﬀalse", "yes", "1",
    ])
    func flagsAreWhatLowercasingSays(value: String) {
        let old: Bool? = value.lowercased() == "true" ? true : value.lowercased() == "false" ? false : nil
        #expect(LetterTemplate.flag(value) == old)
    }
}
