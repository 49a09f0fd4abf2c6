import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

@testable import HeraldCLI

/// `herald status` prints its table as it walks the lists (two walks: one to measure the
/// columns, one to print, a chunk of rows at a time), and `--json` only counts: the output is
/// the table `CampaignStatus.table()` renders from rows held whole, line for line.
@Suite(.offCooperativePool) struct StatusStreamingTests {
    /// 2,500 recipients (past two chunks of 1,000 rows), names of every width, a few of them sent.
    static func harness() -> ApplicationHarness {
        let rows = (1...2_500).map { "r\($0)@x.example,\(String(repeating: "N", count: $0 % 37 + 1))" }
        return ApplicationHarness(csv: "email,name\n" + rows.joined(separator: "\n") + "\n")
    }

    @Test func theStreamedTableIsTheTableHeldWhole() async throws {
        let harness = Self.harness()
        harness.script("r2@x.example", .rejected(code: 550, reply: "550 5.1.1 a longer reply than the others, to widen its column"))
        #expect(await harness.send() == .someFailed)
        harness.output = []
        #expect(harness.application().status(campaign: harness.campaign, logPath: nil, json: false) == .ok)

        let prepared = try PreparedCampaign.load(campaignFile: harness.campaign, date: ApplicationHarness.now)
        let ledger = DeliveryLedger(records: harness.records(), campaign: prepared.campaign.name)
        let whole = try CampaignStatus(prepared: prepared, ledger: ledger)
        let printed = harness.output.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let table = whole.table().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(printed.count == table.count + 2, "the table, then the chain line and the summary")
        #expect(Array(printed.prefix(table.count)) == table)
        #expect(printed.last == whole.line())
        #expect(harness.output.count > 3, "printed in chunks, not as one string")
        #expect(whole.count(.sent) == 2_499 && whole.count(.failed) == 1)

        harness.output = []
        #expect(harness.application().status(campaign: harness.campaign, logPath: nil, json: true) == .ok)
        #expect(harness.output == [whole.json()])
    }
}
