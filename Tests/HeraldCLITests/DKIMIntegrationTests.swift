import Foundation
import HeraldTestSupport
import Testing

/// DKIM end to end: the `herald` binary signs the real campaign's letters, sends them to a
/// real SMTP server (aiosmtpd), and dkimpy verifies what the server received, byte for byte as
/// it arrived, with the public key handed to it through its `dnsfunc` hook.
@Suite(.tags(.integration)) struct DKIMIntegrationTests {
    static func dkimTable(key: String, algorithm: String) -> String {
        """
        [dkim]
        domain = "amnesty.example"
        selector = "herald2026"
        private_key_file = "\(key)"
        algorithm = "\(algorithm)"

        """
    }

    /// The message without its DKIM-Signature field and its Date line: what a preview and the
    /// sent letter share.
    static func withoutSignatureAndDate(_ bytes: [UInt8]) -> String {
        var lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        if lines.first?.hasPrefix("DKIM-Signature:") == true {
            lines.removeFirst()
            while lines.first?.hasPrefix("\t") == true { lines.removeFirst() }
        }
        lines.removeAll { $0.hasPrefix("Date: ") }
        return lines.joined(separator: "\r\n")
    }

    @Test(arguments: [("rsa", "rsa-sha256"), ("ed25519", "ed25519-sha256")])
    func sendStartsAnSMTPServerAndEveryReceivedLetterVerifiesWithDKIM(_ type: String, _ algorithm: String) throws {
        let server = try SMTPTestServer()
        let keys = TemporaryDirectory("herald-dkim-cli")
        let key = try DKIMOracle.generateKey(DKIMOracle.KeyType(rawValue: type)!, at: keys.file("dkim.pem"))
        let campaign = TestCampaign(extra: Self.dkimTable(key: key, algorithm: algorithm))

        let validate = try Subprocess.herald(["validate", campaign.path])
        #expect(validate.status == 0, "\(validate)")
        #expect(!validate.stderr.contains("warning"), "amnesty.example signs for amnesty.example: \(validate)")
        let previewFolder = campaign.folder.file("preview")
        let preview = try Subprocess.herald(["preview", campaign.path, "--out", previewFolder])
        #expect(preview.status == 0, "\(preview)")
        let sent = try campaign.send(server)
        #expect(sent.status == 0, "\(sent)")

        let received = server.messages()
        #expect(received.count == 15)
        let reports = try DKIMOracle.verify(received.map(\.file), key: key, domain: "amnesty.example", selector: "herald2026")
        #expect(reports.count == 15)
        #expect(reports.allSatisfy { $0.ok }, "\(reports.filter { !$0.ok }.map { "\($0.file): \($0.error)" })")
        #expect(reports.allSatisfy { $0.tags["a"] == algorithm && $0.tags["d"] == "amnesty.example" && $0.tags["s"] == "herald2026" })
        #expect(
            reports.allSatisfy { $0.signed_headers.map { $0.lowercased() }.starts(with: ["from", "reply-to", "to", "subject", "date", "message-id"]) },
            "\(reports.first?.signed_headers ?? [])")
        let strict = try EmailOracle.check(received.map(\.file))
        #expect(strict.allSatisfy { $0.ok }, "\(strict.filter { !$0.ok }.map(\.problems))")

        // The previews are signed too, and are the sent letters but for their Date (and so t= and b=).
        let previews = try FileManager.default.contentsOfDirectory(atPath: previewFolder).filter { $0.hasSuffix(".eml") }.sorted()
            .map { (previewFolder as NSString).appendingPathComponent($0) }
        #expect(try DKIMOracle.verify(previews, key: key, domain: "amnesty.example", selector: "herald2026").allSatisfy { $0.ok })
        for (file, message) in zip(previews, received) {
            let previewed = [UInt8](try #require(FileManager.default.contents(atPath: file)))
            #expect(Self.withoutSignatureAndDate(previewed) == Self.withoutSignatureAndDate(message.data), "\(file)")
        }

        // A letter changed on the way fails: the oracle can say no.
        var tampered = received[0].data
        let index = try #require(tampered.lastIndex(of: UInt8(ascii: "e")))
        tampered[index] = UInt8(ascii: "E")
        let report = try DKIMOracle.verify(bytes: tampered, key: key, domain: "amnesty.example", selector: "herald2026")
        #expect(!report.ok)
        #expect(report.error.contains("body hash mismatch") || report.error.contains("did not verify"), "\(report.error)")
    }

    /// `validate` (and so `send`) refuses a key others can read with exit 78, on its line,
    /// and never prints the key; `send` connects to nothing.
    @Test func aKeyOthersCanReadIsRefusedWithExit78AndNeverPrinted() throws {
        let keys = TemporaryDirectory("herald-dkim-cli")
        let key = try DKIMOracle.generateKey(.rsa, at: keys.file("dkim.pem"))
        chmod(key, 0o644)
        let campaign = TestCampaign(url: "smtp://127.0.0.1:9", extra: Self.dkimTable(key: key, algorithm: "rsa-sha256"))
        let keyText = try String(contentsOfFile: key, encoding: .utf8)
        for command in [["validate", campaign.path], ["preview", campaign.path, "--out", campaign.folder.file("p")], ["send", campaign.path]] {
            let result = try Subprocess.herald(command)
            #expect(result.status == 78, "\(command[0]): \(result)")
            #expect(result.stderr.contains("\(campaign.path):8: dkim.private_key_file: \(key): can be read by others (mode 644)"), "\(result)")
            #expect(result.stderr.contains("chmod 600"))
            for line in keyText.split(separator: "\n") where !line.hasPrefix("-----") {
                #expect(!result.stdout.contains(line) && !result.stderr.contains(line), "no line of the key is printed")
            }
        }
        #expect(campaign.records().isEmpty, "nothing logged, nothing sent")
    }

    @Test func theWrongKindOfKeyIsRefusedWithExit78() throws {
        let keys = TemporaryDirectory("herald-dkim-cli")
        let key = try DKIMOracle.generateKey(.ed25519, at: keys.file("dkim.pem"))
        let campaign = TestCampaign(extra: Self.dkimTable(key: key, algorithm: "rsa-sha256"))
        let result = try Subprocess.herald(["validate", campaign.path])
        #expect(result.status == 78, "\(result)")
        #expect(
            result.stderr.contains(
                ":8: dkim.private_key_file: \(key): holds an Ed25519 key, but algorithm \"rsa-sha256\" signs with an RSA key; set algorithm = \"ed25519-sha256\""
            ),
            "\(result)")
    }
}
