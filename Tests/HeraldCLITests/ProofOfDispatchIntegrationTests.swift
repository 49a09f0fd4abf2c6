import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// Proof of dispatch end to end: a real send over STARTTLS writes a chained log whose `sent`
/// records carry the hash of the bytes the server stored and the TLS used; `verify-log` finds
/// an edited, a deleted and a reordered record; `status` shows the chain's state.
@Suite(.tags(.integration)) struct ProofOfDispatchIntegrationTests {
    static func lines(_ campaign: TestCampaign) -> [String] {
        (campaign.folder.read("delivery.jsonl") ?? "").split(separator: "\n").map(String.init)
    }

    static func sentOverTLS() throws -> (TestCampaign, SMTPTestServer) {
        let certs = try TestCertificates()
        let server = try SMTPTestServer(faults: certs.serverArguments("good") + ["--require-tls"])
        let campaign = TestCampaign(url: "smtp://localhost:\(server.port)").withSMTP("tls = \"required\"\nca_file = \"\(certs.file("ca.pem"))\"")
        let result = try campaign.send(nil)
        #expect(result.status == 0, "\(result)")
        withExtendedLifetime(certs) {}
        return (campaign, server)
    }

    @Test func aRealSendIsChainedAndEachSentRecordHashesWhatTheServerStored() throws {
        let (campaign, server) = try Self.sentOverTLS()
        let verify = try Subprocess.herald(["verify-log", campaign.log])
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.contains("chain intact: 30 chained records, last record's SHA-256 "), "\(verify.stdout)")
        let lines = Self.lines(campaign)
        #expect(verify.stdout.contains(SHA256.hex(Array(lines.last!.utf8))), "the head printed is the last line's hash")
        // The outside oracle: Python's hashlib recomputes the chain from the file's bytes.
        let oracle = try Subprocess.run(PackagePaths.python, [PackagePaths.path("Tests/Support/check_chain.py"), campaign.log])
        #expect(oracle.status == 0, "\(oracle)")
        #expect(verify.stdout.contains("last record's SHA-256 \(oracle.stdout.trimmingCharacters(in: .whitespacesAndNewlines))"), "\(oracle)")

        let stored = Dictionary(uniqueKeysWithValues: server.messages().map { ($0.messageID ?? "", $0.data) })
        #expect(stored.count == 15)
        let sent = campaign.records().filter { $0["status"] as? String == "sent" }
        #expect(sent.count == 15)
        for record in sent {
            let id = record["message_id"] as? String ?? ""
            let bytes = try #require(stored[id], "the server stored \(id)")
            #expect(record["message_sha256"] as? String == SHA256.hex(bytes), "\(id)")
            #expect((record["tls_version"] as? String)?.hasPrefix("TLSv1.") == true, "\(record)")
            #expect((record["tls_cipher"] as? String)?.isEmpty == false)
        }
        #expect(campaign.records().allSatisfy { ($0["prev"] as? String)?.count == 64 }, "every record kind carries prev")

        let status = try Subprocess.herald(["status", campaign.path])
        #expect(status.stdout.contains("log chain: intact, 30 records, last record's SHA-256 \(SHA256.hex(Array(lines.last!.utf8)))"), "\(status.stdout)")
    }

    enum Damage: String, CaseIterable {
        case edited, deleted, reordered
    }

    @Test(arguments: Damage.allCases)
    func verifyLogFindsTheFirstBrokenRecord(damage: Damage) throws {
        let (campaign, _) = try Self.sentOverTLS()
        var lines = Self.lines(campaign)
        let expected: Int
        switch damage {
        case .edited:
            // A receipt made up after the fact: the server's queue id changed in a sent record
            // (the first one past line 5; where outcomes fall among intents depends on batching).
            let index = try #require(lines.indices.first { $0 >= 5 && lines[$0].contains("queued as HERALD") })
            lines[index] = lines[index].replacingOccurrences(of: "queued as HERALD", with: "queued as FORGED")
            expected = index + 2
        case .deleted:
            lines.remove(at: 12)
            expected = 13
        case .reordered:
            lines.swapAt(20, 21)
            expected = 21
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: campaign.log, atomically: false, encoding: .utf8)
        let result = try Subprocess.herald(["verify-log", campaign.log])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("\(campaign.log):\(expected): chain broken: "), "\(result.stderr)")
        let status = try Subprocess.herald(["status", campaign.path])
        #expect(status.stdout.contains("log chain: BROKEN at \(campaign.log):\(expected)"), "\(status.stdout)")
    }

    @Test func aLogWrittenBeforeTheChainIsNotChainedBeforeItsFirstNewRecord() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign(url: server.url)
        // Austria sent by an earlier Herald: records without prev.
        let old = [
            #"{"attempt":1,"campaign":"cli-test","message_id":"<x@amnesty.example>","recipient":"minister@bmaa.austria.example","status":"sending","time":"2026-11-29T00:00:00Z"}"#,
            #"{"attempt":1,"campaign":"cli-test","message_id":"<x@amnesty.example>","recipient":"minister@bmaa.austria.example","smtp_code":250,"smtp_reply":"250 ok","status":"sent","time":"2026-11-29T00:00:01Z"}"#,
        ]
        campaign.folder.write("delivery.jsonl", old.joined(separator: "\n") + "\n")
        let send = try campaign.send(nil)
        #expect(send.status == 0, "\(send)")
        let verify = try Subprocess.herald(["verify-log", campaign.log])
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.contains("chain intact: 28 chained records"), "\(verify.stdout)")
        #expect(verify.stdout.contains("not chained before line 3: 2 older records carry no prev"), "\(verify.stdout)")
        let missing = try Subprocess.herald(["verify-log", campaign.folder.file("none.jsonl")])
        #expect(missing.status == 66, "\(missing)")
    }
}
