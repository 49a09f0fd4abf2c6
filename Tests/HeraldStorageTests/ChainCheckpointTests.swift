import Foundation
import HeraldCore
@testable import HeraldStorage
import HeraldTestSupport
import Testing

/// The incremental chain check behind `send` and each daemon firing (`FileJournal.checkChain`,
/// `ChainCheckpoint`): a log checked once is read again only from where the last check ended,
/// and every change that shows on the file (shorter, edited in place, replaced, the record at
/// the checkpoint changed) sends the check back to the log's start.
@Suite struct ChainCheckpointTests {
    static func lock(_ path: String) throws -> CampaignLock { try CampaignLock(logPath: path, campaign: "c") }

    static func check(_ path: String, _ lock: CampaignLock?, accepting: Bool = false) throws -> ChainCheck {
        try #require(try FileJournal(path: path).checkChain(holding: lock, acceptingBreaks: accepting))
    }

    @Test func aSecondCheckReadsOnlyTheRecordsWrittenSinceTheFirst() throws {
        let (folder, path) = try LogChainTests.written(50)
        defer { withExtendedLifetime(folder) {} }
        let lock = try Self.lock(path)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let first = try Self.check(path, lock)
        #expect(first.isIntact && first.resumedAfterLine == 0 && first.bytesRead == size)
        let again = try Self.check(path, lock)
        #expect(again.isIntact && again.resumedAfterLine == 100 && again.bytesRead == 0, "\(again)")

        let journal = FileJournal(path: path)
        try journal.claim([LogChainTests.record("new@x.example", .sending)])
        try journal.record(LogChainTests.record("new@x.example", .sent))
        try journal.sync()
        let grown = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let third = try Self.check(path, lock)
        #expect(third.isIntact && third.resumedAfterLine == 100 && third.bytesRead == grown - size, "\(third)")
    }

    @Test func withoutTheLockNothingIsWritten() throws {
        let (folder, path) = try LogChainTests.written(3)
        defer { withExtendedLifetime(folder) {} }
        #expect(try Self.check(path, nil).isIntact)
        #expect(folder.read("delivery.jsonl.chain") == nil)
    }

    enum Change: String, CaseIterable {
        case shortened, editedInPlaceSameLength, replaced, lastCheckedRecordEdited
    }

    /// Records deleted from the middle of a checked log, or a record edited where it stands,
    /// are found although the checkpoint says the log was verified.
    @Test(arguments: Change.allCases)
    func aChangeToTheCheckedPartSendsTheCheckBackToTheStart(change: Change) throws {
        let (folder, path) = try LogChainTests.written(5)
        defer { withExtendedLifetime(folder) {} }
        do {
            let lock = try Self.lock(path)
            #expect(try Self.check(path, lock).isIntact)
        }
        var lines = LogChainTests.lines(path)
        let expected: Int
        switch change {
        case .shortened:
            lines.removeSubrange(2...3)
            expected = 3
        case .editedInPlaceSameLength:
            lines[1] = lines[1].replacingOccurrences(of: "r1@x", with: "r9@x")
            expected = 3
        case .replaced:
            lines.swapAt(4, 5)
            expected = 5
        case .lastCheckedRecordEdited:
            // The log grew (Herald chained a new record to line 10), then line 10 was edited:
            // the checkpoint's record no longer hashes as it did.
            let journal = FileJournal(path: path)
            try journal.claim([LogChainTests.record("r6@x.example", .sending)])
            try journal.sync()
            lines = LogChainTests.lines(path)
            lines[9] = lines[9].replacingOccurrences(of: "r5@x", with: "r7@x")
            expected = 11
        }
        if change == .replaced {
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        } else {
            // Same inode; a later modification time (file systems with coarse clocks: step it).
            try LogChainTests.rewrite(path, lines)
            var times = [timespec(tv_sec: time(nil) + 5, tv_nsec: 0), timespec(tv_sec: time(nil) + 5, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        }
        let lock = try Self.lock(path)
        let check = try Self.check(path, lock)
        #expect(check.resumedAfterLine == 0, "\(check)")
        #expect(check.breaks.map(\.line) == [expected], "\(check)")
    }

    @Test func anAcceptedBreakIsRecordedAndTheRecordsAfterItAreStillChecked() throws {
        let (folder, path) = try LogChainTests.written(5)
        defer { withExtendedLifetime(folder) {} }
        var lines = LogChainTests.lines(path)
        lines.removeSubrange(2...3)
        try LogChainTests.rewrite(path, lines)
        let lock = try Self.lock(path)
        #expect(try Self.check(path, lock).breaks.map(\.line) == [3])
        #expect(folder.read("delivery.jsonl.chain") == nil, "a refused break moves no checkpoint")
        let accepted = try Self.check(path, lock, accepting: true)
        #expect(accepted.breaks.map(\.line) == [3])
        let later = try Self.check(path, lock)
        #expect(later.isIntact && later.acceptedEarlier == 3 && later.resumedAfterLine == 8, "\(later)")
        // A record written after the acceptance that does not chain is still a break.
        var more = LogChainTests.lines(path)
        more.append(more[7])
        try LogChainTests.rewrite(path, more)
        #expect(try Self.check(path, lock).breaks.map(\.line) == [9])
    }

    @Test func aDamagedCheckpointIsIgnored() throws {
        let (folder, path) = try LogChainTests.written(3)
        defer { withExtendedLifetime(folder) {} }
        let lock = try Self.lock(path)
        _ = try Self.check(path, lock)
        let text = try #require(folder.read("delivery.jsonl.chain"))
        folder.write("delivery.jsonl.chain", text.replacingOccurrences(of: " 6 ", with: " 2 "))
        let check = try Self.check(path, lock)
        #expect(check.isIntact && check.resumedAfterLine == 0)
    }

    /// The figure for the README: a 100,000-record log checked whole once, then per firing.
    @Test func aHundredThousandRecordLogIsCheckedWholeOnceThenOnlyItsNewRecords() throws {
        let folder = TemporaryDirectory("herald-chain")
        let path = folder.file("delivery.jsonl")
        let journal = FileJournal(path: path)
        for batch in 0..<100 {
            try journal.claim((0..<1000).map { LogChainTests.record("r\(batch)-\($0)@x.example", .sending) })
        }
        try journal.sync()
        let lock = try Self.lock(path)
        var clock = ContinuousClock.now
        let whole = try Self.check(path, lock)
        let wholeTime = ContinuousClock.now - clock
        #expect(whole.isIntact && whole.resumedAfterLine == 0)
        try journal.claim([LogChainTests.record("one-more@x.example", .sending)])
        try journal.sync()
        clock = ContinuousClock.now
        let firing = try Self.check(path, lock)
        let firingTime = ContinuousClock.now - clock
        #expect(firing.isIntact && firing.resumedAfterLine == 100_000 && firing.bytesRead < 1_000, "\(firing)")
        print("chain check of 100,000 records: whole \(wholeTime), \(whole.bytesRead) bytes; next firing \(firingTime), \(firing.bytesRead) bytes")
    }
}
