import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// A signed campaign's review hash: the `DKIM-Signature` field (its `t=` and `b=` change with
/// the time of composing) is left out, as the `Date` value is, so a preview and a later send of
/// the same inputs give the same hash, while a change to the letter still changes it.
@Suite struct ReviewManifestSigningTests {
    static let previewDate = Date(timeIntervalSince1970: 1_764_400_000)
    static let sendDate = Date(timeIntervalSince1970: 1_764_486_461)

    func prepared(_ csv: String, _ algorithm: DKIMSettings.Algorithm) throws -> PreparedCampaign {
        try PreparedCampaign.prepare(
            campaign: TestData.campaign(), template: TestData.template(TestData.simpleTemplate),
            lists: [TestData.list(csv)], signer: DKIMTestKeys.signer(algorithm), date: Self.previewDate)
    }

    @Test(arguments: [DKIMSettings.Algorithm.rsaSHA256, .ed25519SHA256])
    func theHashIgnoresTheSignatureAndTheDateButNotTheLetter(_ algorithm: DKIMSettings.Algorithm) throws {
        let campaign = try prepared("email,name\nann@x.example,Ann\n", algorithm)
        let atPreview = try campaign.compose(campaign.recipients[0], date: Self.previewDate)
        let atSend = try campaign.compose(campaign.recipients[0], date: Self.sendDate)
        #expect(atPreview.data != atSend.data, "the date and the signature differ")
        #expect(atPreview.signatureRange.map { String(decoding: atPreview.data[$0], as: UTF8.self).hasPrefix("DKIM-Signature:") } == true)
        let dateValue = atSend.dateRange.map { String(decoding: atSend.data[$0], as: UTF8.self) }
        #expect(dateValue?.contains("2025") == true, "the date range still points at the Date value after signing: \(dateValue ?? "nil")")
        #expect(ReviewManifest.letterHash(atPreview) == ReviewManifest.letterHash(atSend))

        let edited = try prepared("email,name\nann@x.example,Anne\n", algorithm)
        let changed = try edited.compose(edited.recipients[0], date: Self.previewDate)
        #expect(ReviewManifest.letterHash(changed) != ReviewManifest.letterHash(atPreview))

        let unsigned = try PreparedCampaign.prepare(
            campaign: TestData.campaign(), template: TestData.template(TestData.simpleTemplate),
            lists: [TestData.list("email,name\nann@x.example,Ann\n")], date: Self.previewDate)
        let plain = try unsigned.compose(unsigned.recipients[0], date: Self.previewDate)
        #expect(ReviewManifest.letterHash(plain) == ReviewManifest.letterHash(atPreview), "signing changes nothing the reviewer approved")
    }

    /// The same for every shape: a Markdown letter (multipart/alternative) keeps where its
    /// date lies too, so its hash does not change with the time of composing.
    @Test func aMarkdownLettersHashIgnoresItsDate() throws {
        let template = try TestData.template(
            """
            From: Sender <sender@org.example>
            To: {{name}} <{{email}}>
            Subject: Hello {{name}}

            Dear **{{name}}**,

            the letter.
            """, file: "letter.md")
        let campaign = try PreparedCampaign.prepare(
            campaign: TestData.campaign(), template: template,
            lists: [TestData.list("email,name\nann@x.example,Ann\n")], date: Self.previewDate)
        let atPreview = try campaign.compose(campaign.recipients[0], date: Self.previewDate)
        let atSend = try campaign.compose(campaign.recipients[0], date: Self.sendDate)
        #expect(String(decoding: atPreview.data, as: UTF8.self).contains("multipart/alternative"))
        #expect(atPreview.data != atSend.data)
        #expect(atSend.dateRange != nil, "a multipart letter says where its date lies")
        #expect(ReviewManifest.letterHash(atPreview) == ReviewManifest.letterHash(atSend))
    }
}
