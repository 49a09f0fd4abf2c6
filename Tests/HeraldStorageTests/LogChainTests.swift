import Foundation
import HeraldCore
import HeraldStorage
import HeraldTestSupport
import Testing

/// The delivery log's hash chain as `FileJournal` writes it and `verifyChain` checks it: every
/// record's `prev` is the SHA-256 of the line before it, edits, deletions and reorderings are
/// found at the first record that no longer chains, and a resumed log (through the index, after
/// a torn line) chains from the last record actually in the file.
@Suite struct LogChainTests {
    static func record(_ recipient: String, _ status: DeliveryStatus, occurrence: String? = nil) -> DeliveryRecord {
        DeliveryRecord(
            time: "2026-11-29T09:00:00Z", campaign: "c", recipient: recipient, messageID: "<\(recipient)>",
            status: status, attempt: 1, occurrence: occurrence)
    }

    /// A log of `letters` letters (an intent and an outcome each), written by one journal.
    static func written(_ letters: Int = 3) throws -> (TemporaryDirectory, String) {
        let folder = TemporaryDirectory("herald-chain")
        let path = folder.file("delivery.jsonl")
        let journal = FileJournal(path: path)
        for index in 1...letters {
            try journal.claim([record("r\(index)@x.example", .sending)])
            try journal.record(record("r\(index)@x.example", .sent))
        }
        try journal.sync()
        return (folder, path)
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init).filter { !$0.isEmpty }
    }

    static func rewrite(_ path: String, _ lines: [String]) throws {
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
    }

    static func verdict(_ path: String) throws -> LogChain.Verdict {
        try #require(try FileJournal(path: path).verifyChain())
    }

    @Test func everyRecordChainsToTheLineBeforeItFromTheGenesisValue() throws {
        let (folder, path) = try Self.written()
        defer { withExtendedLifetime(folder) {} }
        let lines = Self.lines(path)
        #expect(lines.count == 6)
        let records = lines.map { DeliveryRecord.parse(line: $0)! }
        #expect(records[0].prev == LogChain.genesis && LogChain.genesis == String(repeating: "0", count: 64))
        for index in 1..<lines.count {
            #expect(records[index].prev == SHA256.hex(Array(lines[index - 1].utf8)), "line \(index + 1)")
        }
        let verdict = try Self.verdict(path)
        #expect(verdict.isIntact && verdict.records == 6 && verdict.unchained == 0 && verdict.chainedFrom == nil)
        #expect(verdict.head == SHA256.hex(Array(lines[5].utf8)))
    }

    @Test func anEditedRecordBreaksTheChainAtTheRecordAfterIt() throws {
        let (folder, path) = try Self.written()
        defer { withExtendedLifetime(folder) {} }
        var lines = Self.lines(path)
        lines[2] = lines[2].replacingOccurrences(of: "r2@x.example", with: "r9@x.example")
        try Self.rewrite(path, lines)
        let broken = try #require(try Self.verdict(path).broken)
        #expect(broken.line == 4)
        #expect(broken.reason.contains("line 3 was edited"), "\(broken)")
    }

    @Test func anEditedPrevBreaksTheChainAtThatRecord() throws {
        let (folder, path) = try Self.written()
        defer { withExtendedLifetime(folder) {} }
        var lines = Self.lines(path)
        lines[3] = lines[3].replacingOccurrences(of: #""prev":""#, with: #""prev":"f"#)
        try Self.rewrite(path, lines)
        #expect(try Self.verdict(path).broken?.line == 4)
    }

    @Test(arguments: [0, 2, 4])
    func aDeletedRecordIsFound(deleted: Int) throws {
        let (folder, path) = try Self.written()
        defer { withExtendedLifetime(folder) {} }
        var lines = Self.lines(path)
        lines.remove(at: deleted)
        try Self.rewrite(path, lines)
        let verdict = try Self.verdict(path)
        #expect(verdict.broken?.line == deleted + 1, "\(verdict)")
        if deleted == 0 { #expect(verdict.broken?.reason.contains("records before it were removed") == true) }
        #expect(verdict.records == deleted)
    }

    @Test func reorderedRecordsAreFound() throws {
        let (folder, path) = try Self.written()
        defer { withExtendedLifetime(folder) {} }
        var lines = Self.lines(path)
        lines.swapAt(2, 3)
        try Self.rewrite(path, lines)
        #expect(try Self.verdict(path).broken?.line == 3)
    }

    @Test func aRecordWithoutPrevInsertedIntoAChainedLogIsFound() throws {
        let (folder, path) = try Self.written()
        defer { withExtendedLifetime(folder) {} }
        var lines = Self.lines(path)
        lines.insert(Self.record("intruder@x.example", .sent).jsonLine(), at: 3)
        try Self.rewrite(path, lines)
        let broken = try #require(try Self.verdict(path).broken)
        #expect(broken.line == 4 && broken.reason.contains("has no prev"), "\(broken)")
    }

    @Test func aGarbledLineIsABreakButATornLastLineIsNot() throws {
        let (folder, path) = try Self.written()
        defer { withExtendedLifetime(folder) {} }
        var lines = Self.lines(path)
        lines[1] = "{\"attempt\":1,"
        try Self.rewrite(path, lines)
        #expect(try Self.verdict(path).broken?.line == 2)

        let (tornFolder, torn) = try Self.written()
        defer { withExtendedLifetime(tornFolder) {} }
        let handle = try #require(FileHandle(forWritingAtPath: torn))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"attempt":1,"camp"#.utf8))
        handle.closeFile()
        let verdict = try Self.verdict(torn)
        #expect(verdict.isIntact && verdict.tornLine == 7 && verdict.records == 6)
    }

    @Test func anOldLogIsNotChainedBeforeTheFirstRecordHeraldChained() throws {
        let folder = TemporaryDirectory("herald-chain")
        let old = [Self.record("a@x.example", .sending).jsonLine(), Self.record("a@x.example", .sent).jsonLine()]
        let path = folder.write("delivery.jsonl", old.joined(separator: "\n") + "\n")
        let journal = FileJournal(path: path)
        _ = try journal.load()
        try journal.claim([Self.record("b@x.example", .sending)])
        try journal.record(Self.record("b@x.example", .sent))
        try journal.sync()
        let lines = Self.lines(path)
        #expect(DeliveryRecord.parse(line: lines[2])?.prev == SHA256.hex(Array(old[1].utf8)), "the first chained record chains to the old log's last")
        let verdict = try Self.verdict(path)
        #expect(verdict.isIntact && verdict.unchained == 2 && verdict.chainedFrom == 3 && verdict.records == 4)

        // Editing the old record the chain starts from is still found.
        var edited = lines
        edited[1] = edited[1].replacingOccurrences(of: "a@x.example", with: "z@x.example")
        try Self.rewrite(path, edited)
        #expect(try Self.verdict(path).broken?.line == 3)
    }

    @Test func aResumedLogChainsFromItsLastRecordThroughTheIndex() throws {
        let folder = TemporaryDirectory("herald-chain")
        let path = folder.file("delivery.jsonl")
        let occurrences = ["2026-11-29T09:00:00Z", "2026-11-29T09:01:00Z", "2026-11-29T09:02:00Z"]
        for occurrence in occurrences {
            // Each run as the daemon makes it: a journal of its own, reading its occurrence holding the lock.
            let lock = try CampaignLock(logPath: path, campaign: "c")
            let journal = FileJournal(path: path)
            let (_, read) = try journal.read(
                campaign: "c", campaignFile: "c.toml", occurrences: [occurrence], holding: lock,
                into: 0
            ) { count, _ in count += 1 }
            if occurrence != occurrences[0] { #expect(read.scanReason == nil, "read through the index") }
            try journal.claim([Self.record("a@x.example", .sending, occurrence: occurrence)])
            try journal.record(Self.record("a@x.example", .sent, occurrence: occurrence))
            try journal.sync()
            withExtendedLifetime(lock) {}
        }
        let verdict = try Self.verdict(path)
        #expect(verdict.isIntact && verdict.records == 6 && verdict.unchained == 0, "\(verdict)")
    }

    @Test func aTornLastLineIsCutOffAndTheChainGoesOnFromTheRecordBeforeIt() throws {
        let (folder, path) = try Self.written(2)
        defer { withExtendedLifetime(folder) {} }
        let intact = Self.lines(path)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"attempt":1,"campaign":"c","mess"#.utf8))
        handle.closeFile()
        let journal = FileJournal(path: path)
        #expect(try journal.load().warning != nil)
        try journal.claim([Self.record("r3@x.example", .sending)])
        let lines = Self.lines(path)
        #expect(lines.count == 5 && Array(lines.prefix(4)) == intact)
        #expect(DeliveryRecord.parse(line: lines[4])?.prev == SHA256.hex(Array(intact[3].utf8)))
        #expect(try Self.verdict(path).isIntact)
    }

    @Test func aLastRecordWithoutItsNewlineIsChainedTo() throws {
        let (folder, path) = try Self.written(2)
        defer { withExtendedLifetime(folder) {} }
        let intact = Self.lines(path)
        try (intact.joined(separator: "\n")).write(toFile: path, atomically: false, encoding: .utf8)
        let journal = FileJournal(path: path)
        _ = try journal.load()
        try journal.claim([Self.record("r3@x.example", .sending)])
        let lines = Self.lines(path)
        #expect(lines.count == 5 && DeliveryRecord.parse(line: lines[4])?.prev == SHA256.hex(Array(intact[3].utf8)))
        #expect(try Self.verdict(path).isIntact)
    }

    @Test func aJournalThatDidNotWriteTheLastLineReadsItBackBeforeAppending() throws {
        let (folder, path) = try Self.written(1)
        defer { withExtendedLifetime(folder) {} }
        let first = FileJournal(path: path)
        _ = try first.load()
        try first.claim([Self.record("b@x.example", .sending)])
        // Another journal appends meanwhile (a second process would need the lock; here the file grows under the first).
        let second = FileJournal(path: path)
        _ = try second.load()
        try second.record(Self.record("b@x.example", .sent))
        try second.sync()
        try first.record(Self.record("c@x.example", .sending))
        try first.sync()
        #expect(try Self.verdict(path).isIntact)
    }

    @Test func noLogHasNoVerdict() throws {
        let folder = TemporaryDirectory("herald-chain")
        #expect(try FileJournal(path: folder.file("none.jsonl")).verifyChain() == nil)
    }
}
