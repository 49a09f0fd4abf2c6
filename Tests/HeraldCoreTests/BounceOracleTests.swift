import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// The bounce parser's RFC 3464 fields against Python's `email` package (policy.default) via
/// `Tests/Support/dsn_fields.py`: the same per-recipient fields, returned and referenced
/// Message-IDs, own Message-ID and Date on every fixture.
@Suite struct BounceOracleTests {
    struct Oracle: Decodable {
        struct Recipient: Decodable {
            var final_recipient, original_recipient, action, status, diagnostic_code, remote_mta: String?
        }
        var file: String
        var message_id: String?
        var date: String?
        var report: Bool
        var recipients: [Recipient]
        var returned_message_ids: [String]
        var referenced_message_ids: [String]
    }

    @Test func fieldsMatchPythonsEmailPackage() throws {
        let result = try Subprocess.run(PackagePaths.python, [PackagePaths.path("Tests/Support/dsn_fields.py"), BounceFixtures.folder])
        try #require(result.status == 0, "\(result)")
        let oracles = try JSONDecoder().decode([Oracle].self, from: Data(result.stdout.utf8))
        #expect(oracles.count == BounceFixtures.names.count)
        func unique(_ ids: [String]) -> [String] { var seen = Set<String>(); return ids.filter { seen.insert($0).inserted } }
        for oracle in oracles {
            let bounce = BounceMessage(bytes: try BounceFixtures.bytes(oracle.file))
            #expect(bounce.messageID == oracle.message_id, "\(oracle.file)")
            #expect(bounce.date == oracle.date, "\(oracle.file)")
            #expect(bounce.referencedMessageIDs == unique(oracle.referenced_message_ids), "\(oracle.file)")
            // A text bounce's quoted header lines are found by this parser only (Python sees text).
            let fromParts =
                bounce.kind == .textBounce
                ? bounce.returnedMessageIDs.filter(oracle.returned_message_ids.contains) : bounce.returnedMessageIDs
            #expect(fromParts == unique(oracle.returned_message_ids), "\(oracle.file)")
            guard oracle.report else { continue }
            #expect(bounce.recipients.count == oracle.recipients.count, "\(oracle.file)")
            for (mine, theirs) in zip(bounce.recipients, oracle.recipients) {
                #expect(mine.finalRecipient == theirs.final_recipient, "\(oracle.file)")
                #expect(mine.originalRecipient == theirs.original_recipient, "\(oracle.file)")
                #expect(mine.action == theirs.action, "\(oracle.file)")
                #expect(mine.status == theirs.status, "\(oracle.file)")
                #expect(mine.diagnosticCode == theirs.diagnostic_code, "\(oracle.file)")
                #expect(mine.remoteMTA == theirs.remote_mta, "\(oracle.file)")
            }
        }
    }
}
