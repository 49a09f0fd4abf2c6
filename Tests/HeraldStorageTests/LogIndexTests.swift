import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

@testable import HeraldStorage

/// The delivery log's index (`LOG.index`): a read of one occurrence reads that occurrence's
/// records, and an index that is missing, stale or damaged is noticed and rebuilt, never
/// believed: whatever happens to it, a read finds exactly what a scan of the whole log finds.
@Suite struct LogIndexTests {
    static let campaign = "c"
    static let occurrences = ["2026-11-29T09:00:00Z", "2026-11-29T09:01:00Z", "2026-11-29T09:02:00Z"]

    static func record(
        _ recipient: String, _ status: DeliveryStatus, occurrence: String?, campaign: String = campaign,
        attempt: Int = 1
    ) -> DeliveryRecord {
        DeliveryRecord(
            time: "2026-11-29T09:00:00Z", campaign: campaign, recipient: recipient, messageID: "<\(recipient)>",
            status: status, attempt: attempt, occurrence: occurrence)
    }

    /// A log and what the commands do to it, each step a journal of its own as each run is.
    struct Log {
        let folder = TemporaryDirectory("herald-index")
        var path: String { folder.file("delivery.jsonl") }
        var index: String { path + ".index" }

        /// Reads `occurrence` as a run does, folded into a ledger: holding `lock`, else a lock
        /// of its own when `locked`, else none (as `status` reads).
        func read(
            _ occurrence: String?, locked: Bool = true, campaign: String = LogIndexTests.campaign,
            journal: FileJournal? = nil, holding held: CampaignLock? = nil
        ) throws -> (DeliveryLedger, LogRead) {
            let lock = try held ?? (locked ? CampaignLock(logPath: path, campaign: campaign) : nil)
            defer { withExtendedLifetime(lock) {} }
            return try (journal ?? FileJournal(path: path)).read(
                campaign: campaign, campaignFile: "c.toml", occurrences: [occurrence], holding: lock,
                into: DeliveryLedger(campaign: campaign, occurrence: occurrence)
            ) { $0.apply($1) }
        }

        /// One run: lock, read, claim each recipient's letter, record its outcome, sync.
        func run(
            _ occurrence: String?, recipients: [String] = ["a@x.example", "b@x.example", "c@x.example"],
            outcome: DeliveryStatus = .sent
        ) throws {
            let lock = try CampaignLock(logPath: path, campaign: LogIndexTests.campaign)
            defer { withExtendedLifetime(lock) {} }
            let journal = FileJournal(path: path)
            let (ledger, _) = try journal.read(
                campaign: LogIndexTests.campaign, campaignFile: "c.toml", occurrences: [occurrence],
                holding: lock, into: DeliveryLedger(campaign: LogIndexTests.campaign, occurrence: occurrence)
            ) { $0.apply($1) }
            let attempts = recipients.map { (ledger[$0]?.attempts ?? 0) + 1 }
            try journal.claim(zip(recipients, attempts).map { LogIndexTests.record($0, .sending, occurrence: occurrence, attempt: $1) })
            for (recipient, attempt) in zip(recipients, attempts) {
                try journal.record(LogIndexTests.record(recipient, outcome, occurrence: occurrence, attempt: attempt))
            }
            try journal.sync()
        }

        /// What a scan of the whole log says of `occurrence`: the truth every read must match.
        func truth(_ occurrence: String?) throws -> DeliveryLedger {
            DeliveryLedger(records: try FileJournal(path: path).load().records, campaign: LogIndexTests.campaign, occurrence: occurrence)
        }

        func bytes(_ file: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: file) ?? Data()) }
        /// Writes `bytes` into `file` in place (the same inode), as an editor that keeps the file does.
        func write(_ file: String, _ bytes: [UInt8]) {
            let fd = open(file, O_WRONLY | O_TRUNC)
            precondition(fd >= 0, "cannot open \(file)")
            _ = bytes.withUnsafeBytes { writeAll(fd, $0) }
            close(fd)
        }
        func indexLines() -> [String] { (folder.read("delivery.jsonl.index") ?? "").split(separator: "\n").map(String.init) }
    }

    /// Three occurrences, the first sent in two runs around the second (a deferred letter
    /// sent later), then a campaign-as-a-whole run: five runs of records.
    static func history() throws -> Log {
        let log = Log()
        try log.run(occurrences[0], outcome: .deferred)
        try log.run(occurrences[1])
        try log.run(occurrences[0])
        try log.run(occurrences[2])
        try log.run(nil, recipients: ["a@x.example"])
        return log
    }

    @Test func aRunWritesTheIndexBesideTheLogPrivate() throws {
        let log = try Self.history()
        var info = stat()
        #expect(stat(log.index, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let lines = log.indexLines()
        #expect(lines.count == 6, "a header and one entry per run: \(lines)")
        #expect(
            lines.dropFirst().map { $0.split(separator: " ")[2] } == [
                "2026-11-29T09:00:00Z", "2026-11-29T09:01:00Z", "2026-11-29T09:00:00Z", "2026-11-29T09:02:00Z", "-",
            ])
        // Each entry's offset is its run's first line in the log.
        let logText = log.bytes(log.path)
        for line in lines.dropFirst() {
            let offset = Int(line.split(separator: " ")[0])!
            #expect(offset == 0 || logText[offset - 1] == UInt8(ascii: "\n"))
        }
    }

    @Test func aReadOfOneOccurrenceReadsItsRunsAndFindsWhatAScanFinds() throws {
        let log = try Self.history()
        let size = log.bytes(log.path).count
        for occurrence in Self.occurrences + [nil, "2026-11-29T09:03:00Z"] {
            let (ledger, read) = try log.read(occurrence)
            #expect(ledger == (try log.truth(occurrence)), "\(occurrence ?? "nil")")
            #expect(read.scanReason == nil, "\(read.scanReason ?? "")")
            #expect(read.latestOccurrence == "2026-11-29T09:02:00Z")
            #expect(read.bytesRead < size, "\(read.bytesRead) of \(size)")
        }
        #expect(try log.read(Self.occurrences[0]).0["a@x.example"]?.attempts == 2, "both runs of the occurrence are read")
    }

    @Test func aNewOccurrenceReadsTheSameFewBytesHoweverLongTheHistory() throws {
        let log = Log()
        var costs: [Int] = []
        for minute in 0..<120 {
            let occurrence = "2026-11-29T\(10 + minute / 60):\(String(format: "%02d", minute % 60)):00Z"
            costs.append(try log.read(occurrence).1.bytesRead)
            try log.run(occurrence)
        }
        // Once the index is longer than one backward chunk, every read costs the same.
        #expect(Set(costs.suffix(100)).count == 1, "\(costs)")
        #expect(costs.last! < 2_048, "\(costs.last!) bytes for a log of \(log.bytes(log.path).count)")
    }

    @Test func aReaderWithoutTheLockNeverWritesTheIndex() throws {
        let log = Log()
        log.folder.write("delivery.jsonl", Self.record("a@x.example", .sent, occurrence: nil).jsonLine() + "\n")
        let (ledger, read) = try log.read(nil, locked: false)
        #expect(ledger["a@x.example"]?.isDone == true)
        #expect(read.scanReason == "there is no index yet")
        #expect(!FileManager.default.fileExists(atPath: log.index))
        // A lock of another log does not count either.
        let other = Log()
        other.folder.write("delivery.jsonl", "")
        let foreignLock = try CampaignLock(logPath: other.path, campaign: "c")
        _ = try FileJournal(path: log.path).read(
            campaign: "c", campaignFile: "c.toml", occurrences: [nil], holding: foreignLock,
            into: 0
        ) { count, _ in count += 1 }
        #expect(!FileManager.default.fileExists(atPath: log.index))
    }

    /// Ways an index goes wrong: each is noticed on the next read, which then scans.
    enum Damage: String, CaseIterable, CustomStringConvertible {
        case deleted, emptied, headerOnly, lastEntryCut, tornEntry, flippedOccurrence, flippedLatest, flippedOffset,
            flippedHeader, entriesSwapped, middleEntryRemovedAndPadded
        case logAppendedWithoutTheIndex, logReplacedByACopy, logRecordEditedInPlace, logCutToAnEarlierRun

        var description: String { rawValue }

        func apply(to log: Log) throws {
            var index = log.bytes(log.index)
            let lines = index.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast().map(Array.init)
            let header = lines[0].count + 1
            func rewrite(_ entries: [[UInt8]], padTo length: Int? = nil) {
                var bytes = Array(index[..<header]) + entries.flatMap { $0 + [UInt8(ascii: "\n")] }
                if let length { bytes += [UInt8](repeating: UInt8(ascii: "\n"), count: max(0, length - bytes.count)) }
                log.write(log.index, bytes)
            }
            switch self {
            case .deleted: try FileManager.default.removeItem(atPath: log.index)
            case .emptied: log.write(log.index, [])
            case .headerOnly: log.write(log.index, Array(index[..<header]))
            case .lastEntryCut: log.write(log.index, Array(index.dropLast(lines.last!.count + 1)))
            case .tornEntry: log.write(log.index, Array(index.dropLast(10)))
            case .flippedOccurrence:
                // The entry before the last (09:02's): its occurrence becomes 09:07.
                let entry = lines[lines.count - 2]
                let start = index.count - lines.last!.count - 1 - entry.count - 1
                let occurrence = entry.firstIndex(of: UInt8(ascii: " "))! + 1 + 21
                index[start + occurrence + 15] = UInt8(ascii: "7")
                log.write(log.index, index)
            case .flippedLatest:
                // The last entry's latest (09:02) becomes 09:00, sorting before the occurrence read.
                let start = index.count - lines.last!.count - 1
                index[start + lines.last!.firstIndex(of: UInt8(ascii: " "))! + 1 + 15] = UInt8(ascii: "0")
                log.write(log.index, index)
            case .flippedOffset:
                let start = index.count - lines.last!.count - 1
                index[start] = index[start] == UInt8(ascii: "9") ? UInt8(ascii: "8") : index[start] + 1
                log.write(log.index, index)
            case .flippedHeader:
                // The last digit of the log's length.
                let digit = IndexHeader.magic.utf8.count + 3 * 21 - 2
                index[digit] = index[digit] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
                log.write(log.index, index)
            case .entriesSwapped:
                var entries = Array(lines.dropFirst())
                entries.swapAt(1, 2)
                rewrite(entries)
            case .middleEntryRemovedAndPadded:
                var entries = Array(lines.dropFirst())
                entries.remove(at: 1)
                rewrite(entries, padTo: index.count)
            case .logAppendedWithoutTheIndex:
                // A writer that did not read the log under its lock: its records are not indexed.
                let journal = FileJournal(path: log.path)
                _ = try journal.load()
                try journal.claim([LogIndexTests.record("a@x.example", .sent, occurrence: LogIndexTests.occurrences[2], attempt: 2)])
            case .logReplacedByACopy:
                let copy = log.folder.file("copy.jsonl")
                try FileManager.default.copyItem(atPath: log.path, toPath: copy)
                #expect(rename(copy, log.path) == 0)
            case .logRecordEditedInPlace:
                // The last record of 09:02's run (c sent) edited to another occurrence, same length:
                // by the log, c of 09:02 is now in doubt.
                var text = Data(log.bytes(log.path))
                let lastOfRun = text.split(separator: UInt8(ascii: "\n"))[23]
                let occurrence = try #require(lastOfRun.range(of: Data("T09:02:00Z".utf8)))
                #expect(String(decoding: lastOfRun, as: UTF8.self).contains(#""recipient":"c@x.example""#))
                text[occurrence.lowerBound + 5] = UInt8(ascii: "7")
                log.write(log.path, [UInt8](text))
            case .logCutToAnEarlierRun:
                let lastRun = Int(String(decoding: lines.last!.split(separator: UInt8(ascii: " "))[0], as: UTF8.self))!
                log.write(log.path, Array(log.bytes(log.path)[..<lastRun]))
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func aDamagedOrStaleIndexIsNoticedAndRebuilt(damage: Damage) throws {
        let log = try Self.history()
        try damage.apply(to: log)
        let truths = try (Self.occurrences + [nil]).map { try log.truth($0) }
        // Some read the damage concerns scans, and rebuilds the index (holding the lock);
        // every read, before and after, finds what the scan finds.
        var noticed: [String] = []
        for pass in 0..<2 {
            for (occurrence, truth) in zip(Self.occurrences + [nil], truths) {
                let (ledger, read) = try log.read(occurrence)
                #expect(ledger == truth, "\(occurrence ?? "nil")")
                if let reason = read.scanReason { noticed.append("pass \(pass): \(reason)") }
            }
        }
        #expect(noticed.count == 1 && noticed[0].hasPrefix("pass 0"), "\(noticed)")
    }

    @Test(arguments: Damage.allCases)
    func aReaderWithoutTheLockScansAroundADamagedIndexAndLeavesItAlone(damage: Damage) throws {
        let log = try Self.history()
        try damage.apply(to: log)
        let before = log.bytes(log.index)
        for occurrence in Self.occurrences + [nil] {
            let (ledger, _) = try log.read(occurrence, locked: false)
            #expect(ledger == (try log.truth(occurrence)), "\(occurrence ?? "nil")")
        }
        #expect(log.bytes(log.index) == before)
    }

    @Test func aCrashBeforeTheIndexCaughtUpLeavesAStaleHeaderThatIsNotBelieved() throws {
        let log = try Self.history()
        // A record appended after the last sync: the log grew, the header says the old length.
        let next = "2026-11-29T09:05:00Z"
        let lock = try CampaignLock(logPath: log.path, campaign: Self.campaign)
        let journal = FileJournal(path: log.path)
        _ = try log.read(next, journal: journal, holding: lock)
        try journal.record(Self.record("a@x.example", .sending, occurrence: next))
        let (ledger, read) = try log.read(next, locked: false)
        #expect(read.scanReason?.contains("the index describes its first") == true, "\(read.scanReason ?? "nil")")
        #expect(ledger["a@x.example"]?.isInDoubt == true)
        withExtendedLifetime(lock) {}
    }

    @Test func aTornLastLineIsScannedAndTheIndexWrittenOnceTheNextAppendMendsIt() throws {
        let log = try Self.history()
        log.write(log.path, log.bytes(log.path) + Array(#"{"attempt":1,"campai"#.utf8))
        do {
            let lock = try CampaignLock(logPath: log.path, campaign: Self.campaign)
            let journal = FileJournal(path: log.path)
            let (_, read) = try log.read(Self.occurrences[2], journal: journal, holding: lock)
            #expect(read.warning?.contains("ignoring an incomplete last line") == true)
            #expect(read.scanReason != nil)
            try journal.claim([Self.record("d@x.example", .sending, occurrence: Self.occurrences[2])])
            withExtendedLifetime(lock) {}
        }
        let (ledger, again) = try log.read(Self.occurrences[2])
        #expect(again.scanReason == nil && again.warning == nil)
        #expect(ledger == (try log.truth(Self.occurrences[2])))
        #expect(ledger["d@x.example"]?.isInDoubt == true)
    }

    @Test func aLogOfAnotherCampaignIsRefusedWhateverItsIndexSays() throws {
        let log = try Self.history()
        do {
            _ = try log.read(Self.occurrences[0], campaign: "new-name")
            Issue.record("another campaign's log was read")
        } catch let failure as FileJournal.Failure {
            #expect(failure.description.hasPrefix("\(log.path):1: this log belongs to campaign \"c\""), "\(failure)")
        }
        // A first record edited in place (same length) is noticed, though the index matches the length.
        var text = Data(log.bytes(log.path))
        let name = try #require(text.range(of: Data(#""campaign":"c""#.utf8)))
        text[name.upperBound - 2] = UInt8(ascii: "d")
        log.write(log.path, [UInt8](text))
        do {
            _ = try log.read(Self.occurrences[2])
            Issue.record("a log with a foreign first record was read")
        } catch let failure as FileJournal.Failure {
            #expect(failure.description.hasPrefix("\(log.path):1: this record belongs to campaign \"d\""), "\(failure)")
        }
    }

    @Test func anOccurrenceTheIndexCannotHoldIsReadByScanningEveryTime() throws {
        let log = Log()
        log.folder.write("delivery.jsonl", Self.record("a@x.example", .sent, occurrence: "hand written").jsonLine() + "\n")
        for _ in 0..<2 {
            let (ledger, read) = try log.read("hand written")
            #expect(ledger["a@x.example"]?.isDone == true)
            #expect(read.scanReason != nil)
        }
        #expect(!FileManager.default.fileExists(atPath: log.index))
    }

    @Test func entriesAndHeadersReadBackAsWrittenAndRefuseAnyChangedByte() throws {
        let first = IndexEntry(offset: 0, occurrence: nil, after: nil)
        let second = IndexEntry(offset: 512, occurrence: "2026-11-29T09:00:00Z", after: first)
        let third = IndexEntry(offset: 1024, occurrence: "2026-11-28T09:00:00Z", after: second)
        #expect(third.latest == "2026-11-29T09:00:00Z")
        for (entry, previous) in [(first, nil), (second, first), (third, second)] {
            let line = entry.line
            #expect(IndexEntry.parse(line.dropLast()) == entry)
            #expect(entry.follows(previous))
            for position in line.indices.dropLast() {
                var changed = line
                changed[position] = changed[position] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
                #expect(IndexEntry.parse(changed.dropLast()).map { $0.follows(previous) } != true, "byte \(position) of \(entry)")
            }
        }
        #expect(!second.follows(third) && !third.follows(first) && !second.follows(nil))
        let header = IndexHeader(log: FileID(device: 2049, inode: 77), logLength: 4096, indexLength: 300, campaign: "c-1.x")
        #expect(header.line.count == IndexHeader.length(campaign: "c-1.x"))
        #expect(IndexHeader.parse(header.line[...]) == header)
        for position in header.line.indices.dropLast() {
            var changed = header.line
            changed[position] = changed[position] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
            #expect(IndexHeader.parse(changed[...]) == nil, "byte \(position)")
        }
    }
}
