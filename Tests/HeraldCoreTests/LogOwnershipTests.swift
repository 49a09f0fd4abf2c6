import HeraldCore
import Testing

/// One delivery log belongs to one campaign (`DeliveryLedger.OwnershipCheck`).
@Suite struct LogOwnershipTests {
    static func record(_ campaign: String, _ recipient: String = "a@x.example", _ status: DeliveryStatus = .sent) -> DeliveryRecord {
        DeliveryRecord(time: "2026-11-29T00:00:00Z", campaign: campaign, recipient: recipient, messageID: "<m@x>", status: status, attempt: 1)
    }

    static func check(_ records: [(Int, DeliveryRecord)], campaign: String = "new-name") -> DeliveryLedger.ForeignRecord? {
        var check = DeliveryLedger.OwnershipCheck(log: "delivery.jsonl", campaign: campaign, campaignFile: "CAMPAIGN.toml")
        for (line, record) in records { check.see(line: line, campaign: record.campaign) }
        do {
            try check.verdict()
            return nil
        } catch { return error }
    }

    @Test func anEmptyLogAndALogOfThisCampaignPass() {
        #expect(Self.check([]) == nil)
        #expect(Self.check([(1, Self.record("new-name")), (2, Self.record("new-name", "b@x.example"))]) == nil)
    }

    @Test func aLogOfAnotherNameIsRefusedAsTheOtherCampaignsWithBothNames() throws {
        let foreign = try #require(Self.check([(1, Self.record("old-name", "a@x.example", .sending)), (2, Self.record("old-name"))]))
        #expect(
            foreign
                == DeliveryLedger.ForeignRecord(
                    log: "delivery.jsonl", line: 1, recorded: "old-name", campaign: "new-name",
                    campaignFile: "CAMPAIGN.toml", wholeLog: true))
        #expect(
            foreign.description.hasPrefix(
                #"delivery.jsonl:1: this log belongs to campaign "old-name", but CAMPAIGN.toml is named "new-name"; if you renamed the campaign, put back name = "old-name" (the name is part of every Message-ID"#
            ))
        #expect(foreign.description.hasSuffix("a new campaign needs its own log"))
    }

    @Test func theFirstLineOfTheLogIsNamedEvenAfterBlankLines() throws {
        let foreign = try #require(Self.check([(3, Self.record("old-name")), (4, Self.record("other"))]))
        #expect(foreign.line == 3 && foreign.recorded == "old-name" && foreign.wholeLog)
    }

    @Test func oneEditedRecordInTheMiddleIsRefusedNamingItsLine() throws {
        let records = [
            (1, Self.record("new-name")), (2, Self.record("new-name")), (3, Self.record("new-nam", "b@x.example")),
            (4, Self.record("new-name")), (5, Self.record("another", "c@x.example")),
        ]
        let foreign = try #require(Self.check(records))
        #expect(foreign.line == 3 && foreign.recorded == "new-nam" && !foreign.wholeLog)
        #expect(
            foreign.description.hasPrefix(
                #"delivery.jsonl:3: this record belongs to campaign "new-nam", but the log and CAMPAIGN.toml are campaign "new-name"; one log holds one campaign: if that line was edited, put back "campaign":"new-name""#
            ))
    }

    @Test func anEditedFirstRecordIsOneRecordWhenTheRestAreThisCampaigns() throws {
        let foreign = try #require(Self.check([(1, Self.record("typo")), (2, Self.record("new-name"))]))
        #expect(foreign.line == 1 && foreign.recorded == "typo" && !foreign.wholeLog)
    }
}
