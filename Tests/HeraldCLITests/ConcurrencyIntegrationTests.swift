import Foundation
import HeraldTestSupport
import Testing

/// `[limits]` against a real SMTP server: several connections, messages per connection and
/// the rate ceiling, judged by what the server received.
@Suite(.tags(.integration)) struct ConcurrencyIntegrationTests {
    @Test func fourConnectionsDeliverEveryLetterExactlyOnce() throws {
        let server = try SMTPTestServer(faults: ["--data-delay", "0.01"])
        let campaign = FaultIntegrationTests.bulkCampaign(200, extra: "[limits]\nconcurrency = 4\nmax_messages_per_connection = 10\n")
        let result = try campaign.send(server)
        #expect(result.status == 0, "\(result)")
        let counts = FaultIntegrationTests.counts(server)
        #expect(counts.count == 200 && counts.values.allSatisfy { $0 == 1 }, "\(counts.filter { $0.value != 1 })")
        let perConnection = server.messages().reduce(into: [Int: Int]()) { $0[$1.connection, default: 0] += 1 }
        #expect(perConnection.values.allSatisfy { $0 <= 10 }, "no connection carries more than max_messages_per_connection: \(perConnection)")
        #expect(perConnection.count >= 20)
        #expect(try campaign.statusJSON()["sent"] == 200)
    }

    @Test func theRateCeilingHoldsWithinTenPercent() throws {
        let server = try SMTPTestServer()
        let campaign = FaultIntegrationTests.bulkCampaign(31, extra: "[limits]\nconcurrency = 2\nmessages_per_second = 20\n")
        let result = try campaign.send(server)
        #expect(result.status == 0, "\(result)")
        // When the server stored each message (the file's modification time, in nanoseconds).
        let times = server.messages().map { message -> Double in
            var info = stat()
            stat(message.file, &info)
            return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        }.sorted()
        #expect(times.count == 31)
        let rate = Double(times.count - 1) / (times.last! - times.first!)
        #expect(abs(rate - 20) <= 2, "measured \(rate) letters a second against a ceiling of 20")
    }
}
