import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

@Suite struct MessageComposerTests {
    static let date = Date(timeIntervalSince1970: 918_000_000)  // Wed, 03 Feb 1999 00:00:00 +0000

    func compose(_ headers: [(String, String)], body: String = "Body\n") throws(ComposeFailure) -> ComposedMessage {
        let letter = RenderedLetter(headers: headers.enumerated().map { (name: $1.0, value: $1.1, line: $0 + 1) }, body: body)
        return try MessageComposer.compose(letter, campaign: "c", recipientKey: "to@x.example", date: Self.date)
    }

    static let basic = [("From", "Sender <from@org.example>"), ("To", "Ann <to@x.example>"), ("Subject", "Hi")]

    /// The Secretary General's letter to Germany, byte for byte. Regenerate after a deliberate
    /// change with HERALD_UPDATE_GOLDEN=1 and review the diff.
    @Test func goldenLetterToGermany() throws {
        let prepared = try TestData.realCampaign()
        let germany = try #require(try prepared.recipients.first { $0.fields["country"] == "Germany" })
        let message = try prepared.compose(germany, date: Self.date)
        let golden = PackagePaths.path("Tests/HeraldCoreTests/Fixtures/eu-china-dialogue-1999-germany.eml")
        if ProcessInfo.processInfo.environment["HERALD_UPDATE_GOLDEN"] == "1" {
            try Data(message.data).write(to: URL(fileURLWithPath: golden))
        }
        let expected = try #require(FileManager.default.contents(atPath: golden), "missing golden file \(golden)")
        #expect(message.data == [UInt8](expected))
        let report = try EmailOracle.check(bytes: message.data)
        #expect(report.ok, "\(report.problems)")
        #expect(report.to_display_name == "Joschka Fischer")
        #expect(report.body.contains("As Germany holds the Presidency of the Council"))
    }

    @Test func everyLetterOfTheRealCampaignPassesTheStrictParser() throws {
        let prepared = try TestData.realCampaign()
        #expect(try prepared.recipients.count == 15)
        for recipient in (try prepared.recipients) {
            let message = try prepared.compose(recipient, date: Self.date)
            let report = try EmailOracle.check(bytes: message.data)
            #expect(report.ok, "\(recipient.key): \(report.problems)")
            #expect(report.to_display_name == recipient.fields["name"])
            #expect(report.body.contains(recipient.fields["country"]!))
            #expect(report.body.contains("Pierre Sané"))
            #expect(report.body.contains("Presidency") == (recipient.fields["presidency"] == "true"))
        }
    }

    @Test(arguments: [
        ("Žofia Ďurišová-Kráľová, Ministerka zahraničných vecí a európskych záležitostí", "Žofia"),
        ("O'Brien \"The Boss\" \\ Jr.", "plain quotes"),
        ("Ελληνική Δημοκρατία", "greek"),
        (String(repeating: "é", count: 120), "long"),
    ])
    func hostileDisplayNamesSurviveTheStrictParser(name: String, label: String) throws {
        let message = try compose([
            ("From", "Sender <from@org.example>"),
            ("To", "\"\(name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\" <to@x.example>"),
            ("Subject", "Re: \(name)"),
        ])
        let report = try EmailOracle.check(bytes: message.data)
        #expect(report.ok, "\(label): \(report.problems)")
        #expect(report.subject == "Re: \(name)")
        let text = String(decoding: message.data, as: UTF8.self)
        #expect(text.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
    }

    /// A spreadsheet's worst: a BOM, a 10,000-character field, template syntax in data,
    /// quoted commas and line breaks. Every letter still composes into a valid message.
    @Test(arguments: [String(repeating: "x", count: 10_000), String(repeating: "Word ", count: 2_000), String(repeating: "é", count: 10_000)])
    func hostileRowsStillComposeValidMessages(longName: String) throws {
        let csv =
            "\u{FEFF}email,name,note\n" + "a@x.example,\"\(longName)\",plain\n" + "b@x.example,{{password}},\"a, b and \"\"c\"\"\nsecond line\"\n"
            + "c@bücher.example,\"O'Brien <boss> & co\",{{#x}}open{{/x}}\n"
        let template = "From: Office <office@org.example>\nTo: {{name}} <{{email}}>\nSubject: For {{name}}\n\nNote: {{note}}\n"
        let prepared = try TestData.prepared(csv, template: template)
        #expect(try prepared.recipients.map(\.key) == ["a@x.example", "b@x.example", "c@xn--bcher-kva.example"])
        for recipient in (try prepared.recipients) {
            let message = try prepared.compose(recipient, date: Self.date)
            let report = try EmailOracle.check(bytes: message.data)
            #expect(report.ok, "\(recipient.key): \(report.problems)")
            let text = String(decoding: message.data, as: UTF8.self)
            #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 998 })
        }
        let second = try prepared.compose(try prepared.recipients[1], date: Self.date)
        let report = try EmailOracle.check(bytes: second.data)
        #expect(report.to_display_name == "{{password}}")
        #expect(report.body.contains("Note: a, b and \"c\""))
        let third = try EmailOracle.check(bytes: try prepared.compose(try prepared.recipients[2], date: Self.date).data)
        #expect(third.to_display_name == "O'Brien <boss> & co" && third.body.contains("{{#x}}open{{/x}}"))
        #expect(third.to_address == "c@xn--bcher-kva.example")
    }

    @Test func bccGoesToTheEnvelopeOnly() throws {
        let message = try compose(Self.basic + [("Cc", "c@x.example"), ("Bcc", "Hidden <hidden@x.example>")])
        #expect(message.envelopeRecipients.map(\.description) == ["to@x.example", "c@x.example", "hidden@x.example"])
        let text = String(decoding: message.data, as: UTF8.self)
        #expect(!text.lowercased().contains("bcc"))
        #expect(!text.contains("hidden@x.example"))
        #expect(message.envelopeFrom.description == "from@org.example")
    }

    @Test(arguments: [
        ("Date", "Mon, 1 Feb 1999 00:00:00 +0000", "is written by Herald"),
        ("Message-ID", "<x@y>", "is written by Herald"),
        ("Content-Type", "text/html", "is written by Herald"),
        ("To", "second@x.example", "appears twice"),
        ("X-Note", "a\u{1}b", "holds a control character"),
        ("Bad Name", "v", "is not a header line"),
    ])
    func badHeadersAreRefused(name: String, value: String, message: String) {
        let failure = #expect(throws: ComposeFailure.self) { try compose(Self.basic + [(name, value)]) }
        #expect(failure?.problems.map(\.message).contains { $0.contains(message) } == true, "\(String(describing: failure?.problems))")
    }

    @Test func missingRequiredHeadersAreAllReported() {
        let failure = #expect(throws: ComposeFailure.self) { try compose([("X-Other", "v")]) }
        #expect(Set(failure?.problems.map(\.field) ?? []) == ["From", "To", "Subject"])
    }

    @Test func bodyLineEndsBecomeCRLFAndASCIIStays7bit() throws {
        let message = try compose(Self.basic, body: "one\ntwo\r\nthree\r.four\n\n\n")
        let text = String(decoding: message.data, as: UTF8.self)
        #expect(text.hasSuffix("\r\n\r\none\r\ntwo\r\nthree\r\n.four\r\n"))
        #expect(text.contains("Content-Transfer-Encoding: 7bit\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
    }

    @Test func nonASCIIOrLongLinesUseQuotedPrintable() throws {
        let long = String(repeating: "word ", count: 300)
        let message = try compose(Self.basic, body: "Sané\n.\n..dots\n\(long)\n")
        let report = try EmailOracle.check(bytes: message.data)
        #expect(report.ok, "\(report.problems)")
        #expect(report.transfer_encoding == "quoted-printable")
        #expect(report.body.replacingOccurrences(of: "\r\n", with: "\n") == "Sané\n.\n..dots\n\(long)\n")
    }

    @Test func messageIDIsStablePerCampaignAndRecipient() {
        let a = MessageID.make(campaign: "c1", recipientKey: "a@x.example", domain: "Org.Example")
        #expect(a == MessageID.make(campaign: "c1", recipientKey: "a@x.example", domain: "org.example"))
        #expect(a != MessageID.make(campaign: "c2", recipientKey: "a@x.example", domain: "org.example"))
        #expect(a != MessageID.make(campaign: "c1", recipientKey: "b@x.example", domain: "org.example"))
        #expect(a.hasPrefix("<") && a.hasSuffix(".herald@org.example>"))
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ])
    func sha256MatchesFIPSExamples(input: String, digest: String) {
        #expect(SHA256.hex(input) == digest)
    }

    @Test func dateHeaderIsRFC5322() {
        #expect(RFC5322Date.format(Self.date) == "Wed, 03 Feb 1999 00:00:00 +0000")
        #expect(RFC5322Date.rfc3339(Self.date) == "1999-02-03T00:00:00Z")
    }
}
