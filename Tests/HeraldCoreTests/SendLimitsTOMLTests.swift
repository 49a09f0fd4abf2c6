import Foundation
import Testing

@testable import HeraldCore

/// `[limits]`: connections, messages per connection and rate ceilings, checked where written.
@Suite struct SendLimitsTOMLTests {
    static func campaign(_ limits: String) -> String {
        CampaignTOMLTests.withSMTP("url = \"smtp://127.0.0.1:25\"") + "\n\n[limits]\n" + limits
    }

    @Test func defaultsToOneConnectionOfAHundredMessagesAndNoRateCeiling() throws {
        let campaign = try CampaignTOMLTests.parse(CampaignTOMLTests.withSMTP("url = \"smtp://127.0.0.1:25\""))
        #expect(campaign.limits == SendLimits(concurrency: 1, maxMessagesPerConnection: 100))
    }

    @Test func readsEveryKey() throws {
        let campaign = try CampaignTOMLTests.parse(
            Self.campaign(
                """
                concurrency = 4
                max_messages_per_connection = 50
                messages_per_second = 2.5
                messages_per_minute = 120
                """))
        #expect(campaign.limits == SendLimits(concurrency: 4, maxMessagesPerConnection: 50, messagesPerSecond: 2.5, messagesPerMinute: 120))
    }

    @Test func refusesEachBadValueOnItsLine() {
        let diagnostics = CampaignTOMLTests.diagnostics(
            Self.campaign(
                """
                concurrency = 0
                max_messages_per_connection = "many"
                messages_per_second = -1
                messages_per_minute = 0
                speed = 3
                """))
        #expect(
            diagnostics.map(\.field) == [
                "limits.speed", "limits.concurrency", "limits.max_messages_per_connection",
                "limits.messages_per_second", "limits.messages_per_minute",
            ])
        #expect(diagnostics.map(\.line) == [14, 10, 11, 12, 13])
        #expect(diagnostics.allSatisfy { $0.kind == .badConfig })
    }

    /// `messages_per_second = 10000000` was refused as "must be … greater than 0": the
    /// message must state the upper bound it enforces, and the bound itself is accepted.
    @Test func aRateAboveTheBoundIsRefusedNamingTheBound() throws {
        let diagnostics = CampaignTOMLTests.diagnostics(Self.campaign("messages_per_second = 10000000\nmessages_per_minute = 1e7"))
        #expect(diagnostics.map(\.field) == ["limits.messages_per_second", "limits.messages_per_minute"])
        #expect(diagnostics.allSatisfy { $0.message.contains("at most 1000000") }, "\(diagnostics.map(\.message))")
        #expect(diagnostics.first?.message.contains("microsecond") == true, "\(diagnostics.map(\.message))")
        let atTheBound = try CampaignTOMLTests.parse(Self.campaign("messages_per_second = 1000000\nmessages_per_minute = 1000000"))
        #expect(atTheBound.limits.messagesPerSecond == SendLimits.maxRate && atTheBound.limits.messagesPerMinute == SendLimits.maxRate)
    }

    /// Hostile review: `1e-10` a second passed `validate`, then `send` crashed after its first
    /// letter (the wait's deadline overflowed) and left the second in doubt. The slowest rate is
    /// one a day, named in the refusal; one a day itself is accepted.
    @Test func aRateBelowOneADayIsRefusedNamingTheBound() throws {
        let diagnostics = CampaignTOMLTests.diagnostics(Self.campaign("messages_per_second = 1e-10\nmessages_per_minute = 0.0006"))
        #expect(diagnostics.map(\.field) == ["limits.messages_per_second", "limits.messages_per_minute"])
        #expect(diagnostics.allSatisfy { $0.message.contains("one a day") }, "\(diagnostics.map(\.message))")
        let atTheBound = try CampaignTOMLTests.parse(Self.campaign("messages_per_second = \(1.0 / 86400)\nmessages_per_minute = \(1.0 / 1440)"))
        #expect(atTheBound.limits.messagesPerSecond == 1.0 / 86400 && atTheBound.limits.messagesPerMinute == 1.0 / 1440)
        #expect(RatePacer(atTheBound.limits)?.interval ?? .infinity <= SendLimits.maxInterval * (1 + 1e-9))
    }

    @Test func refusesTooManyConnections() {
        let diagnostics = CampaignTOMLTests.diagnostics(Self.campaign("concurrency = 65"))
        #expect(diagnostics.map(\.field) == ["limits.concurrency"])
        #expect(diagnostics.first?.message.contains("from 1 to 64") == true)
    }

    @Test func refusesLimitsThatIsNotATable() {
        let text = CampaignTOMLTests.withSMTP("url = \"smtp://127.0.0.1:25\"").replacingOccurrences(of: "[smtp]", with: "limits = 4\n[smtp]")
        #expect(CampaignTOMLTests.diagnostics(text).map(\.field) == ["limits"])
    }
}
