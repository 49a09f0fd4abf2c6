import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Keys made once for the DKIM suites (RSA 2048 takes Python a moment), by Python's
/// `cryptography`, never by Herald.
enum DKIMTestKeys {
    static let folder = TemporaryDirectory("herald-dkim-keys")
    static let rsa: String = try! DKIMOracle.generateKey(.rsa, at: folder.file("rsa.pem"))
    static let ed25519: String = try! DKIMOracle.generateKey(.ed25519, at: folder.file("ed25519.pem"))

    static func signer(_ algorithm: DKIMSettings.Algorithm, headers: [String] = DKIMSettings.defaultHeaders) throws -> DKIMSigner {
        let path = algorithm == .rsaSHA256 ? rsa : ed25519
        let key = try DKIMPrivateKey(pem: String(contentsOfFile: path, encoding: .utf8), algorithm: algorithm)
        return DKIMSigner(
            settings: DKIMSettings(
                domain: "org.example", selector: "herald2026", privateKeyFile: path,
                algorithm: algorithm, headers: headers), key: key)
    }

    static func keyFile(_ algorithm: DKIMSettings.Algorithm) -> String { algorithm == .rsaSHA256 ? rsa : ed25519 }
}

/// DKIM signing (RFC 6376, RFC 8463), judged by dkimpy with the public key handed over through
/// its `dnsfunc` hook: relaxed canonicalisation, the signature field, over-signing, hostile letters.
@Suite struct DKIMSignerTests {
    static let date = Date(timeIntervalSince1970: 1_764_400_000)

    func verify(_ bytes: [UInt8], _ algorithm: DKIMSettings.Algorithm) throws -> DKIMOracle.Report {
        try DKIMOracle.verify(bytes: bytes, key: DKIMTestKeys.keyFile(algorithm), domain: "org.example", selector: "herald2026")
    }

    /// RFC 6376 §3.4.5's example, both halves.
    @Test func relaxedCanonicalisationMatchesTheRFCExample() {
        var headers: [UInt8] = []
        DKIMCanonicalization.appendRelaxedHeader(Array("A: X".utf8)[...], to: &headers)
        DKIMCanonicalization.appendRelaxedHeader(Array("B : Y\t\r\n\tZ  ".utf8)[...], to: &headers)
        #expect(String(decoding: headers, as: UTF8.self) == "a:X\r\nb:Y Z\r\n")
        var body: [UInt8] = []
        DKIMCanonicalization.appendRelaxedBody(Array(" C \r\nD \t E\r\n\r\n\r\n".utf8)[...], to: &body)
        #expect(String(decoding: body, as: UTF8.self) == " C\r\nD E\r\n")
    }

    @Test func relaxedBodyEdgeCases() {
        func canonical(_ text: String) -> String {
            var out: [UInt8] = []
            DKIMCanonicalization.appendRelaxedBody(Array(text.utf8)[...], to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(canonical("") == "", "an empty body is empty (errata 1384)")
        #expect(canonical("\r\n\r\n") == "", "only empty lines: empty")
        #expect(canonical("  \t\r\n \r\n") == "", "lines of spaces are empty lines")
        #expect(canonical("a\r\n\r\nb\r\n\r\n") == "a\r\n\r\nb\r\n", "inner empty lines stay")
        #expect(canonical("a") == "a\r\n", "a last line without CR LF gets one")
        #expect(canonical("a\r\n \r\n\tb  \r\n") == "a\r\n\r\n b\r\n")
        #expect(canonical("x\ny \r\n") == "x\ny\r\n", "a lone LF is not a line end")
    }

    @Test func headerFieldsAreFoundWithTheirFoldedLines() {
        let message = Array("From: a@b.example\r\nSubject: one\r\n two\r\nTo: c@d.example\r\n\r\nbody\r\n".utf8)
        let (ranges, bodyStart) = DKIMSigner.headerFields(message)
        #expect(ranges.map { String(decoding: message[$0], as: UTF8.self) } == ["From: a@b.example", "Subject: one\r\n two", "To: c@d.example"])
        #expect(String(decoding: message[bodyStart...], as: UTF8.self) == "body\r\n")
    }

    @Test(arguments: [DKIMSettings.Algorithm.rsaSHA256, .ed25519SHA256])
    func aComposedLetterVerifiesWithDkimpy(_ algorithm: DKIMSettings.Algorithm) throws {
        let prepared = try PreparedCampaign.prepare(
            campaign: TestData.campaign(), template: TestData.template(TestData.simpleTemplate),
            lists: [TestData.list("email,name\nann@x.example,Ann\n")],
            signer: DKIMTestKeys.signer(algorithm), date: Self.date)
        let message = try prepared.compose(prepared.recipients[0], date: Self.date)
        let text = String(decoding: message.data, as: UTF8.self)
        #expect(text.hasPrefix("DKIM-Signature: v=1; a=\(algorithm.rawValue); c=relaxed/relaxed; d=org.example;"))
        let report = try verify(message.data, algorithm)
        #expect(report.ok, "\(report.error)")
        #expect(report.looked_up == ["herald2026._domainkey.org.example"])
        #expect(report.tags["a"] == algorithm.rawValue)
        #expect(report.tags["c"] == "relaxed/relaxed")
        #expect(report.tags["t"] == "1764400000", "t= is the letter's Date")
        #expect(
            report.tags["h"]?.hasPrefix("from:from:sender:reply-to:to:to:cc:subject:subject:date:date:message-id:message-id:") == true,
            "\(report.tags["h"] ?? "")")
        #expect(report.tags["x"] == nil, "no expiry: a letter resent later must still verify")
        let strict = try EmailOracle.check(bytes: message.data)
        #expect(strict.ok, "the signed letter still passes policy.strict and the 78-character header rule: \(strict.problems)")
        #expect(
            try prepared.compose(prepared.recipients[0], date: Self.date).data == message.data,
            "the same letter, date and key sign to the same bytes")
    }

    /// Letters a template can produce that stress canonicalisation: non-ASCII names and subjects
    /// (encoded words), long folded headers, spaces and tabs at line ends, runs of spaces,
    /// empty lines at the end, a quoted-printable body, a Cc and a Reply-To.
    @Test(arguments: [DKIMSettings.Algorithm.rsaSHA256, .ed25519SHA256])
    func hostileLettersVerify(_ algorithm: DKIMSettings.Algorithm) throws {
        let template = """
            From: "Pierre Sané, Secretary General" <sg@org.example>
            To: {{name}} <{{email}}>
            Cc: Press Office <press@org.example>
            Reply-To: Ünïcødé Desk <desk@org.example>
            Subject: {{subject}}

            Dear {{name}},\t\t
            Spaces   and\ttabs   inside,   and at the end:  \u{20}
            {{name}}

            \t

            """
        let csv = """
            email,name,subject
            ann@x.example,"Zoë O'Brien-Łukasiewicz, ""the"" Minister <script>",A very long subject that goes on and on about the human rights dialogue between the European Union and China in February 1999 — with dashes
            bob@y.example,Bob,Short
            """
        let prepared = try PreparedCampaign.prepare(
            campaign: TestData.campaign(), template: TestData.template(template),
            lists: [TestData.list(csv)], signer: DKIMTestKeys.signer(algorithm), date: Self.date)
        for recipient in try prepared.recipients {
            let message = try prepared.compose(recipient, date: Self.date)
            let report = try verify(message.data, algorithm)
            #expect(report.ok, "\(recipient.key): \(report.error)")
            #expect(report.tags["h"]?.contains("cc:cc:") == true && report.tags["h"]?.contains("reply-to:reply-to:") == true)
            let strict = try EmailOracle.check(bytes: message.data)
            #expect(strict.ok, "\(strict.problems)")
        }
    }

    /// Raw messages no composer would write, signed directly: the canonicalisation on its own.
    @Test(arguments: [DKIMSettings.Algorithm.rsaSHA256, .ed25519SHA256])
    func rawMessagesWithOddWhitespaceVerify(_ algorithm: DKIMSettings.Algorithm) throws {
        let signer = try DKIMTestKeys.signer(algorithm)
        let messages = [
            "From: a@org.example\r\nTo: b@x.example\r\nSubject: x\r\n\r\n",  // empty body
            "From: a@org.example\r\nTo: b@x.example\r\nSubject: x\r\n\r\n\r\n\r\n\r\n",  // only empty lines
            // Names in any case, no space after a colon, tabs, a value folded over three lines. (Not a
            // space before the colon, RFC 5322's obsolete syntax: Herald never writes one, and
            // dkimpy does not match such a field's name.)
            "From:a@org.example\r\nto:b@x.example\r\nSUBJECT:\t folded \r\n\t  over\r\n   three lines  \r\n\r\nbody  \t\r\n\r\n  more\t\tbody \r\n\r\n",
            "From: a@org.example\r\nSubject: no final line end\r\n\r\nlast line",
            "From: a@org.example\r\nSubject: two To\r\nTo: one@x.example\r\nTo: two@x.example\r\n\r\nbody\r\n",
        ]
        for text in messages {
            let signed = try signer.sign(Array(text.utf8), time: Self.date)
            let report = try verify(signed, algorithm)
            #expect(report.ok, "\(text.debugDescription): \(report.error)")
        }
        let twoTo = try signer.sign(Array(messages[4].utf8), time: Self.date)
        let report = try verify(twoTo, algorithm)
        #expect(report.tags["h"]?.contains("to:to:to") == true, "two To fields are both signed, and over-signed once: \(report.tags["h"] ?? "")")
    }

    /// What a relaxed signature tolerates (refolding, spaces at line ends), and what it must not:
    /// a changed body or header, an added From above the signed one, an added Cc.
    @Test(arguments: [DKIMSettings.Algorithm.rsaSHA256, .ed25519SHA256])
    func tamperingIsCaughtAndReformattingIsNot(_ algorithm: DKIMSettings.Algorithm) throws {
        let prepared = try PreparedCampaign.prepare(
            campaign: TestData.campaign(), template: TestData.template(TestData.simpleTemplate),
            lists: [TestData.list("email,name\nann@x.example,Ann\n")],
            signer: DKIMTestKeys.signer(algorithm), date: Self.date)
        let signed = String(decoding: try prepared.compose(prepared.recipients[0], date: Self.date).data, as: UTF8.self)
        #expect(try verify(Array(signed.utf8), algorithm).ok)

        func check(_ changed: String, verifies: Bool, _ what: String) throws {
            #expect(changed != signed, "\(what): the change was made")
            let report = try verify(Array(changed.utf8), algorithm)
            #expect(report.ok == verifies, "\(what): \(report.error)")
        }
        try check(signed.replacingOccurrences(of: "Dear Ann,", with: "Dear Anne,"), verifies: false, "a word of the body")
        try check(signed.replacingOccurrences(of: "Bye.\r\n", with: "Bye.\r\nP.S. Send money.\r\n"), verifies: false, "a line added to the body")
        try check(signed.replacingOccurrences(of: "Subject: Hello Ann", with: "Subject: Hello Bob"), verifies: false, "the Subject")
        try check("From: Mallory <m@evil.example>\r\n" + signed, verifies: false, "a second From above the signed one (over-signed)")
        try check(signed.replacingOccurrences(of: "\r\nTo: ", with: "\r\nCc: m@evil.example\r\nTo: "), verifies: false, "an added Cc")
        try check(
            signed.replacingOccurrences(of: "Subject: Hello Ann", with: "Subject:   Hello\r\n   Ann  "), verifies: true,
            "a refolded Subject (relaxed)")
        try check(
            signed.replacingOccurrences(of: "Bye.\r\n", with: "Bye.  \r\n\r\n\r\n"), verifies: true,
            "spaces at a line end and empty lines at the end (relaxed)")
        try check(
            signed.replacingOccurrences(of: "\r\nFrom: ", with: "\r\nX-Added: by a relay\r\nFrom: "), verifies: true,
            "a field nobody signed")
    }

    /// The field's lines: at most 78 characters, folded with CR LF and a tab; b= last.
    @Test(arguments: [DKIMSettings.Algorithm.rsaSHA256, .ed25519SHA256])
    func signatureFieldIsFoldedUnder78Characters(_ algorithm: DKIMSettings.Algorithm) throws {
        let signer = try DKIMTestKeys.signer(algorithm)
        let field = String(decoding: try signer.signatureField(Array("From: a@org.example\r\n\r\nx\r\n".utf8), time: Self.date), as: UTF8.self)
        #expect(field.hasSuffix("\r\n"))
        let lines = field.dropLast(2).components(separatedBy: "\r\n")
        #expect(lines.count > 3)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 }, "\(lines)")
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("\t") })
        #expect(lines.contains { $0.hasPrefix("\tb=") || $0.contains(" b=") })
        #expect(!field.contains("b=;"), "the signature is filled in")
    }

    @Test func aCustomHeaderListIsSignedAndOverSigned() throws {
        let signer = try DKIMTestKeys.signer(.rsaSHA256, headers: ["from", "Subject", "SUBJECT", "X-Campaign"])
        let signed = try signer.sign(Array("From: a@org.example\r\nSubject: s\r\nX-Campaign: 7\r\n\r\nx\r\n".utf8), time: Self.date)
        let report = try verify(signed, .rsaSHA256)
        #expect(report.ok, "\(report.error)")
        #expect(report.tags["h"] == "from:from:subject:subject:x-campaign:x-campaign", "names once each, lowercased, each over-signed")
    }
}
