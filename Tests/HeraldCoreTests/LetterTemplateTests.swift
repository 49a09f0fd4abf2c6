import Foundation
import Testing

@testable import HeraldCore

@Suite struct LetterTemplateTests {
    static let header = "From: a@org.example\nTo: {{email}}\nSubject: s\n\n"

    @Test(arguments: [
        ("A & B", "A & B"),
        ("<Ministry>", "<Ministry>"),
        ("\"quoted\" and 'single'", "\"quoted\" and 'single'"),
        ("{{password}}", "{{password}}"),
        ("{{#x}}open{{/x}}", "{{#x}}open{{/x}}"),
    ])
    func fieldsRenderAsLiteralText(value: String, expected: String) throws {
        let template = try TestData.template(Self.header + "Dear {{name}}.")
        let list = try TestData.list("email,name\nx@y.example,\"\(value.replacingOccurrences(of: "\"", with: "\"\""))\"\n")
        let letter = template.render(list.recipients[0])
        #expect(letter.body == "Dear \(expected).")
    }

    @Test func headersAreReadWithTheirTemplateLines() throws {
        let template = try TestData.template("{{% CONTENT_TYPE: TEXT }}\nFrom: a@org.example\nTo: {{email}}\nSubject: Hi\n  there\n\nBody")
        let list = try TestData.list("email\nx@y.example\n")
        let letter = template.render(list.recipients[0])
        #expect(letter.headers.map(\.name) == ["From", "To", "Subject"])
        #expect(letter.headers.map(\.line) == [2, 3, 4])
        #expect(letter.headers[2].value == "Hi there")
        #expect(letter.body == "Body")
    }

    @Test func sectionOpensOnlyForTrueFlag() throws {
        let template = try TestData.template(Self.header + "{{#presidency}}P{{/presidency}}{{^presidency}}N{{/presidency}}")
        let list = try TestData.list("email,presidency\na@x.example,true\nb@x.example,false\nc@x.example,\nd@x.example,TRUE\n")
        #expect(list.recipients.map { template.render($0).body } == ["P", "N", "N", "P"])
    }

    @Test func unknownFieldIsReportedAtTemplateLine() throws {
        let template = try TestData.template(Self.header + "Line one\nDear {{salutation}}\n")
        let problems = template.check(columns: ["email", "name"], listFile: "list.csv")
        #expect(
            problems.map(\.description) == [
                "letter.mustache:6: salutation: the template uses a field that list.csv has no column for (its columns: email, name)"
            ])
    }

    @Test func emptyPrintedFieldIsReportedAtRecipientLine() throws {
        let template = try TestData.template(Self.header + "Dear {{name}}\n{{#flag}}{{extra}}{{/flag}}")
        let list = try TestData.list("email,name,flag,extra\na@x.example,Ann,false,\nb@x.example,,false,\nc@x.example,Cy,true,\n")
        #expect(template.check(list.recipients[0]).isEmpty, "extra is empty but its section is closed")
        #expect(
            template.check(list.recipients[1]).map(\.description) == [
                "list.csv:3: name: is empty, but the letter prints it (letter.mustache:5); fill it in"
            ])
        #expect(template.check(list.recipients[2]).map { $0.field } == ["extra"])
    }

    @Test(arguments: ["Evil\r\nBcc: victim@x.example", "Evil\nX: y", "Nul\u{0}byte"])
    func lineBreakInHeaderFieldIsRefused(name: String) throws {
        let template = try TestData.template("From: a@org.example\nTo: {{name}} <{{email}}>\nSubject: s\n\nBody {{name}}")
        let recipient = Recipient(
            file: "list.csv", line: 7, fields: ["email": "a@x.example", "name": name],
            address: try EmailAddress(parsing: "a@x.example"))
        let problems = template.check(recipient)
        #expect(problems.count == 1)
        #expect(problems.first?.description.hasPrefix("list.csv:7: name: holds a line break or NUL") == true)
    }

    @Test func multiLineFieldIsAllowedInBody() throws {
        let template = try TestData.template(Self.header + "{{address}}")
        let list = try TestData.list("email,address\na@x.example,\"1 Street\nTown\"\n")
        #expect(template.check(list.recipients[0]).isEmpty)
        #expect(template.render(list.recipients[0]).body == "1 Street\nTown")
    }

    @Test func syntaxErrorNamesTheLine() throws {
        let error = #expect(throws: ValidationFailure.self) {
            try TestData.template(Self.header + "ok\n{{#open}}never closed\n")
        }
        #expect(error?.diagnostics.first?.line == 6 || error?.diagnostics.first?.line == 7)
        #expect(error?.diagnostics.first?.description.contains("template syntax error") == true)
    }

    @Test func templateWithoutHeaderBlockIsRefused() {
        #expect(throws: ValidationFailure.self) { try TestData.template("\nJust a body") }
        #expect(throws: ValidationFailure.self) { try TestData.template("From: a@b.example") }
    }
}
