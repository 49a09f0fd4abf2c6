import Foundation
import HeraldCore
import Testing

/// `EditCheck`: edits to the template or a pending row, made after a campaign started sending.
@Suite struct EditCheckTests {
    static let csv = "email,name\na@x.example,Ann\nb@x.example,Bob\nc@x.example,Cy\n"

    static func prepared(_ csv: String = csv, template: String = TestData.simpleTemplate) throws -> PreparedCampaign {
        try TestData.prepared(csv, template: template)
    }

    /// The record of `status` for `recipient`, an intent carrying the fingerprints `prepared` has now.
    static func record(
        _ prepared: PreparedCampaign, _ recipient: String, _ status: DeliveryStatus = .sending,
        time: String = "2026-11-29T09:00:00Z", campaign: String? = nil, occurrence: String? = nil
    ) -> DeliveryRecord {
        let row = (try? prepared.recipients)?.first { $0.key == recipient }
        let intent = status == .sending
        return DeliveryRecord(
            time: time, campaign: campaign ?? prepared.campaign.name, recipient: recipient, messageID: "<\(recipient)>",
            status: status, attempt: 1, templateSHA256: intent ? prepared.template.fingerprint : nil,
            rowSHA256: intent ? row?.fingerprint : nil, occurrence: occurrence)
    }

    /// The changes `EditCheck` finds in `prepared` against the ledger of `records` (one occurrence's).
    static func changes(_ prepared: PreparedCampaign, _ records: [DeliveryRecord], occurrence: String? = nil) -> [Diagnostic] {
        EditCheck.changes(in: prepared, ledger: DeliveryLedger(records: records, campaign: prepared.campaign.name, occurrence: occurrence))
    }

    @Test func nothingChangedIsNothingToSay() throws {
        let prepared = try Self.prepared()
        #expect(Self.changes(prepared, []).isEmpty)
        let records = [Self.record(prepared, "a@x.example"), Self.record(prepared, "a@x.example", .sent), Self.record(prepared, "b@x.example")]
        #expect(Self.changes(prepared, records).isEmpty)
    }

    @Test func aChangedTemplateIsNamedWithWhenSendingStartedAndHowManyWentOut() throws {
        let before = try Self.prepared()
        let records = [
            Self.record(before, "a@x.example", time: "2026-11-29T09:00:00Z"), Self.record(before, "a@x.example", .sent),
            Self.record(before, "b@x.example", time: "2026-11-29T09:00:05Z"), Self.record(before, "b@x.example", .sent),
        ]
        let after = try Self.prepared(template: TestData.simpleTemplate + "\nP.S. A line added later.")
        let changes = Self.changes(after, records)
        #expect(
            changes == [
                Diagnostic(
                    .badData, file: after.template.file, field: "template",
                    "changed since this campaign started sending at 2026-11-29T09:00:00Z (2 letters went out with the earlier version)")
            ])
    }

    @Test func aChangedRowOfARecipientAlreadyTriedIsNamedWithItsLine() throws {
        let before = try Self.prepared()
        let records = [
            Self.record(before, "a@x.example"), Self.record(before, "a@x.example", .sent),
            Self.record(before, "b@x.example", time: "2026-11-29T09:00:07Z"), Self.record(before, "b@x.example", .deferred),
        ]
        let after = try Self.prepared(Self.csv.replacingOccurrences(of: "Bob", with: "Robert"))
        let changes = Self.changes(after, records)
        #expect(
            changes == [
                Diagnostic(
                    .badData, file: "list.csv", line: 3, field: "row",
                    "b@x.example's row changed since its first attempt at 2026-11-29T09:00:07Z")
            ])
        #expect(changes[0].kind == .badData)
    }

    @Test func editsOnlyMatterForRecipientsStillToSend() throws {
        let before = try Self.prepared()
        // a's row changed, but a was sent; c's row changed, but c was never tried.
        let records = [Self.record(before, "a@x.example"), Self.record(before, "a@x.example", .sent)]
        let after = try Self.prepared(Self.csv.replacingOccurrences(of: "Ann", with: "Anne").replacingOccurrences(of: "Cy", with: "Cyrus"))
        #expect(Self.changes(after, records).isEmpty)
    }

    @Test func aCompletedCampaignMayBeEditedFreely() throws {
        let before = try Self.prepared()
        let records = try before.recipients.flatMap { [Self.record(before, $0.key), Self.record(before, $0.key, .sent)] }
        let after = try Self.prepared(Self.csv.replacingOccurrences(of: "Bob", with: "Robert"), template: TestData.simpleTemplate + "\nP.S.")
        #expect(Self.changes(after, records).isEmpty)
    }

    @Test func onlyThisCampaignAndThisOccurrenceCount() throws {
        let before = try Self.prepared()
        let after = try Self.prepared(Self.csv.replacingOccurrences(of: "Bob", with: "Robert"), template: TestData.simpleTemplate + "\nP.S.")
        let otherCampaign = [Self.record(before, "b@x.example", campaign: "another-campaign")]
        #expect(Self.changes(after, otherCampaign).isEmpty)
        let earlierOccurrence = [Self.record(before, "b@x.example", occurrence: "2026-11-28T09:00:00Z")]
        #expect(Self.changes(after, earlierOccurrence, occurrence: "2026-11-29T09:00:00Z").isEmpty)
        #expect(Self.changes(after, earlierOccurrence, occurrence: "2026-11-28T09:00:00Z").map(\.field) == ["template", "row"])
    }

    @Test func recordsWithoutFingerprintsAreNoEvidence() throws {
        let before = try Self.prepared()
        var intent = Self.record(before, "b@x.example")
        intent.templateSHA256 = nil
        intent.rowSHA256 = nil
        let after = try Self.prepared(Self.csv.replacingOccurrences(of: "Bob", with: "Robert"), template: TestData.simpleTemplate + "\nP.S.")
        #expect(Self.changes(after, [intent]).isEmpty)
    }
}
