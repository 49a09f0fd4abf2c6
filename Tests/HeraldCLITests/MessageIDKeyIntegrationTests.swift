import Foundation
import HeraldTestSupport
import Testing

/// Message-IDs are keyed with the campaign's secret (`LOG.key`, 0600, created by the first
/// command that composes its letters): nobody who knows a row's address and the campaign's
/// name can compute its letter's Message-ID, yet preview and send give every letter the same
/// one, and a second run repeats it. Python's `hmac` is the oracle; the key is never printed.
@Suite(.tags(.integration)) struct MessageIDKeyIntegrationTests {
    /// Each previewed letter's log key and Message-ID, from the manifest and the `.eml` files.
    static func previewedIDs(_ folder: String) throws -> [String: String] {
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))) as? [String: Any])
        var ids: [String: String] = [:]
        for letter in try #require(manifest["letters"] as? [[String: Any]]) {
            let key = try #require(letter["recipient"] as? String), file = try #require(letter["file"] as? String)
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            let line = try #require(text.split(separator: "\r\n").first { $0.hasPrefix("Message-ID: ") })
            ids[key] = String(line.dropFirst("Message-ID: ".count))
        }
        return ids
    }

    /// What Python computes for `keys`: HMAC-SHA256 under `keyHex` (nil: the old, unkeyed SHA-256).
    static func oracle(campaign: String, keys: [String], keyHex: String?) throws -> [String: String] {
        let script = """
            import hashlib, hmac, json, sys
            campaign, key_hex = sys.argv[1], sys.argv[2]
            out = {}
            for row in sys.argv[3:]:
                data = campaign.encode() + b"\\0" + row.encode()
                digest = hmac.new(bytes.fromhex(key_hex), data, hashlib.sha256).digest() if key_hex else hashlib.sha256(data).digest()
                out[row] = digest[:16].hex()
            print(json.dumps(out))
            """
        let result = try Subprocess.run(PackagePaths.python, ["-c", script, campaign, keyHex ?? ""] + keys)
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String], "\(result)")
    }

    @Test func previewAndSendGiveTheSameKeyedMessageIDsThatNoOneCanComputeWithoutTheKey() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign()
        let first = try Subprocess.herald(["preview", campaign.path, "--out", campaign.folder.file("p1")])
        #expect(first.status == 0, "\(first)")
        let keyPath = campaign.log + ".key"
        let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(attributes)")
        let keyHex = try String(contentsOfFile: keyPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(keyHex.count == 64 && keyHex.allSatisfy(\.isHexDigit))

        let previewed = try Self.previewedIDs(campaign.folder.file("p1"))
        #expect(previewed.count == 15)
        let keys = Array(previewed.keys)
        let keyed = try Self.oracle(campaign: "cli-test", keys: keys, keyHex: keyHex)
        let guessable = try Self.oracle(campaign: "cli-test", keys: keys, keyHex: nil)
        for (row, id) in previewed {
            #expect(id.hasPrefix("<\(keyed[row]!).herald@"), "\(row): \(id) is not the keyed HMAC")
            #expect(!id.contains(guessable[row]!), "\(row): \(id) is computable from the address and the campaign name")
        }

        // A second preview reads the key: the same IDs.
        let second = try Subprocess.herald(["preview", campaign.path, "--out", campaign.folder.file("p2")])
        #expect(second.status == 0, "\(second)")
        #expect(try Self.previewedIDs(campaign.folder.file("p2")) == previewed)

        let sent = try campaign.send(server)
        #expect(sent.status == 0, "\(sent)")
        var logged: [String: String] = [:]
        for record in campaign.records() where record["status"] as? String == "sent" {
            logged[record["recipient"] as! String] = record["message_id"] as? String
        }
        #expect(logged == previewed, "send gave other Message-IDs than the preview")
        let received = server.messages().map { String(decoding: $0.data, as: UTF8.self) }
        #expect(received.count == 15 && previewed.values.allSatisfy { id in received.contains { $0.contains("Message-ID: \(id)") } })
        for output in [first, second, sent] { #expect(!(output.stdout + output.stderr).contains(keyHex), "the key was printed") }
        #expect(try String(contentsOfFile: keyPath, encoding: .utf8).contains(keyHex), "the key is kept")
    }

    @Test func aKeyOthersCanReadIsRefusedAndNothingIsSent() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign()
        campaign.folder.write("delivery.jsonl.key", String(repeating: "ab", count: 32) + "\n")
        chmod(campaign.log + ".key", 0o644)
        let result = try campaign.send(server)
        #expect(result.status == 77, "\(result)")
        #expect(result.stderr.contains("chmod 600") && !result.stderr.contains(String(repeating: "ab", count: 32)), "\(result)")
        #expect(server.messages().isEmpty)
        campaign.folder.write("delivery.jsonl.key", "not a key\n")
        chmod(campaign.log + ".key", 0o600)
        let damaged = try campaign.send(server)
        #expect(damaged.status == 65, "\(damaged)")
        #expect(damaged.stderr.contains("is not a Message-ID key"), "\(damaged)")
        #expect(server.messages().isEmpty)
    }
}
