import Foundation
import HeraldTestSupport
import Testing

/// Review → approve → send: the manifest hash `herald preview` prints is what a person
/// approves; `send --approve`, `approve` and the daemon recompute it from the current files,
/// and refuse (exit 77, nothing sent) after any change, naming it. Real `herald` processes
/// against a real SMTP server (aiosmtpd).
@Suite(.tags(.integration)) struct ApprovalIntegrationTests {
    /// A campaign with its own copy of the real letter and list, so a test can edit them.
    static func campaign(url: String = "smtp://127.0.0.1:9", extra: String = "") -> TestCampaign {
        let template = (try? String(contentsOfFile: PackagePaths.path("Templates/eu-china-dialogue-1999.mustache"), encoding: .utf8)) ?? ""
        return TestCampaign(
            url: url, template: template, csv: realRecipientRows().joined(separator: "\n") + "\n",
            extra: "require_approval = true\ncatch_up_seconds = 3600\n" + extra)
    }

    /// Previews into `folder` and returns the manifest hash it printed.
    static func preview(_ campaign: TestCampaign, into folder: String) throws -> String {
        let result = try Subprocess.herald(["preview", campaign.path, "--out", folder])
        #expect(result.status == 0, "\(result)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("manifest hash: ") }, "\(result)")
        return String(line.dropFirst("manifest hash: ".count))
    }

    /// Replaces the first occurrence of `old` in a file by `new`.
    static func edit(_ path: String, _ old: String, _ new: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let range = try #require(text.range(of: old), "\(old) is not in \(path)")
        try text.replacingCharacters(in: range, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func sendWithoutApproveIsRefusedAndNothingIsSent() throws {
        let server = try SMTPTestServer()
        let campaign = Self.campaign()
        let result = try campaign.send(server)
        #expect(result.status == 77, "\(result)")
        #expect(result.stderr.contains("requires approval (require_approval = true) and nothing was sent"), "\(result)")
        #expect(server.messages().isEmpty)
        #expect(server.connections() == 0, "refused before connecting")
        #expect(campaign.records().isEmpty)
        let malformed = try campaign.send(server, ["--approve", "not-a-hash"])
        #expect(malformed.status == 64, "\(malformed)")
    }

    @Test func manifestHashIsStableAcrossPreviewsAndIsWhatSendChecks() throws {
        let server = try SMTPTestServer()
        let campaign = Self.campaign()
        let first = try Self.preview(campaign, into: campaign.folder.file("p1"))
        let second = try Self.preview(campaign, into: campaign.folder.file("p2"))
        #expect(first == second, "unchanged inputs, the same hash (the Date is left out)")
        #expect(first.count == 64)
        // Python recomputes every hash of the manifest from the files themselves.
        for folder in ["p1", "p2"] {
            let oracle = try Subprocess.run(PackagePaths.python, [PackagePaths.path("Tests/Support/check_manifest.py"), campaign.folder.file(folder)])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(oracle.stdout.utf8)) as? [String: Any], "\(oracle)")
            #expect(report["ok"] as? Bool == true, "\(report)")
            #expect(report["manifest_sha256"] as? String == first)
        }
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: campaign.folder.file("p1/manifest.json")))) as? [String: Any])
        #expect(manifest["manifest_sha256"] as? String == first)
        #expect((manifest["letters"] as? [[String: Any]])?.count == 15)
        #expect((manifest["inputs"] as? [[String: Any]])?.map { $0["role"] as? String ?? "" } == ["campaign", "template", "recipients"])

        let sent = try campaign.send(server, ["--approve", first.uppercased()])
        #expect(sent.status == 0, "\(sent)")
        #expect(sent.stderr.contains("approved: manifest hash \(first) matches the current inputs (15 letters)"), "\(sent)")
        #expect(server.messages().count == 15)
    }

    enum Change: String, CaseIterable, Sendable {
        case template, csvCell, campaignFile
    }

    @Test(arguments: Change.allCases)
    func approvalIsRefusedAfterAOneCharacterChangeAndAcceptedWithTheNewHash(_ change: Change) throws {
        let server = try SMTPTestServer()
        let campaign = Self.campaign()
        let reviewed = campaign.folder.file("review")
        let approved = try Self.preview(campaign, into: reviewed)
        let expected: [String]
        switch change {
        case .template:
            try Self.edit(campaign.folder.file("letter.mustache"), "London, February 1999", "London, February 1998")
            expected = ["the template \(campaign.folder.file("letter.mustache")) changed since the review", "15 letters changed"]
        case .csvCell:
            try Self.edit(campaign.folder.file("list.csv"), "Védrine", "Védrina")
            expected = [
                "the recipient list \(campaign.folder.file("list.csv")) changed since the review",
                "1 letter changed: ministre@diplomatie.france.example",
            ]
        case .campaignFile:
            // A setting that changes how often the letters go (a transport setting does not:
            // ApprovalBindingIntegrationTests).
            try Self.edit(campaign.path, "catch_up_seconds = 3600", "catch_up_seconds = 3600\nschedule = \"@daily\"")
            expected = ["the campaign file \(campaign.path) changed what its letters are since the review: schedule was (none), is now \"@daily\""]
        }
        let refused = try campaign.send(server, ["--approve", approved, "--preview", reviewed])
        #expect(refused.status == 77, "\(refused)")
        for line in expected { #expect(refused.stderr.contains(line), "\(line)\n\(refused)") }
        #expect(refused.stderr.contains("not the approved \(approved)"), "\(refused)")
        #expect(server.messages().isEmpty, "nothing is sent after a change")
        #expect(server.connections() == 0)
        #expect(campaign.records().isEmpty)

        let recorded = try Subprocess.herald(["approve", campaign.path, approved, "--preview", reviewed])
        #expect(recorded.status == 77, "\(recorded)")
        for line in expected { #expect(recorded.stderr.contains(line), "\(line)\n\(recorded)") }
        #expect(!FileManager.default.fileExists(atPath: campaign.log + ".approval"), "a refused approval records nothing")

        let renewed = try Self.preview(campaign, into: reviewed)
        #expect(renewed != approved)
        let sent = try campaign.send(server, ["--approve", renewed])
        #expect(sent.status == 0, "\(sent)")
        #expect(server.messages().count == 15)
    }

    @Test func approveRecordsTheApprovalAndNamesChangesAgainstIt() throws {
        let campaign = Self.campaign()
        let hash = try Self.preview(campaign, into: campaign.folder.file("review"))
        let wrong = String(repeating: "0", count: 64)
        let refused = try Subprocess.herald(["approve", campaign.path, wrong])
        #expect(refused.status == 77, "\(refused)")
        #expect(refused.stderr.contains("no manifest with hash \(wrong) was found"), "\(refused)")

        let approved = try Subprocess.herald(["approve", campaign.path, hash])
        #expect(approved.status == 0, "\(approved)")
        let record = campaign.log + ".approval"
        let attributes = try FileManager.default.attributesOfItem(atPath: record)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: record))) as? [String: Any])
        #expect(object["manifest_sha256"] as? String == hash)
        #expect(object["approved_at"] is String)
        #expect((object["letters"] as? [Any])?.count == 15)

        // Without the preview folder, the record itself tells what changed.
        try FileManager.default.removeItem(atPath: campaign.folder.file("review"))
        try Self.edit(campaign.folder.file("list.csv"), "Védrine", "Védrina")
        let changed = try Subprocess.herald(["send", campaign.path, "--approve", hash])
        #expect(changed.status == 77, "\(changed)")
        #expect(changed.stderr.contains("1 letter changed: ministre@diplomatie.france.example"), "\(changed)")
        #expect(changed.stderr.contains("compared with the reviewed manifest \(record)"), "\(changed)")
    }
    // The daemon's side (a firing only once an approval matching the inputs is recorded) is
    // tested in-process on a mock clock: DaemonServiceTests.aRecurringCampaignFiresOnlyOnceAnApprovalMatchingTheInputsIsRecorded.
}
