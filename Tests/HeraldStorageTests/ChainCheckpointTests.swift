import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

@testable import HeraldStorage

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
        // The end of the run that wrote them: only its own records are read.
        let third = try #require(
            try FileJournal(path: path).checkChain(
                holding: lock, acceptingBreaks: false,
                ownAppends: journal.ownAppends, endOfRun: true))
        #expect(third.isIntact && third.resumedAfterLine == 100 && third.bytesRead == grown - size, "\(third)")
        let fourth = try Self.check(path, lock)
        #expect(fourth.isIntact && fourth.resumedAfterLine == 102 && fourth.bytesRead == 0, "\(fourth)")
    }

    enum Padding: String, CaseIterable {
        case newline, blankLine, spaces, touchBack
    }

    /// Issue 18, hostile review: a record blanked in place, then the log grown by a newline or
    /// padding (or its modification time set back with `touch -r`), is still checked from the
    /// start: the checkpoint holds the status-change time, which every write moves.
    @Test(arguments: Padding.allCases)
    func anEditInPlaceHiddenByPaddingOrTouchIsCheckedFromTheStart(padding: Padding) throws {
        let (folder, path) = try LogChainTests.written(5)
        defer { withExtendedLifetime(folder) {} }
        let lock = try Self.lock(path)
        #expect(try Self.check(path, lock).isIntact)
        var before = stat()
        #expect(stat(path, &before) == 0)
        // Lines 3 and 4 (one letter's intent and outcome) become spaces, same length, same inode.
        var lines = LogChainTests.lines(path)
        for index in 2...3 { lines[index] = String(repeating: " ", count: lines[index].utf8.count) }
        var text = lines.joined(separator: "\n") + "\n"
        switch padding {
        case .newline: text += "\n"
        case .blankLine: text += "   \n"
        case .spaces: text += "  "
        case .touchBack: break
        }
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        if padding == .touchBack {
            var times = [before.st_atim, before.st_mtim]
            #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        }
        let check = try Self.check(path, lock)
        #expect(check.resumedAfterLine == 0 && check.breaks.map(\.line) == [5], "\(check)")
    }

    /// Issue 18, hostile review: an edit made while a run appends is not taken over by that
    /// run's end-of-run move; the next check reads the log from its start and finds it.
    @Test func anEditMadeWhileARunAppendsIsNotTakenOverAtItsEnd() throws {
        let (folder, path) = try LogChainTests.written(5)
        defer { withExtendedLifetime(folder) {} }
        let lock = try Self.lock(path)
        #expect(try Self.check(path, lock).isIntact)
        let checkpoint = folder.read("delivery.jsonl.chain")
        let journal = FileJournal(path: path)
        try journal.claim([LogChainTests.record("r6@x.example", .sending)])
        // Line 3 blanked in place, between two of the run's appends.
        let fd = open(path, O_WRONLY)
        let line = LogChainTests.lines(path)[2]
        let offset = LogChainTests.lines(path)[0..<2].reduce(0) { $0 + $1.utf8.count + 1 }
        let spaces = [UInt8](repeating: 0x20, count: line.utf8.count)
        #expect(pwrite(fd, spaces, spaces.count, off_t(offset)) == spaces.count)
        close(fd)
        try journal.record(LogChainTests.record("r6@x.example", .sent))
        try journal.sync()
        #expect(journal.ownAppends?.interrupted == true)
        let end = try FileJournal(path: path).checkChain(holding: lock, acceptingBreaks: false, ownAppends: journal.ownAppends, endOfRun: true)
        #expect(end == nil, "nothing read, nothing moved")
        #expect(folder.read("delivery.jsonl.chain") == checkpoint)
        let next = try Self.check(path, lock)
        #expect(next.resumedAfterLine == 0 && next.breaks.map(\.line) == [4], "\(next)")
    }

    /// Issue 18, hostile review: a log stripped of every `prev` reads as one written before
    /// Herald chained it, unless the checkpoint remembers that it was chained.
    @Test func aLogStrippedOfItsPrevIsABreakWhereItWasChained() throws {
        let (folder, path) = try LogChainTests.written(5)
        defer { withExtendedLifetime(folder) {} }
        let lock = try Self.lock(path)
        #expect(try Self.check(path, lock).isIntact)
        var lines = LogChainTests.lines(path).map { $0.replacingOccurrences(of: #","prev":"[0-9a-f]{64}""#, with: "", options: .regularExpression) }
        #expect(!lines.joined().contains("prev"))
        lines.removeSubrange(2...3)
        try LogChainTests.rewrite(path, lines)
        #expect(try LogChainTests.verdict(path).broken == nil, "verify-log alone: an unchained log")
        let check = try Self.check(path, lock)
        #expect(check.breaks.map(\.line) == [1] && check.breaks[0].reason.contains("LOG.chain"), "\(check)")
    }

    enum Loss: String, CaseIterable {
        case olderCopy, emptied, moved, sameLengthRechained
    }

    /// Issue 18, hostile review: a log shorter than the checkpoint recorded (an older copy, an
    /// emptied file, a missing one) is records removed, although what is left chains.
    @Test(arguments: Loss.allCases)
    func aLogThatLostRecordsTheCheckpointSawIsRefused(loss: Loss) throws {
        let (folder, path) = try LogChainTests.written(5)
        defer { withExtendedLifetime(folder) {} }
        do {
            let lock = try Self.lock(path)
            #expect(try Self.check(path, lock).isIntact)
        }
        let lines = LogChainTests.lines(path)
        let size = lines.reduce(0) { $0 + $1.utf8.count + 1 }
        switch loss {
        case .olderCopy: try LogChainTests.rewrite(path, Array(lines[0..<6]))
        case .emptied: try "".write(toFile: path, atomically: false, encoding: .utf8)
        case .moved: #expect(rename(path, path + ".away") == 0)
        case .sameLengthRechained:
            // Six records written again by a journal of their own, then padded to the old length.
            try FileManager.default.removeItem(atPath: path)
            let journal = FileJournal(path: path)
            for index in [1, 2, 4, 5] {
                try journal.claim([LogChainTests.record("r\(index)@x.example", .sending)])
                try journal.record(LogChainTests.record("r\(index)@x.example", .sent))
            }
            try journal.sync()
            let written = LogChainTests.lines(path)
            try LogChainTests.rewrite(path, written + [String(repeating: " ", count: size - written.reduce(0) { $0 + $1.utf8.count + 1 } - 1)])
        }
        if loss == .moved || loss == .emptied {
            #expect(FileJournal.lostRecords(ofEmptyLog: path)?.checkedLength == size)
        }
        let lock = loss == .moved ? nil : try Self.lock(path)
        let check = try #require(try FileJournal(path: path).checkChain(holding: lock, acceptingBreaks: false))
        let lost = try #require(check.lost, "\(check)")
        #expect(!check.isIntact && lost.checkedLength == size && lost.checkedLines == 10, "\(lost)")
        #expect(lost.description.contains("--accept-broken-chain") && lost.description.contains("\(size) bytes"), "\(lost)")
        if loss == .olderCopy {
            #expect(lost.description.contains("the log is shorter than when it was last checked"), "\(lost)")
        }
        if let lock {
            // Accepting starts the checkpoint again from the log as it is.
            #expect(try Self.check(path, lock, accepting: true).lost != nil)
            #expect(try Self.check(path, lock).isIntact)
        }
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
        // The next firing's journal and its end-of-run check of what it wrote.
        let next = FileJournal(path: path)
        try next.claim([LogChainTests.record("one-more@x.example", .sending)])
        try next.sync()
        clock = ContinuousClock.now
        let firing = try #require(
            try FileJournal(path: path).checkChain(
                holding: lock, acceptingBreaks: false,
                ownAppends: next.ownAppends, endOfRun: true))
        let firingTime = ContinuousClock.now - clock
        #expect(firing.isIntact && firing.resumedAfterLine == 100_000 && firing.bytesRead < 1_000, "\(firing)")
        print("chain check of 100,000 records: whole \(wholeTime), \(whole.bytesRead) bytes; next firing \(firingTime), \(firing.bytesRead) bytes")
    }
}
