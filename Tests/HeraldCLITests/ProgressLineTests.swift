import Foundation
import HeraldCore
import Testing

@testable import HeraldCLI

/// The terminal's progress line: what it says, and that it is redrawn sparingly.
@Suite struct ProgressLineTests {
    @Test func saysDoneOfTotalRateTimeLeftAndFailures() {
        #expect(
            ProgressLine.text(verb: "sending", done: 1_234, total: 10_000, failed: 2, deferred: 1, elapsed: 3)
                == "sending 1,234/10,000  411/s  0:22 left  2 failed  1 deferred")
        #expect(ProgressLine.text(verb: "sending", done: 0, total: 15, failed: 0, deferred: 0, elapsed: 0) == "sending 0/15")
        #expect(ProgressLine.clock(3_725) == "1:02:05")
        #expect(ProgressLine.grouped(100_000) == "100,000" && ProgressLine.grouped(999) == "999")
    }

    @Test func redrawsAtMostEveryIntervalAndAlwaysAtTheEnd() {
        var time = Date(timeIntervalSince1970: 0)
        var lines: [String] = []
        let line = ProgressLine(total: 100, interval: 0.2, now: { time }, draw: { lines.append($0) })
        func record(_ status: DeliveryStatus) -> DeliveryRecord {
            DeliveryRecord(time: "t", campaign: "c", recipient: "a@x.example", messageID: "<m>", status: status, attempt: 1)
        }
        for index in 0..<100 {
            line.count(record(.sending))
            line.count(record(index == 7 ? .failed : .sent))
            time += 0.01
        }
        // One redraw per 0.2 s of the 1 s run, plus the last.
        #expect(lines.count <= 7, "\(lines.count) redraws")
        #expect(lines.last?.hasPrefix("sending 100/100") == true && lines.last?.contains("1 failed") == true, "\(lines)")
    }
}
