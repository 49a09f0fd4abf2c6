import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// The DKIM key file, read and parsed once by `PreparedCampaign.load`: every way it can be
/// wrong is a campaign-file diagnostic on `private_key_file`'s line (exit 78), saying what to
/// do, and never showing the key.
@Suite struct DKIMKeyLoadingTests {
    /// A campaign in a fresh folder signing with `keyFile` (relative to the campaign file).
    static func campaign(keyFile: String, algorithm: String? = nil, domain: String = "org.example") -> (TemporaryDirectory, String) {
        let folder = TemporaryDirectory("herald-dkim-load")
        folder.write("letter.mustache", TestData.simpleTemplate)
        folder.write("list.csv", "email,name\nann@x.example,Ann\nbob@y.example,Bob\n")
        let path = folder.write(
            "campaign.toml",
            """
            name = "dkim-test"
            template = "letter.mustache"
            recipients = ["list.csv"]
            log = "log.jsonl"

            [smtp]
            url = "smtp://127.0.0.1:2525"

            [dkim]
            domain = "\(domain)"
            selector = "s1"
            private_key_file = "\(keyFile)"
            \(algorithm.map { "algorithm = \"\($0)\"" } ?? "")
            """)
        return (folder, path)
    }

    static func problems(_ path: String) -> [Diagnostic] {
        do {
            _ = try PreparedCampaign.load(campaignFile: path, date: Date(timeIntervalSince1970: 918_000_000))
            Issue.record("accepted")
            return []
        } catch { return error.diagnostics }
    }

    @Test(arguments: [("rsa", "rsa-sha256"), ("ed25519", "ed25519-sha256")])
    func aGoodKeyIsParsedOnceAndSigns(_ type: String, _ algorithm: String) throws {
        let (folder, path) = Self.campaign(keyFile: "keys/dkim.pem", algorithm: algorithm)
        try FileManager.default.createDirectory(atPath: folder.file("keys"), withIntermediateDirectories: true)
        try DKIMOracle.generateKey(DKIMOracle.KeyType(rawValue: type)!, at: folder.file("keys/dkim.pem"))
        let prepared = try PreparedCampaign.load(campaignFile: path, date: Date(timeIntervalSince1970: 918_000_000))
        let signer = try #require(prepared.signer)
        #expect(signer.settings.privateKeyFile == folder.file("keys/dkim.pem"))
        #expect(signer.key.algorithm.rawValue == algorithm)
        #expect(prepared.warnings.isEmpty, "\(prepared.warnings)")
        let message = try prepared.compose(prepared.recipients[1], date: Date(timeIntervalSince1970: 1_764_400_000))
        let report = try DKIMOracle.verify(bytes: message.data, key: folder.file("keys/dkim.pem"), domain: "org.example", selector: "s1")
        #expect(report.ok, "\(report.error)")
        // The DNS record Herald would tell a user to publish is the one the oracle derived.
        #expect(signer.key.dnsRecord.hasPrefix("v=DKIM1; k=\(type); p="))
    }

    @Test func aPKCS1RSAKeyIsAccepted() throws {
        let (folder, path) = Self.campaign(keyFile: "dkim.pem")
        try DKIMOracle.generateKey(.rsa, format: .pkcs1, at: folder.file("dkim.pem"))
        #expect(try String(contentsOfFile: folder.file("dkim.pem"), encoding: .utf8).hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let prepared = try PreparedCampaign.load(campaignFile: path, date: Date(timeIntervalSince1970: 918_000_000))
        let message = try prepared.compose(prepared.recipients[0], date: Date(timeIntervalSince1970: 1_764_400_000))
        #expect(try DKIMOracle.verify(bytes: message.data, key: folder.file("dkim.pem"), domain: "org.example", selector: "s1").ok)
    }

    @Test func a1024BitKeySignsWithAWarning() throws {
        let (folder, path) = Self.campaign(keyFile: "dkim.pem")
        try DKIMOracle.generateKey(.rsa1024, at: folder.file("dkim.pem"))
        let prepared = try PreparedCampaign.load(campaignFile: path, date: Date(timeIntervalSince1970: 918_000_000))
        #expect(prepared.warnings.map(\.field) == ["dkim.private_key_file"])
        #expect(prepared.warnings.first?.message.contains("1024-bit") == true)
    }

    @Test func aDomainThatIsNotTheFromDomainIsAWarning() throws {
        let (folder, path) = Self.campaign(keyFile: "dkim.pem", domain: "elsewhere.example")
        try DKIMOracle.generateKey(.rsa, at: folder.file("dkim.pem"))
        let prepared = try PreparedCampaign.load(campaignFile: path, date: Date(timeIntervalSince1970: 918_000_000))
        #expect(prepared.warnings.map(\.field) == ["dkim.domain"])
        #expect(prepared.warnings.first?.message.contains("DMARC") == true)
        for aligned in ["ORG.example", "mail.org.example"] {
            let (alignedFolder, alignedPath) = Self.campaign(keyFile: "dkim.pem", domain: aligned)
            try DKIMOracle.generateKey(.rsa, at: alignedFolder.file("dkim.pem"))
            #expect(
                try PreparedCampaign.load(campaignFile: alignedPath, date: Date(timeIntervalSince1970: 918_000_000)).warnings.isEmpty,
                "\(aligned) speaks for org.example")
        }
    }

    /// Each broken key: its line (12, private_key_file), its field, exit 78, what to do, no key bytes.
    @Test func everyBrokenKeyIsNamedOnItsLine() throws {
        func expectProblem(
            _ setUp: (TemporaryDirectory) throws -> Void, algorithm: String? = nil, says: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let (folder, path) = Self.campaign(keyFile: "dkim.pem", algorithm: algorithm)
            try setUp(folder)
            let problems = Self.problems(path)
            #expect(problems.count == 1, "\(problems)", sourceLocation: sourceLocation)
            let problem = try #require(problems.first, sourceLocation: sourceLocation)
            #expect(problem.kind == .badConfig, sourceLocation: sourceLocation)
            #expect(problem.field == "dkim.private_key_file", sourceLocation: sourceLocation)
            #expect(problem.line == 12, sourceLocation: sourceLocation)
            #expect(problem.description.hasPrefix("\(path):12: dkim.private_key_file: \(folder.file("dkim.pem")): "), sourceLocation: sourceLocation)
            #expect(problem.message.contains(says), "\(problem.message)", sourceLocation: sourceLocation)
            if let key = try? String(contentsOfFile: folder.file("dkim.pem"), encoding: .utf8) {
                for line in key.split(separator: "\n") where !line.hasPrefix("-----") && line.count > 8 {
                    #expect(!problem.description.contains(line.prefix(16)), "no key bytes in a diagnostic", sourceLocation: sourceLocation)
                }
            }
        }
        func chmod600(_ path: String) { Foundation.chmod(path, 0o600) }
        try expectProblem({ _ in }, says: "not found")
        try expectProblem(
            { folder in
                try DKIMOracle.generateKey(.rsa, at: folder.file("dkim.pem"))
                Foundation.chmod(folder.file("dkim.pem"), 0o644)
            }, says: "chmod 600")
        try expectProblem(
            { folder in try FileManager.default.createDirectory(atPath: folder.file("dkim.pem"), withIntermediateDirectories: false) },
            says: "not a regular file")
        try expectProblem({ folder in chmod600(folder.write("dkim.pem", "just some text\n")) }, says: "not a PEM file")
        try expectProblem(
            { folder in chmod600(folder.write("dkim.pem", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n")) },
            says: "no END line")
        try expectProblem(
            { folder in chmod600(folder.write("dkim.pem", "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n")) },
            says: "not valid base64")
        try expectProblem(
            { folder in chmod600(folder.write("dkim.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")) },
            says: "not a PKCS #8 key")
        try expectProblem(
            { folder in try DKIMOracle.generateKey(.rsa, format: .encrypted, at: folder.file("dkim.pem")) },
            says: "encrypted with a passphrase")
        try expectProblem(
            { folder in try DKIMOracle.generateKey(.ec, at: folder.file("dkim.pem")) },
            says: "neither RSA nor Ed25519")
        try expectProblem(
            { folder in try DKIMOracle.generateKey(.ed25519, at: folder.file("dkim.pem")) },
            says: "holds an Ed25519 key, but algorithm \"rsa-sha256\" signs with an RSA key; set algorithm = \"ed25519-sha256\"")
        try expectProblem(
            { folder in try DKIMOracle.generateKey(.rsa, at: folder.file("dkim.pem")) }, algorithm: "ed25519-sha256",
            says: "holds an RSA key, but algorithm \"ed25519-sha256\" signs with an Ed25519 key; set algorithm = \"rsa-sha256\"")
        try expectProblem(
            { folder in try DKIMOracle.generateKey(.rsa, format: .pkcs1, at: folder.file("dkim.pem")) }, algorithm: "ed25519-sha256",
            says: "holds an RSA key")
        try expectProblem(
            { folder in
                chmod600(folder.write("dkim.pem", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"))
            }, says: "not a private key")
    }

    @Test func theKeyIsCheckedAlongsideTheOtherProblems() throws {
        // A broken key and a broken list are reported together: one run of validate shows both.
        let (folder, path) = Self.campaign(keyFile: "missing.pem")
        folder.write("list.csv", "name\nAnn\n")
        let problems = Self.problems(path)
        #expect(problems.contains { $0.field == "dkim.private_key_file" })
        #expect(problems.count >= 2, "\(problems)")
        #expect(ValidationFailure(problems).kind == .badConfig, "exit 78")
    }
}
