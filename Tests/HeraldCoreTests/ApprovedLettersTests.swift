import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// The approval bound to the bytes handed over: the send pipeline hashes each letter just
/// before it hands it to the transport and stops at one that is not the approved letter.
@Suite(.offCooperativePool) struct ApprovedLettersTests {
    /// Bytes of the second letter's file: over 4 MiB once encoded, more than the attachment
    /// cache keeps, so it is read again when the letter is composed to be sent.
    static let large = 3_500_000

    /// A campaign of three letters, each attaching its own file (`own/N.bin`), on disk.
    static func campaign() throws -> (PreparedCampaign, TemporaryDirectory) {
        let folder = TemporaryDirectory("herald-bound")
        folder.write("letter.txt", "From: o@org.example\nTo: <{{email}}>\nSubject: s\nAttachment: own/{{n}}.bin\n\nHi\n")
        folder.write("list.csv", "email,n\na@x.example,1\nb@x.example,2\nc@x.example,3\n")
        for n in 1...3 { folder.write("own/\(n).bin", String(repeating: "\(n)", count: n == 2 ? large : 5000)) }
        let path = folder.write(
            "c.toml",
            """
            name = "bound"
            template = "letter.txt"
            recipients = ["list.csv"]
            log = "log.jsonl"
            [smtp]
            url = "smtp://127.0.0.1:9"
            """)
        return (try PreparedCampaign.load(campaignFile: path, date: Date(timeIntervalSince1970: 918_000_000)), folder)
    }

    static func run(
        _ prepared: PreparedCampaign, _ approved: ApprovedLetters?, occurrence: String? = nil,
        onDeliver: @escaping @Sendable (ComposedMessage) async -> Void = { _ in }
    ) async throws -> (CampaignDispatcher.Report, ScriptedTransport, MemoryJournal) {
        let journal = MemoryJournal()
        let transport = ScriptedTransport(journal: journal)
        transport.onDeliver = onDeliver
        let dispatcher = CampaignDispatcher(
            prepared: prepared, ledger: DeliveryLedger(records: [], campaign: prepared.campaign.name),
            transport: transport, journal: journal, clock: SkippingClock(now: Date(timeIntervalSince1970: 1_000_000)),
            occurrence: occurrence)
        dispatcher.approved = approved
        return (try await dispatcher.run(), transport, journal)
    }

    @Test func theApprovedLettersGoAsApproved() async throws {
        let (prepared, folder) = try Self.campaign()
        defer { withExtendedLifetime(folder) {} }
        let (summary, approved) = try ReviewManifest.bind(prepared, occurrence: nil)
        #expect(summary.manifestSHA256 == (try ReviewManifest.compute(prepared)).manifestSHA256)
        #expect(summary.attachments.map { ($0.path as NSString).lastPathComponent } == ["1.bin", "2.bin", "3.bin"])
        #expect(approved.count == 3)
        let (report, transport, _) = try await Self.run(prepared, approved)
        #expect(report.sent == 3 && report.stop == nil)
        #expect(transport.delivered.count == 3)
    }

    @Test func aFileReplacedAfterTheCheckStopsTheRunBeforeItsLetterIsHandedOver() async throws {
        let (prepared, folder) = try Self.campaign()
        let (_, approved) = try ReviewManifest.bind(prepared, occurrence: nil)
        // While the first letter is with the server, the second letter's file gets other
        // bytes of the same length (the second letter is composed after the first is answered).
        let (report, transport, journal) = try await Self.run(prepared, approved) { message in
            if message.envelopeRecipients[0].normalized == "a@x.example" { folder.write("own/2.bin", String(repeating: "X", count: Self.large)) }
        }
        #expect(transport.delivered.map { $0.envelopeRecipients[0].normalized } == ["a@x.example"], "the changed letter never reached the transport")
        guard case .notApproved(let text)? = report.stop else {
            Issue.record("the run did not stop as not approved: \(String(describing: report.stop))")
            return
        }
        #expect(text.contains("the attachment \(folder.file("own/2.bin")) changed since the approval was checked"), "\(text)")
        #expect(text.contains("the letter to b@x.example is not the approved one"), "\(text)")
        #expect(report.sent == 1 && report.deferred == 1)
        #expect(
            journal.records.map { "\($0.recipient) \($0.status.rawValue)" } == [
                "a@x.example sending", "a@x.example sent", "b@x.example sending", "b@x.example deferred",
            ])
        // The deferred record says the real cause: the file that changed.
        #expect(
            journal.records.last?.error
                == "not handed to the server: it is not the letter approved (the attached file \(folder.file("own/2.bin")) changed since the approval was checked)",
            "\(String(describing: journal.records.last?.error))")
    }

    @Test func withoutAnApprovalNothingIsChecked() async throws {
        let (prepared, folder) = try Self.campaign()
        let (report, transport, _) = try await Self.run(prepared, nil) { message in
            if message.envelopeRecipients[0].normalized == "a@x.example" { folder.write("own/2.bin", String(repeating: "X", count: Self.large)) }
        }
        #expect(report.sent == 3 && report.stop == nil && transport.delivered.count == 3)
    }

    @Test func aRecurringFiringIsBoundToTheLettersOfItsOccurrence() async throws {
        let (prepared, folder) = try Self.campaign()
        defer { withExtendedLifetime(folder) {} }
        let occurrence = "2026-12-07T09:00:00Z"
        let (forOccurrence, bound) = try ReviewManifest.bind(prepared, occurrence: occurrence)
        #expect(forOccurrence.manifestSHA256 == (try ReviewManifest.compute(prepared)).manifestSHA256, "the manifest leaves the occurrence out")
        let (report, _, _) = try await Self.run(prepared, bound, occurrence: occurrence)
        #expect(report.sent == 3 && report.stop == nil)
        // Bound without the occurrence, the occurrence's letters (another Message-ID) are not the approved ones.
        let (_, unbound) = try ReviewManifest.bind(prepared, occurrence: nil)
        let (refused, transport, journal) = try await Self.run(prepared, unbound, occurrence: occurrence)
        #expect(transport.delivered.isEmpty)
        // No file changed: the deferred record does not blame one.
        #expect(
            journal.records.last?.error == "not handed to the server: it is not the letter approved (its bytes or envelope differ from the approved letter's)",
            "\(String(describing: journal.records.last?.error))")
        if case .notApproved? = refused.stop {} else { Issue.record("\(String(describing: refused.stop))") }
    }

    @Test func theCampaignInputCoversLetterSettingsNotTheTransport() async throws {
        let (prepared, folder) = try Self.campaign()
        defer { withExtendedLifetime(folder) {} }
        var campaign = prepared.campaign
        let before = try ReviewManifest.inputs(of: campaign)[0]
        #expect(before.settings == ["name bound", "allow_duplicates false", "verp false"])
        campaign.smtp.url = try SMTPURL(parsing: "smtp://mail.example.org:587")
        campaign.limits.concurrency = 4
        campaign.catchUpSeconds = 5
        #expect(try ReviewManifest.inputs(of: campaign)[0] == before)
        campaign.schedule = "0 9 * * 1\n%"
        let after = try ReviewManifest.inputs(of: campaign)[0]
        #expect(after.sha256 != before.sha256)
        #expect(after.settings?.contains("schedule 0 9 * * 1%0A%25") == true, "\(after.settings ?? [])")
        #expect(ReviewManifest.settingChanges(reviewed: before.settings!, current: after.settings!) == ["schedule was (none), is now \"0 9 * * 1%0A%25\""])
    }
}
