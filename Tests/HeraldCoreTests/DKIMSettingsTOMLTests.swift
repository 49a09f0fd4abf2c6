import Foundation
import Testing

@testable import HeraldCore

/// `[dkim]` in the campaign file: names, algorithm and header list checked where written (exit 78).
@Suite struct DKIMSettingsTOMLTests {
    static func campaign(_ dkim: String) -> String {
        CampaignTOMLTests.withSMTP("url = \"smtp://127.0.0.1:25\"") + "\n\n[dkim]\n" + dkim
    }

    @Test func noTableMeansNoSignature() throws {
        #expect(try CampaignTOMLTests.parse(CampaignTOMLTests.withSMTP("url = \"smtp://127.0.0.1:25\"")).dkim == nil)
    }

    @Test func readsEveryKeyAndResolvesTheKeyFile() throws {
        let campaign = try CampaignTOMLTests.parse(
            Self.campaign(
                """
                domain = "Amnesty.example"
                selector = "herald-2026.eu"
                private_key_file = "../keys/dkim.pem"
                algorithm = "ed25519-sha256"
                headers = ["From", "To", "Subject"]
                """), file: "/srv/campaigns/c.toml")
        let dkim = try #require(campaign.dkim)
        #expect(
            dkim
                == DKIMSettings(
                    domain: "amnesty.example", selector: "herald-2026.eu", privateKeyFile: "/srv/keys/dkim.pem",
                    algorithm: .ed25519SHA256, headers: ["From", "To", "Subject"]))
        #expect(dkim.recordName == "herald-2026.eu._domainkey.amnesty.example")
    }

    @Test func defaultsToRSAAndTheStandardHeaders() throws {
        let dkim = try #require(
            try CampaignTOMLTests.parse(
                Self.campaign(
                    """
                    domain = "amnesty.example"
                    selector = "s1"
                    private_key_file = "dkim.pem"
                    """)
            ).dkim)
        #expect(dkim.algorithm == .rsaSHA256)
        #expect(dkim.headers == DKIMSettings.defaultHeaders)
        #expect(dkim.headers.first == "From")
    }

    @Test func anInternationalisedDomainSignsAsALabels() throws {
        let dkim = try #require(
            try CampaignTOMLTests.parse(
                Self.campaign(
                    """
                    domain = "bücher.example"
                    selector = "s1"
                    private_key_file = "dkim.pem"
                    """)
            ).dkim)
        #expect(dkim.domain == "xn--bcher-kva.example")
    }

    @Test func refusesEachBadValueOnItsLine() {
        let diagnostics = CampaignTOMLTests.diagnostics(
            Self.campaign(
                """
                domain = "amnesty example"
                selector = "_bad"
                private_key_file = ""
                algorithm = "rsa-sha1"
                headers = ["To", "Subject: x"]
                signing = true
                """))
        #expect(
            diagnostics.map(\.field) == [
                "dkim.signing", "dkim.domain", "dkim.selector", "dkim.private_key_file",
                "dkim.algorithm", "dkim.headers", "dkim.headers",
            ])
        #expect(diagnostics.map(\.line) == [15, 10, 11, 12, 13, 14, 14])
        #expect(diagnostics.allSatisfy { $0.kind == .badConfig })
        #expect(diagnostics[0].message.contains("known keys are algorithm, domain, headers, private_key_file, selector"))
        #expect(diagnostics[4].message.contains("\"rsa-sha256\" (the default) or \"ed25519-sha256\""))
        #expect(diagnostics[6].message.contains("must include From"))
    }

    @Test func requiresDomainSelectorAndKeyFile() {
        let diagnostics = CampaignTOMLTests.diagnostics(Self.campaign("algorithm = \"rsa-sha256\""))
        #expect(diagnostics.map(\.field) == ["dkim.domain", "dkim.selector", "dkim.private_key_file"])
        #expect(diagnostics.allSatisfy { $0.line == 9 && $0.message.hasPrefix("missing") })
    }

    @Test func refusesASingleLabelDomainAndSelfSigning() {
        let diagnostics = CampaignTOMLTests.diagnostics(
            Self.campaign(
                """
                domain = "localhost"
                selector = "a..b"
                private_key_file = "k.pem"
                headers = ["From", "DKIM-Signature", "Bcc"]
                """))
        #expect(diagnostics.map(\.field) == ["dkim.domain", "dkim.selector", "dkim.headers", "dkim.headers"])
        #expect(diagnostics[0].message.contains("not a full domain name"))
        #expect(diagnostics[1].message.contains("empty label"))
    }

    @Test func refusesDKIMThatIsNotATable() {
        let text = CampaignTOMLTests.withSMTP("url = \"smtp://127.0.0.1:25\"").replacingOccurrences(of: "[smtp]", with: "dkim = true\n[smtp]")
        #expect(CampaignTOMLTests.diagnostics(text).map(\.field) == ["dkim"])
    }
}
