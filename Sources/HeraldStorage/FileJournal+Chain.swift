import Foundation
import HeraldCore

/// The hash chain of the delivery log (`LogChain`): finding the hash a new record chains to,
/// and checking a whole log (`herald verify-log`, `herald status`).
extension FileJournal {
    /// Checks the chain of every line of the log, front to back, in chunks (the log is never
    /// held whole). A torn last line (a crash mid-write) is noted, not counted as a break.
    ///
    /// - Returns: nil when there is no log.
    /// - Throws: `.io` when the log cannot be read.
    public func verifyChain() throws(Failure) -> LogChain.Verdict? {
        guard let log = PositionalFile(path: path) else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .io(file: path, reason: "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard let info = log.status(), info.st_mode & S_IFMT == S_IFREG else {
            throw .io(file: path, reason: "cannot be read: it is not a regular file")
        }
        var lines = LineReader(log, from: 0, to: Int(info.st_size))
        var verifier = LogChain.Verifier()
        var number = 0
        while true {
            let line: LineReader.Line?
            do { line = try lines.next() } catch { throw .io(file: path, reason: "cannot be read: \(error)") }
            guard let line else { break }
            number += 1
            if !verifier.see(line: number, bytes: line.bytes, terminated: line.terminated) { break }
        }
        return verifier.verdict
    }

    /// The chain hash of the last record in the log's first `length` bytes (its last line that
    /// is not blank, with or without a newline), or `LogChain.genesis` when there is none: what
    /// the next record's `prev` must be. Reads back from the end in small chunks.
    func chainHash(ofLogUpTo length: Int) throws(Failure) -> String {
        guard length > 0 else { return LogChain.genesis }
        guard let log = PositionalFile(path: path) else {
            throw .io(file: path, reason: "cannot be read to continue its hash chain: \(String(cString: strerror(errno)))")
        }
        var lines = BackwardLineReader(log, from: 0, to: length, chunk: 1024, lastLineMayBeUnterminated: true)
        do {
            while let line = try lines.previous() {
                if !LogChain.isBlank(line.bytes) { return LogChain.hash(line: line.bytes) }
            }
        } catch is BackwardLineReader.Unterminated {
            throw .io(file: path, reason: "changed while its hash chain was read")
        } catch {
            throw .io(file: path, reason: "cannot be read to continue its hash chain: \(error)")
        }
        return LogChain.genesis
    }
}

/// What `FileJournal.checkChain` found in the part of the log it read.
public struct ChainCheck: Sendable {
    /// The records that break the chain, in log order: the first only, unless breaks were accepted.
    public var breaks: [LogChain.Break] = []
    /// The line of a break an operator accepted in an earlier run: the check went on from after it.
    public var acceptedEarlier: Int?
    /// The line the check went on after (0: it read the log from its start).
    public var resumedAfterLine = 0
    /// Bytes of the log read: what the check cost.
    public var bytesRead = 0
    /// The log no longer holds what the last check saw (shorter, missing, replaced): records
    /// were removed even if what is left chains.
    public var lost: LostRecords?

    public var isIntact: Bool { breaks.isEmpty && lost == nil }
}

extension FileJournal {
    /// Verifies the chain of the records written since the last check (`ChainCheckpoint`), or
    /// of the whole log when there is no checkpoint this log still matches: what `send`, each
    /// daemon firing and `validate` do before they trust the log.
    ///
    /// A check from the start also holds the log to what the last checkpoint recorded: at least
    /// as long, the same record at its length, `prev` on every record from where it was chained
    /// (else `lost` or a break). A missing log is measured against `LOG.chain` and `LOG.index`.
    ///
    /// - Parameters:
    ///   - lock: the campaign's lock, when held: the checkpoint is then moved to the log's end
    ///     (only when the chain holds, or its breaks are accepted). Without it nothing is written.
    ///   - acceptingBreaks: an operator's `--accept-broken-chain`: every break is reported and
    ///     the records after it are checked against it; the first is recorded as accepted. A
    ///     lost part is reported and the checkpoint started again from the log as it is.
    ///   - ownAppends: the end of a run: what its journal appended. Only a log that changed by
    ///     exactly those appends since the checkpoint is checked (their records only) and the
    ///     checkpoint moved; any other change leaves the checkpoint for the next run's full check.
    /// - Returns: nil when there is no log and nothing recorded one.
    /// - Throws: `.io` when the log cannot be read.
    public func checkChain(
        holding lock: CampaignLock?, acceptingBreaks: Bool,
        ownAppends: OwnAppends? = nil, endOfRun: Bool = false
    ) throws(Failure) -> ChainCheck? {
        let checkpointPath = Self.besideLog(path, suffix: ".chain")
        let previous = ChainCheckpoint.read(path: checkpointPath)
        guard let log = PositionalFile(path: path) else {
            if errno == ENOENT || errno == ENOTDIR {
                guard !endOfRun, !acceptingBreaks, let lost = Self.recordedLength(of: path, checkpoint: previous) else { return nil }
                var check = ChainCheck()
                check.lost = LostRecords(
                    kind: .missing, log: path, length: 0, checkedLength: lost.length, checkedLines: lost.lines,
                    recordedIn: lost.file)
                return check
            }
            throw .io(file: path, reason: "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard let info = log.status(), info.st_mode & S_IFMT == S_IFREG else {
            throw .io(file: path, reason: "cannot be read: it is not a regular file")
        }
        let file = FileID(info), size = Int(info.st_size), changed = ChainCheckpoint.changed(info)
        var check = ChainCheck()
        var verifier = LogChain.Verifier(chainedWhenCheckedFrom: acceptingBreaks ? nil : previous?.chainedFrom)
        // The state at the end of the last complete line read: where the next checkpoint goes.
        var good = ChainCheckpoint(log: file, length: 0, lines: 0, head: nil, chainedFrom: nil, changed: changed, accepted: nil)
        var resumed = false
        if let previous, try resumes(from: previous, file: file, size: size, changed: changed, ownAppends: ownAppends) {
            verifier = LogChain.Verifier(resumingAfter: previous.head, chainedFrom: previous.chainedFrom)
            good = previous
            good.changed = changed
            check.resumedAfterLine = previous.lines
            check.acceptedEarlier = previous.accepted
            resumed = true
        } else if endOfRun {
            // Not (only) this run's growth: the next run checks the log from its start.
            return nil
        }
        // Checked from the start: the log must still hold what the last check saw.
        let recorded = resumed ? nil : previous
        var reachedRecorded = recorded.map { $0.length == 0 } ?? true
        var lines = LineReader(log, from: good.length, to: size)
        var number = good.lines
        while true {
            let line: LineReader.Line?
            do { line = try lines.next() } catch { throw .io(file: path, reason: "cannot be read: \(error)") }
            guard let line else { break }
            number += 1
            if !verifier.see(line: number, bytes: line.bytes, terminated: line.terminated), let broken = verifier.verdict.broken {
                // A break an operator accepted earlier, met again by a check from the start.
                let acceptedBefore = !resumed && recorded?.accepted == broken.line && check.acceptedEarlier == nil
                if acceptedBefore { check.acceptedEarlier = broken.line } else { check.breaks.append(broken) }
                guard acceptingBreaks || acceptedBefore else { break }
                // Accepted: the breaking line is what the next record must chain to.
                verifier = LogChain.Verifier(
                    resumingAfter: (LogChain.hash(line: line.bytes), number),
                    chainedFrom: verifier.chainedFromLine ?? number)
                if acceptedBefore { good.accepted = broken.line }
            }
            if line.terminated {
                good.length = line.offset + line.bytes.count + 1
                good.lines = number
                good.head = verifier.lastRecord
                good.chainedFrom = verifier.chainedFromLine
                if let recorded, good.length == recorded.length {
                    reachedRecorded = good.lines == recorded.lines && good.head?.hash == recorded.head?.hash
                }
            }
        }
        check.bytesRead = log.bytesRead
        if let recorded, !reachedRecorded, check.breaks.isEmpty || acceptingBreaks {
            check.lost = LostRecords(
                kind: size < recorded.length ? .shorter : .replaced, log: path, length: size,
                checkedLength: recorded.length, checkedLines: recorded.lines, recordedIn: checkpointPath)
        }
        if lock?.locks(file) == true && (check.isIntact || acceptingBreaks) {
            good.accepted = good.accepted ?? check.breaks.first?.line
            if previous != good { good.write(path: checkpointPath) }
        }
        return check
    }

    /// Whether a checkpoint still describes this log: the same file, unchanged since (its
    /// status-change time), or changed only by `ownAppends` starting where the checkpoint
    /// ends; and the line ending where it ends still the record whose hash it kept.
    private func resumes(
        from checkpoint: ChainCheckpoint, file: FileID, size: Int, changed: Int64,
        ownAppends: OwnAppends?
    ) throws(Failure) -> Bool {
        guard checkpoint.log == file, checkpoint.length <= size, checkpoint.lines <= checkpoint.length else { return false }
        let unchanged = checkpoint.changed == changed
        let onlyOwnGrowth =
            ownAppends.map {
                !$0.interrupted && $0.before == OwnAppends.State(changed: checkpoint.changed, length: checkpoint.length)
                    && $0.after == OwnAppends.State(changed: changed, length: size)
            } ?? false
        guard unchanged || onlyOwnGrowth else { return false }
        guard checkpoint.length > 0 else { return true }
        guard let log = PositionalFile(path: path), case .success(let last) = log.read(at: checkpoint.length - 1, count: 1),
            last == [UInt8(ascii: "\n")]
        else { return false }
        return try chainHash(ofLogUpTo: checkpoint.length) == (checkpoint.head?.hash ?? LogChain.genesis)
    }

    /// What `LOG.chain` or `LOG.index` records of a log that is not there: its length and lines
    /// (lines unknown from the index: 0); nil when neither records any byte of it.
    static func recordedLength(of path: String, checkpoint: ChainCheckpoint?) -> (length: Int, lines: Int, file: String)? {
        if let checkpoint, checkpoint.length > 0 {
            return (checkpoint.length, checkpoint.lines, besideLog(path, suffix: ".chain"))
        }
        let indexPath = besideLog(path, suffix: ".index")
        guard let index = PositionalFile(path: indexPath), case .success(let bytes) = index.read(at: 0, count: 4096),
            let end = bytes.firstIndex(of: UInt8(ascii: "\n")),
            let header = IndexHeader.parse(bytes[...end]), header.logLength > 0
        else { return nil }
        return (header.logLength, 0, indexPath)
    }

    /// Whether the log at `path` holds no record: it is missing, empty, or holds nothing but
    /// white space (`echo > log`, an editor's placeholder).
    ///
    /// Why: "a new log" must mean "records no letter", not "zero bytes": a log of one newline
    /// passed the new-log guards and every letter went again (hostile review, round 2). A log
    /// over 64 KiB is taken to hold records without reading it (a stat and one read at most).
    public static func holdsNoRecord(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return true }
        let length = Int(info.st_size)
        if length == 0 { return true }
        guard length <= 65_536, (info.st_mode & S_IFMT) == S_IFREG, let file = PositionalFile(path: path),
            case .success(let bytes) = file.read(at: 0, count: length)
        else { return false }
        return bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    /// Whether a log that is missing or holds no record (``holdsNoRecord(_:)``) was recorded as
    /// holding records (`LOG.chain`, `LOG.index`): starting it again would send every letter it
    /// recorded once more.
    public static func lostRecords(ofEmptyLog path: String) -> LostRecords? {
        var info = stat()
        let length = stat(path, &info) == 0 ? Int(info.st_size) : 0
        guard holdsNoRecord(path), let recorded = recordedLength(of: path, checkpoint: ChainCheckpoint.read(path: besideLog(path, suffix: ".chain"))) else {
            return nil
        }
        return LostRecords(
            kind: stat(path, &info) == 0 ? .shorter : .missing, log: path, length: length,
            checkedLength: recorded.length, checkedLines: recorded.lines, recordedIn: recorded.file)
    }
}
