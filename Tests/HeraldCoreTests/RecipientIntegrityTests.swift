import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// A field value never adds, removes or changes a recipient: address headers are read from
/// the template's structure, and a value is only ever a display name or one whole address.
@Suite struct RecipientIntegrityTests {
    static func prepare(_ csv: String, template: String, addressColumns: [String] = []) throws(ValidationFailure) -> PreparedCampaign {
        var campaign = TestData.campaign()
        campaign.addressColumns = addressColumns
        do {
            return try PreparedCampaign.prepare(
                campaign: campaign, template: try TestData.template(template),
                lists: [try TestData.list(csv)], date: Date(timeIntervalSince1970: 0))
        } catch let failure as ValidationFailure {
            throw failure
        } catch {
            throw ValidationFailure([Diagnostic(.badData, file: "?", "\(error)")])
        }
    }

    static func problems(_ csv: String, template: String, addressColumns: [String] = []) -> [String] {
        do { _ = try prepare(csv, template: template, addressColumns: addressColumns); return [] } catch {
            return error.diagnostics.map(\.description)
        }
    }

    static let hostileNames = [
        "Eve <eve@attacker.example>, Bob",
        "Bob\" <eve@attacker.example>, \"x",
        "\"Bob\" <eve@attacker.example>",
        "<eve@attacker.example>",
        "eve@attacker.example",
        "Bob, Jr. (the) \\ <>;:@[]",
        "{{>x}}",
        "=?utf-8?q?Eve?= <eve@attacker.example>",
    ]

    @Test(arguments: hostileNames, ["{{name}} <{{email}}>", "\"{{name}}\" <{{email}}>", "{{{name}}} <{{email}}>"])
    func aHostileNameIsADisplayNameAndNeverARecipient(name: String, to: String) throws {
        let template = "From: Sender <sender@org.example>\nTo: \(to)\nCc: Press <press@org.example>\nSubject: For {{name}}\n\nDear {{name}}\n"
        let csv = "email,name\nbob@x.example,\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\"\n"
        let prepared = try Self.prepare(csv, template: template)
        let message = try prepared.compose(try prepared.recipients[0], date: Date(timeIntervalSince1970: 0))
        #expect(message.envelopeRecipients.map(\.description) == ["bob@x.example", "press@org.example"])
        let report = try EmailOracle.check(bytes: message.data)
        #expect(report.ok, "\(report.problems)")
        #expect(report.to_address == "bob@x.example")
        #expect(report.to_display_name == name, "the display name arrives as written")
        #expect(report.body.contains("Dear \(name)"))
    }

    @Test func aFieldWhereAnAddressGoesIsATemplateErrorReportedOnce() {
        let template = "From: Sender <sender@org.example>\nTo: {{name}} <{{email}}>\nCc: {{contact}}\nSubject: s\n\nBody\n"
        let problems = Self.problems("email,name,contact\na@x.example,A,c@x.example\nb@x.example,B,d@x.example\n", template: template)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.hasPrefix("letter.mustache:3: Cc: {{contact}} stands where an address goes") == true, "\(problems)")
    }

    @Test func anAddressMixingTextAndAFieldIsRefused() {
        let template = "From: Sender <sender@org.example>\nTo: {{email}}, <{{user}}@ministry.example>\nSubject: s\n\nBody\n"
        let problems = Self.problems("email,user\na@x.example,eve@attacker.example> <z\n", template: template)
        #expect(
            problems == [
                "letter.mustache:2: To: an address must be written out in the template, or be one whole field ({{email}} or an address column), not \"{{user}}@ministry.example\""
            ])
    }

    @Test func aDeclaredAddressColumnSuppliesOneCheckedAddress() throws {
        let template = "From: Sender <sender@org.example>\nTo: {{name}} <{{email}}>\nBcc: {{attache}}\nSubject: s\n\nBody\n"
        let prepared = try Self.prepare("email,name,attache\na@x.example,A,att@x.example\n", template: template, addressColumns: ["attache"])
        let message = try prepared.compose(try prepared.recipients[0], date: Date(timeIntervalSince1970: 0))
        #expect(message.envelopeRecipients.map(\.description) == ["a@x.example", "att@x.example"])
        #expect(!String(decoding: message.data, as: UTF8.self).contains("att@x.example"), "Bcc stays out of the headers")
        let injected = Self.problems(
            "email,name,attache\na@x.example,A,\"att@x.example, eve@attacker.example\"\n",
            template: template, addressColumns: ["attache"])
        #expect(injected.first?.hasPrefix("list.csv:2: attache:") == true, "\(injected)")
        let missing = Self.problems("email,name\na@x.example,A\n", template: template, addressColumns: ["attache"])
        #expect(missing.contains { $0.contains("attache: the campaign names attache in address_columns, but this list has no such column") }, "\(missing)")
    }

    @Test func aToWithoutTheRowsAddressIsRefusedOnce() {
        let template = "From: Sender <sender@org.example>\nTo: Press Office <press@org.example>\nBcc: {{email}}\nSubject: s\n\nBody\n"
        let problems = Self.problems("email\na@x.example\nb@x.example\n", template: template)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.hasPrefix("letter.mustache:2: To: does not name the recipient's own address") == true, "\(problems)")
    }

    @Test func theRowsOwnAddressLeadsTheEnvelope() throws {
        let template = "From: Sender <sender@org.example>\nTo: Press <press@org.example>, {{name}} <{{email}}>\nSubject: s\n\nBody\n"
        let prepared = try Self.prepare("email,name\na@x.example,A\n", template: template)
        let message = try prepared.compose(try prepared.recipients[0], date: Date(timeIntervalSince1970: 0))
        #expect(message.envelopeRecipients.map(\.description) == ["a@x.example", "press@org.example"])
    }

    @Test func aFieldCannotNameAHeader() {
        let template = "From: Sender <sender@org.example>\nTo: {{email}}\n{{header}}: x\nSubject: s\n\nBody\n"
        let problems = Self.problems("email,header\na@x.example,Bcc\n", template: template)
        #expect(problems == ["letter.mustache:3: header: a field ({{header}}) may not supply a header's name; write the name in the template"])
    }

    @Test(arguments: [
        ("{{>footer}}", "partials are not supported"),
        ("{{> footer}}", "partials are not supported"),
        ("{{<layout}}{{/layout}}", "template inheritance is not supported"),
        ("{{=<% %>=}}", "changing the delimiters is not supported"),
    ])
    func partialsAndOtherFileTagsAreRefusedWithTheirLine(tag: String, reason: String) {
        let source = "From: a@org.example\nTo: {{email}}\nSubject: s\n\nDear all,\n\(tag)\n"
        #expect(throws: ValidationFailure.self) { try TestData.template(source) }
        do { _ = try TestData.template(source) } catch let error as ValidationFailure {
            #expect(error.diagnostics.map(\.description).first?.hasPrefix("letter.mustache:6: ") == true, "\(error)")
            #expect(error.diagnostics.first?.message.contains(reason) == true, "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aTemplateProblemIsReportedOnceNotPerRow() {
        let template = "To: {{name}} <{{email}}>\nSubject: Hello {{name}}\n\nBody\n"
        let rows = (1...50).map { "r\($0)@x.example,R\($0)" }.joined(separator: "\n")
        let problems = Self.problems("email,name\n\(rows)\n", template: template)
        #expect(problems == ["letter.mustache:1: From: is missing from the template's header lines"])
    }
}
