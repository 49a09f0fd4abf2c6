import Foundation
import HeraldCore
import HeraldStorage
import HeraldTestSupport
import Testing

/// The `DeliveryJournal` seam's contract, held by the file journal and the journal in memory
/// alike, so a command that passes over one passes over the other: one lease at a time,
/// released when dropped; the history of the occurrences asked for, in order; a record of
/// another campaign refused as damage; every occurrence listed, with nil.
@Suite(.offCooperativePool) struct DeliveryJournalContractTests {
    enum Kind: String, CaseIterable, Sendable {
        case file, memory
    }

    /// A journal of that kind, with its campaign file (the file journal locks it too).
    final class Subject {
        let folder = TemporaryDirectory("herald-journal-contract")
        let journal: any DeliveryJournal
        let campaignFile: String
        let environment: [String: String]

        init(_ kind: Kind) {
            campaignFile = folder.write("campaign.toml", "name = \"c\"\n")
            let runtime = folder.path + ".run"
            mkdir(runtime, 0o700)
            environment = ["XDG_RUNTIME_DIR": runtime]
            switch kind {
            case .file: journal = FileJournal(path: folder.file("delivery.jsonl"))
            case .memory: journal = MemoryJournal(location: folder.file("delivery.jsonl"))
            }
        }
    }

    static func record(_ recipient: String, _ status: DeliveryStatus, campaign: String = "c", occurrence: String? = nil) -> DeliveryRecord {
        DeliveryRecord(
            time: "2026-11-29T09:00:00Z", campaign: campaign, recipient: recipient, messageID: "<\(recipient)@org.example>",
            status: status, attempt: 1, occurrence: occurrence)
    }

    @Test(arguments: Kind.allCases)
    func oneLeaseAtATimeReleasedWhenDropped(kind: Kind) throws {
        let subject = Subject(kind)
        var lease: (any JournalLease)? = try subject.journal.lock(campaign: "c", campaignFile: subject.campaignFile, environment: subject.environment)
        do {
            let second = try subject.journal.lock(campaign: "c", campaignFile: nil, environment: subject.environment)
            Issue.record("a second lease was granted")
            withExtendedLifetime(second) {}
        } catch {
            guard case .busy(let message) = error else { Issue.record("not busy: \(error)"); return }
            #expect(message.contains("is being sent by pid \(getpid())"), "\(message)")
        }
        withExtendedLifetime(lease) {}
        lease = nil
        let again = try subject.journal.lock(campaign: "c", campaignFile: subject.campaignFile, environment: subject.environment)
        withExtendedLifetime(again) {}
    }

    @Test(arguments: Kind.allCases)
    func theHistoryOfTheOccurrencesAskedForInOrderAndEveryOccurrenceListed(kind: Kind) async throws {
        let subject = Subject(kind)
        let journal = subject.journal
        try await journal.claim([Self.record("a@x.example", .sending), Self.record("b@x.example", .sending, occurrence: "2026-11-29T09:00:00Z")])
        try await journal.record(Self.record("a@x.example", .sent))
        try await journal.record(Self.record("b@x.example", .sent, occurrence: "2026-11-29T09:00:00Z"))
        try await journal.sync()

        do {
            let lease = try journal.lock(campaign: "c", campaignFile: subject.campaignFile, environment: subject.environment)
            let (whole, _) = try journal.readHistory(
                campaign: "c", campaignFile: subject.campaignFile, occurrences: [nil], holding: lease,
                into: [String]()
            ) { $0.append("\($1.recipient) \($1.status.rawValue)") }
            #expect(whole == ["a@x.example sending", "a@x.example sent"])
            let (firing, read) = try journal.readHistory(
                campaign: "c", campaignFile: subject.campaignFile, occurrences: ["2026-11-29T09:00:00Z"],
                holding: lease, into: [String]()
            ) { $0.append("\($1.recipient) \($1.status.rawValue)") }
            #expect(firing == ["b@x.example sending", "b@x.example sent"])
            #expect(read.warning == nil)
            #expect(try journal.occurrences(campaign: "c", campaignFile: subject.campaignFile) == [nil, "2026-11-29T09:00:00Z"])

            withExtendedLifetime(lease) {}
        }

        let opened = try journal.openLedger(campaign: "c", campaignFile: subject.campaignFile, occurrence: nil, environment: subject.environment)
        #expect(opened.ledger["a@x.example"]?.status == .sent && opened.ledger["b@x.example"] == nil)
    }

    @Test(arguments: Kind.allCases)
    func aRecordOfAnotherCampaignIsDamage(kind: Kind) async throws {
        let subject = Subject(kind)
        try await subject.journal.claim([Self.record("a@x.example", .sending, campaign: "other")])
        do {
            _ = try subject.journal.readHistory(
                campaign: "c", campaignFile: subject.campaignFile, occurrences: [nil], holding: nil,
                into: 0
            ) { count, _ in count += 1 }
            Issue.record("a foreign record was read")
        } catch {
            guard case .damaged(let message) = error else { Issue.record("not damaged: \(error)"); return }
            #expect(message.contains("other"), "\(message)")
        }
    }

    @Test func aFileJournalThatCannotBeReadIsUnavailable() throws {
        let folder = TemporaryDirectory("herald-journal-contract")
        mkdir(folder.file("delivery.jsonl"), 0o700)  // a folder where the log should be
        let journal: any DeliveryJournal = FileJournal(path: folder.file("delivery.jsonl"))
        do {
            _ = try journal.readHistory(campaign: "c", campaignFile: "c.toml", occurrences: [nil], holding: nil, into: 0) { count, _ in count += 1 }
            Issue.record("a folder was read as a log")
        } catch {
            guard case .unavailable = error else { Issue.record("not unavailable: \(error)"); return }
        }
    }
}
