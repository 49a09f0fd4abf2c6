import Foundation
import HeraldCore

#if canImport(Glibc)
    import Glibc
#endif

/// The delivery log on disk: JSON Lines, appended with one `write` per call; a claim is
/// fsync'd before it returns, an outcome reaches the disk with the next claim or sync.
///
/// Created 0600 (it holds personal data). A torn last line, left by a crash in the
/// middle of a write, is skipped with a warning when read and cut off before the next
/// append; a malformed line anywhere else is an error naming `LOG:LINE`, never a guess.
///
/// Beside the log's resolved path, `LOG.index` (also 0600) says where each run of records
/// of one occurrence starts, so a read of one occurrence (a daemon firing, a `send`) reads
/// that occurrence's records, not the log's whole history (see `read`). The index is a
/// cache, written only by a journal whose read was made holding the campaign's lock: when
/// it is missing, stale or damaged the log is scanned whole, as it always was, and the
/// index written again; it never decides on its own that a letter was not sent.
public final class FileJournal: DeliveryJournal, BounceRun.Log {
    /// A delivery log that cannot be trusted or written.
    public enum Failure: Error, CustomStringConvertible {
        case malformed(file: String, line: Int, reason: String)
        case io(file: String, reason: String)
        /// A record of another campaign: one log belongs to one campaign.
        case foreign(DeliveryLedger.ForeignRecord)

        public var description: String {
            switch self {
            case .foreign(let record): return record.description
            case .malformed(let file, let line, let reason):
                return "\(file):\(line): \(reason); fix or remove that line (the log is the record of what was sent: edit with care)"
            case .io(let file, let reason): return "\(file): \(reason)"
            }
        }
    }

    public let path: String
    private var descriptor: Int32 = -1
    /// The state of the file's end as found by the last read, to be mended by the next append.
    private enum Tail {
        case clean
        /// A complete record without its newline: write the newline first.
        case missingNewline
        /// An incomplete record after `validLength` bytes: cut it off.
        case torn(validLength: Int)
    }
    private var tail = Tail.clean
    /// The file the last read read, nil when there was none.
    private var loadedFile: FileID?
    /// Keeps the index in step with the appends; set by a read made holding the lock.
    private var indexWriter: IndexWriter?
    /// Where this journal's last append ended and the chain hash of its last record: the next
    /// record's `prev`, without reading the log again while nobody else wrote to it.
    private var chainHead: (end: Int, hash: String)?
    /// What this journal appended, as the file's state before its first append and after its last.
    public private(set) var ownAppends: OwnAppends?

    /// The log's state (status-change time, length) before a journal's first append and after
    /// its last, and whether anything else changed the file in between: what lets the end of a
    /// run accept the growth it wrote itself, and nothing else, without a check from the start.
    public struct OwnAppends: Sendable, Equatable {
        /// The file's status-change time (ns) and length before the first append.
        public var before: State
        /// The same after the last append.
        public var after: State
        /// Something else changed the file between two appends, or an append did not land where
        /// it should have: the growth is not all this journal's.
        public var interrupted: Bool

        public struct State: Sendable, Equatable {
            var changed: Int64
            var length: Int
        }

        static func state(of descriptor: Int32) -> State? {
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { return nil }
            return State(changed: ChainCheckpoint.changed(info), length: Int(info.st_size))
        }
    }

    public init(path: String) {
        self.path = path
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// The file named `LOG` + `suffix` beside the log's resolved path (symlinks followed), so
    /// every path to one log names one `LOG.lock` and one `LOG.index`.
    public static func besideLog(_ logPath: String, suffix: String) -> String {
        guard let resolved = realpath(logPath, nil) else { return logPath + suffix }
        defer { free(resolved) }
        return String(cString: resolved) + suffix
    }

    // MARK: Reading

    /// Folds the records of some occurrences of `campaign` in log order, reading only where
    /// the index says they are, and refuses a log of another campaign: what every command
    /// and the daemon read a log with.
    ///
    /// Through the index: the log's first record and every record read must be `campaign`'s,
    /// each run must start at a line that is a record of its occurrence and hold only such
    /// records, and the log must end with a newline. Anything else, or no index, an index of
    /// another file, or one describing a log of another length (it grew, was cut, was
    /// replaced), and the log is scanned whole instead, with `initial` folded again from the
    /// start: the scan's verdicts (a malformed line, a foreign record, with their lines) are
    /// the log's, as they always were.
    ///
    /// - Parameters:
    ///   - occurrences: the occurrences whose records are folded (nil: the campaign sent as a
    ///     whole). Reading only recent ones is cheap; asking for nil reads the whole index.
    ///   - lock: the campaign's lock, when this process holds it: the journal then keeps the
    ///     index (writes it when it was rebuilt, appends to it as records are written). A lock
    ///     of another file is ignored. Without it the index is only read.
    ///   - initial: the fold's start, a value (it is started again after a fallback).
    /// - Throws: `.io` when the log cannot be read, `.malformed` for a damaged line, `.foreign`
    ///   for a record of another campaign (`DeliveryLedger.OwnershipCheck`).
    public func read<State>(
        campaign: String, campaignFile: String, occurrences: Set<String?>, holding lock: CampaignLock?,
        into initial: State, _ fold: (inout State, DeliveryRecord) -> Void
    ) throws(Failure) -> (State, LogRead) {
        indexWriter = nil
        guard let (log, size) = try openForReading(), let file = loadedFile else {
            return (initial, LogRead(warning: nil, latestOccurrence: nil, bytesRead: 0, scanReason: nil))
        }
        let indexPath = Self.besideLog(path, suffix: ".index")
        let keepsIndex = lock?.locks(file) == true && IndexHeader.canWrite(campaign: campaign)
        var indexBytes = 0
        let reason: String
        switch IndexLookup.read(
            path: indexPath, log: file, logLength: size, campaign: campaign, occurrences: occurrences,
            bytesRead: &indexBytes)
        {
        case .success(let lookup):
            switch try foldRuns(lookup, in: log, size: size, campaign: campaign, into: initial, fold) {
            case .success(let state):
                if keepsIndex { indexWriter = IndexWriter(path: indexPath, continuing: lookup) }
                return (
                    state,
                    LogRead(
                        warning: nil, latestOccurrence: lookup.last?.latest, bytesRead: log.bytesRead + indexBytes,
                        scanReason: nil)
                )
            case .failure(let untrusted):
                reason = untrusted.description
            }
        case .failure(let untrusted):
            reason = untrusted.description
        }
        return try scanWhole(
            log, size: size, campaign: campaign, campaignFile: campaignFile, occurrences: occurrences,
            keepingIndexAt: keepsIndex ? indexPath : nil, reason: reason, bytesRead: indexBytes, into: initial, fold)
    }

    /// The scan behind `read`: every line of the log, checked as it always was, the
    /// occurrences asked for folded, and, when `indexPath` is given (the lock is held), the
    /// index written anew from what the scan found.
    private func scanWhole<State>(
        _ log: PositionalFile, size: Int, campaign: String, campaignFile: String, occurrences: Set<String?>,
        keepingIndexAt indexPath: String?, reason: String, bytesRead indexBytes: Int, into initial: State,
        _ fold: (inout State, DeliveryRecord) -> Void
    ) throws(Failure) -> (State, LogRead) {
        var state = initial
        var ownership = DeliveryLedger.OwnershipCheck(log: path, campaign: campaign, campaignFile: campaignFile)
        var latest: String?
        var entries: [IndexEntry] = []
        var indexable = indexPath != nil
        let warning = try scan(log, size: size) { line, offset, record in
            ownership.see(line: line, campaign: record.campaign)
            latest = IndexEntry.later(latest, record.occurrence)
            if record.campaign == campaign && occurrences.contains(record.occurrence) { fold(&state, record) }
            // A record whose occurrence differs from the one before it starts a run.
            guard indexable, entries.last == nil || entries.last?.occurrence != record.occurrence else { return }
            indexable = IndexEntry.canWrite(record.occurrence)
            if indexable { entries.append(IndexEntry(offset: offset, occurrence: record.occurrence, after: entries.last)) }
        }
        do throws(DeliveryLedger.ForeignRecord) { try ownership.verdict() } catch { throw .foreign(error) }
        if indexable, let indexPath, let file = loadedFile {
            var described = size
            if case .torn(let validLength) = tail { described = validLength }
            let writer = IndexWriter(path: indexPath, campaign: campaign, log: file, entries: entries, logLength: described)
            // A log with a damaged end is indexed once the next append has mended it.
            if case .clean = tail {
                if writer.commit() { indexWriter = writer }
            } else {
                indexWriter = writer
            }
        }
        return (state, LogRead(warning: warning, latestOccurrence: latest, bytesRead: log.bytesRead + indexBytes, scanReason: reason))
    }

    /// Reads every complete record, whatever its campaign or occurrence (tools and tests;
    /// the commands use `read`). Returns the records and a warning for a torn last line.
    public func load() throws(Failure) -> (records: [DeliveryRecord], warning: String?) {
        let (numbered, warning) = try loadNumbered()
        return (numbered.map(\.record), warning)
    }

    /// Reads every complete record with its 1-based line number, for messages that name a line.
    public func loadNumbered() throws(Failure) -> (records: [(line: Int, record: DeliveryRecord)], warning: String?) {
        indexWriter = nil
        guard let (log, size) = try openForReading() else { return ([], nil) }
        var records: [(line: Int, record: DeliveryRecord)] = []
        let warning = try scan(log, size: size) { line, _, record in records.append((line, record)) }
        return (records, warning)
    }

    /// Opens the log to read it and notes which file it is; nil when there is no log.
    private func openForReading() throws(Failure) -> (PositionalFile, Int)? {
        tail = .clean
        loadedFile = nil
        guard let log = PositionalFile(path: path) else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .io(file: path, reason: "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard let info = log.status(), info.st_mode & S_IFMT == S_IFREG else {
            throw .io(file: path, reason: "cannot be read: it is not a regular file (a folder?); the campaign's log must name a file")
        }
        loadedFile = FileID(info)
        return (log, Int(info.st_size))
    }

    /// Reads every line of the log's first `size` bytes and hands each record to `visit`
    /// with its line number and offset. Notes the state of the log's end in `tail`.
    /// - Returns: the warning for a torn last line.
    private func scan(
        _ log: PositionalFile, size: Int,
        _ visit: (_ line: Int, _ offset: Int, DeliveryRecord) -> Void
    ) throws(Failure) -> String? {
        var lines = LineReader(log, from: 0, to: size)
        var number = 0
        while let line = try next(&lines) {
            number += 1
            let text = String(decoding: line.bytes, as: UTF8.self)
            guard line.terminated else {
                // No newline: the write of this line may never have finished.
                if let record = DeliveryRecord.parse(line: text) {
                    visit(number, line.offset, record)
                    tail = .missingNewline
                    return nil
                }
                tail = .torn(validLength: line.offset)
                return "\(path):\(number): ignoring an incomplete last line (a crash while writing?); it will be cut off on the next write"
            }
            // On bytes (a blank line is rare; `trimmingCharacters` on every line was half a read's time).
            if LogChain.isBlank(line.bytes) { continue }
            guard let record = DeliveryRecord.parse(line: text) else {
                throw .malformed(file: path, line: number, reason: "not a delivery record")
            }
            visit(number, line.offset, record)
        }
        return nil
    }

    /// Folds the runs the index found, checking each as it is read (see `read`).
    /// - Returns: the fold, or why the index cannot be trusted for this log.
    private func foldRuns<State>(
        _ lookup: IndexLookup, in log: PositionalFile, size: Int, campaign: String, into initial: State,
        _ fold: (inout State, DeliveryRecord) -> Void
    ) throws(Failure) -> Result<State, IndexLookup.Untrusted> {
        func untrusted(_ reason: String) -> Result<State, IndexLookup.Untrusted> { .failure(.init(description: reason)) }
        if size > 0 && lookup.runs.first?.range.lowerBound != 0 {
            var lines = LineReader(log, from: 0, to: size, chunk: 1024)
            guard let first = try next(&lines), first.terminated,
                DeliveryRecord.parse(line: String(decoding: first.bytes, as: UTF8.self))?.campaign == campaign
            else {
                return untrusted("the log's first line is not a record of campaign \(campaign)")
            }
        }
        var state = initial
        for run in lookup.runs {
            var lines = LineReader(log, from: max(0, run.range.lowerBound - 1), to: run.range.upperBound)
            if run.range.lowerBound > 0 {
                // The byte before the run must end the line before it.
                guard let before = try next(&lines), before.bytes.isEmpty, before.terminated else {
                    return untrusted("an entry of the index is not at the start of a line of the log")
                }
            }
            var first = true
            while let line = try next(&lines) {
                guard line.terminated else { return untrusted("a run the index names does not end at a line's end") }
                let text = String(decoding: line.bytes, as: UTF8.self)
                if !first && LogChain.isBlank(line.bytes) { continue }
                first = false
                guard let record = DeliveryRecord.parse(line: text), record.campaign == campaign, record.occurrence == run.occurrence else {
                    return untrusted("line at byte \(line.offset) of the log is not a record of the occurrence the index says")
                }
                fold(&state, record)
            }
            if first { return untrusted("a run the index names is empty") }
        }
        if size > 0 && lookup.runs.last?.range.upperBound != size {
            var lines = LineReader(log, from: size - 1, to: size)
            guard let end = try next(&lines), end.terminated else { return untrusted("the log does not end with a newline") }
        }
        return .success(state)
    }

    /// The next line of a read of the log; a failed read is the log's `.io` failure.
    private func next(_ lines: inout LineReader) throws(Failure) -> LineReader.Line? {
        do { return try lines.next() } catch { throw .io(file: path, reason: "cannot be read: \(error)") }
    }

    // MARK: Writing

    /// Appends intent records and syncs the file: they, and every record before them, are
    /// on disk when this returns (one fsync for the batch).
    public func claim(_ intents: [DeliveryRecord]) throws {
        try write(intents)
        try sync()
    }

    /// Appends one record without waiting for the disk (the next claim or sync makes it durable).
    public func record(_ record: DeliveryRecord) throws {
        try write([record])
    }

    /// Makes every record written so far durable (fsync), then brings the index up to them.
    public func sync() throws {
        try openIfNeeded()
        if fsync(descriptor) != 0 {
            throw Failure.io(file: path, reason: "cannot sync to disk: \(String(cString: strerror(errno)))")
        }
        // Only now: the index must never describe bytes the log could still lose.
        if let writer = indexWriter, !writer.commit() { indexWriter = nil }
    }

    /// Appends records, one line each, with one write.
    ///
    /// Each record goes to the file the log's path names: a log moved away or replaced (an
    /// editor, `sed -i`, log rotation) while a send runs is refused before anything is
    /// written, rather than written where the next run would not read it. The sender then
    /// stops (exit 74) before the next letter, leaving at most the letters in flight in doubt.
    ///
    /// The index writer, if any, is told where each record lands; when the log is not the
    /// length it knows (another writer, which the lock should have made impossible) or a
    /// write fails, it is dropped, and its stale header sends the next reader to a scan.
    private func write(_ records: [DeliveryRecord]) throws {
        try openIfNeeded()
        let length = try checkStillAtPath()
        if let writer = indexWriter, writer.logLength != length { indexWriter = nil }
        // The hash chain goes on from the last record actually in the file (after a torn
        // line was cut off), read back from the log unless this journal wrote it.
        var prev: String
        if let chainHead, let length, chainHead.end == length {
            prev = chainHead.hash
        } else {
            var end = length ?? 0
            if length == nil {
                var info = stat()
                if fstat(descriptor, &info) == 0 { end = Int(info.st_size) }
            }
            prev = try chainHash(ofLogUpTo: end)
        }
        chainHead = nil
        var bytes: [UInt8] = []
        bytes.reserveCapacity(records.count * 512)
        if case .missingNewline = tail { bytes.append(UInt8(ascii: "\n")) }
        tail = .clean
        for var record in records {
            if let writer = indexWriter, let length, !writer.note(record, at: length + bytes.count) { indexWriter = nil }
            record.prev = prev
            let start = bytes.count
            record.appendJSON(to: &bytes)
            prev = LogChain.hash(line: bytes[start...])
            bytes.append(UInt8(ascii: "\n"))
        }
        let before = OwnAppends.state(of: descriptor)
        if let before, ownAppends != nil, ownAppends?.after != before { ownAppends?.interrupted = true }
        if let code = bytes.withUnsafeBytes({ writeAll(descriptor, $0) }) {
            indexWriter = nil
            ownAppends?.interrupted = true
            throw Failure.io(file: path, reason: "cannot append: \(String(cString: strerror(code)))")
        }
        if let before, let after = OwnAppends.state(of: descriptor) {
            var own = ownAppends ?? OwnAppends(before: before, after: before, interrupted: false)
            if after.length != before.length + bytes.count { own.interrupted = true }
            own.after = after
            ownAppends = own
        } else {
            ownAppends = OwnAppends(before: .init(changed: 0, length: -1), after: .init(changed: 0, length: -1), interrupted: true)
        }
        if let length {
            indexWriter?.appended(upTo: length + bytes.count)
            chainHead = (length + bytes.count, prev)
        }
    }

    private func openIfNeeded() throws(Failure) {
        guard descriptor < 0 else { return }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
            do { try PrivateFolder.create(folder) } catch { throw .io(file: path, reason: "cannot create its folder: \(error)") }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if fd < 0 { throw .io(file: path, reason: "cannot open for writing: \(String(cString: strerror(errno)))") }
        var info = stat()
        if let loadedFile, fstat(fd, &info) == 0, FileID(info) != loadedFile {
            close(fd)
            throw .io(file: path, reason: Self.replaced)
        }
        if case .torn(let length) = tail {
            if ftruncate(fd, off_t(length)) != 0 {
                close(fd)
                throw .io(file: path, reason: "cannot cut off the incomplete last line: \(String(cString: strerror(errno)))")
            }
            tail = .clean
        }
        descriptor = fd
    }

    private static let replaced =
        "was moved or replaced while this run was using it; stopped so that no letter goes out unrecorded. "
        + "The records so far went to the file that was there: if it was moved, move it back; if it was replaced, "
        + "check that the new file holds all of them before sending again"

    /// Throws when the log's path no longer names the file this journal writes to.
    /// - Returns: the log's length, where the next append lands; nil when `fstat` fails.
    private func checkStillAtPath() throws(Failure) -> Int? {
        var writing = stat(), named = stat()
        guard fstat(descriptor, &writing) == 0 else { return nil }
        if stat(path, &named) == 0 && FileID(named) == FileID(writing) { return Int(writing.st_size) }
        throw .io(file: path, reason: Self.replaced)
    }
}
