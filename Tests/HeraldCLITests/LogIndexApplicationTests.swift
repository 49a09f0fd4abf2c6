import Foundation
import HeraldCore
import HeraldStorage
import HeraldTestSupport
import Testing

@testable import HeraldCLI

/// The delivery log's index seen from the commands: a run of one occurrence reads it, and
/// whatever happens to the index between runs, no letter is sent twice.
@Suite(.offCooperativePool) struct LogIndexApplicationTests {
    typealias Harness = ApplicationHarness
    static let occurrences = ["2026-11-29T09:00:00Z", "2026-11-29T09:01:00Z"]

    /// What can happen to an index between two runs.
    enum Damage: String, CaseIterable, CustomStringConvertible {
        case deleted, emptied, truncatedByOneEntry, cutMidLine, byteChanged, garbage

        var description: String { rawValue }

        func apply(to index: String) throws {
            var bytes = [UInt8](FileManager.default.contents(atPath: index) ?? Data())
            let newlines = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }
            switch self {
            case .deleted: try FileManager.default.removeItem(atPath: index)
            case .emptied: bytes = []
            case .truncatedByOneEntry: bytes = Array(bytes[...newlines[newlines.count - 2]])
            case .cutMidLine: bytes.removeLast(7)
            case .byteChanged:
                // A digit of the last entry's offset.
                let at = newlines[newlines.count - 2] + 1
                bytes[at] = bytes[at] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
            case .garbage: bytes = Array("herald-log-index 1 nonsense\n0 - - 0\n".utf8)
            }
            if self != .deleted { FileManager.default.createFile(atPath: index, contents: Data(bytes)) }
        }
    }

    /// Two occurrences and the campaign as a whole, each sent once: 9 letters.
    static func sentThreeTimes() async throws -> Harness {
        let harness = Harness()
        let prepared = try PreparedCampaign.load(campaignFile: harness.campaign, date: Harness.now)
        for occurrence in occurrences {
            #expect(await harness.application().dispatch(prepared, options: .init(), occurrence: occurrence) == .ok)
        }
        #expect(await harness.send() == .ok)
        #expect(harness.transport.delivered.count == 9)
        return harness
    }

    @Test func aRunReadsItsOccurrenceThroughTheIndexKeptBesideTheLog() async throws {
        let harness = try await Self.sentThreeTimes()
        let index = harness.log + ".index"
        var info = stat()
        #expect(stat(index, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let application = harness.application()
        let prepared = try PreparedCampaign.load(campaignFile: harness.campaign, date: Harness.now)
        #expect(await application.dispatch(prepared, options: .init(), occurrence: Self.occurrences[0]) == .ok)
        let read = try #require(application.lastLogRead)
        #expect(read.scanReason == nil)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: harness.log)[.size] as? Int)
        #expect(read.bytesRead < size / 2, "\(read.bytesRead) of \(size) bytes")
        #expect(harness.output.last == "app-test @ \(Self.occurrences[0]): 0 sent, 0 failed, 0 deferred, 0 in doubt, 3 already done")
    }

    @Test(arguments: Damage.allCases)
    func aDamagedIndexNeverSendsALetterTwice(damage: Damage) async throws {
        let harness = try await Self.sentThreeTimes()
        try damage.apply(to: harness.log + ".index")
        let prepared = try PreparedCampaign.load(campaignFile: harness.campaign, date: Harness.now)
        for occurrence in Self.occurrences {
            #expect(await harness.application().dispatch(prepared, options: .init(), occurrence: occurrence) == .ok)
        }
        #expect(await harness.send() == .ok)
        #expect(harness.transport.delivered.count == 9, "nothing is sent twice")
        #expect(
            harness.output.suffix(3).allSatisfy { $0.hasSuffix("0 sent, 0 failed, 0 deferred, 0 in doubt, 3 already done") },
            "\(harness.output.suffix(3))")
        // The index was rebuilt by the first of those runs, which held the lock.
        let application = harness.application()
        #expect(await application.dispatch(prepared, options: .init(), occurrence: Self.occurrences[1]) == .ok)
        #expect(application.lastLogRead?.scanReason == nil)
    }

    @Test func statusOfAnOccurrenceShowsThatOccurrence() async throws {
        let harness = Harness()
        harness.script("b@x.example", .rejected(code: 550, reply: "550 no"))
        let prepared = try PreparedCampaign.load(campaignFile: harness.campaign, date: Harness.now)
        #expect(await harness.application().dispatch(prepared, options: .init(), occurrence: Self.occurrences[0]) == .someFailed)
        harness.output = []
        let occurrence = try #require(RFC5322Date.parseRFC3339("2026-11-29T10:00:00+01:00"))
        #expect(harness.application().status(campaign: harness.campaign, logPath: nil, json: false, occurrence: occurrence) == .ok)
        #expect(harness.output.last == "app-test @ 2026-11-29T09:00:00Z: 3 recipients: 2 sent, 1 failed, 0 deferred, 0 in doubt, 0 pending")
        harness.output = []
        #expect(harness.application().status(campaign: harness.campaign, logPath: nil, json: true, occurrence: occurrence) == .ok)
        #expect(
            harness.output == [
                #"{"bounced":0,"campaign":"app-test","deferred":0,"delayed":0,"failed":1,"in_doubt":0,"pending":0,"sent":2,"suppressed":0,"total":3}"#
            ])
        // Without one, the campaign as a whole, as `herald send` sends it: nothing yet.
        harness.output = []
        #expect(harness.application().status(campaign: harness.campaign, logPath: nil, json: false) == .ok)
        #expect(harness.output.last == "app-test: 3 recipients: 0 sent, 0 failed, 0 deferred, 0 in doubt, 3 pending")
    }
}
