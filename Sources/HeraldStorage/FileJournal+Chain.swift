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

    public var isIntact: Bool { breaks.isEmpty }
}

extension FileJournal {
    /// Verifies the chain of the records written since the last check (`ChainCheckpoint`), or
    /// of the whole log when there is no checkpoint this log still matches: what `send`, each
    /// daemon firing and `validate` do before they trust the log.
    ///
    /// - Parameters:
    ///   - lock: the campaign's lock, when held: the checkpoint is then moved to the log's end
    ///     (only when the chain holds, or its breaks are accepted). Without it nothing is written.
    ///   - acceptingBreaks: an operator's `--accept-broken-chain`: every break is reported and
    ///     the records after it are checked against it; the first is recorded as accepted.
    /// - Returns: nil when there is no log.
    /// - Throws: `.io` when the log cannot be read.
    public func checkChain(holding lock: CampaignLock?, acceptingBreaks: Bool) throws(Failure) -> ChainCheck? {
        guard let log = PositionalFile(path: path) else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .io(file: path, reason: "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard let info = log.status(), info.st_mode & S_IFMT == S_IFREG else {
            throw .io(file: path, reason: "cannot be read: it is not a regular file")
        }
        let file = FileID(info), size = Int(info.st_size), modified = ChainCheckpoint.modified(info)
        let checkpointPath = Self.besideLog(path, suffix: ".chain")
        var check = ChainCheck()
        var verifier = LogChain.Verifier()
        // The state at the end of the last complete line read: where the next checkpoint goes.
        var good = ChainCheckpoint(log: file, length: 0, lines: 0, head: nil, chainedFrom: nil, modified: modified, accepted: nil)
        let previous = ChainCheckpoint.read(path: checkpointPath)
        if let previous, try resumes(from: previous, file: file, size: size, modified: modified) {
            verifier = LogChain.Verifier(resumingAfter: previous.head, chainedFrom: previous.chainedFrom)
            good = previous
            good.modified = modified
            check.resumedAfterLine = previous.lines
            check.acceptedEarlier = previous.accepted
        }
        var lines = LineReader(log, from: good.length, to: size)
        var number = good.lines
        while true {
            let line: LineReader.Line?
            do { line = try lines.next() } catch { throw .io(file: path, reason: "cannot be read: \(error)") }
            guard let line else { break }
            number += 1
            if !verifier.see(line: number, bytes: line.bytes, terminated: line.terminated), let broken = verifier.verdict.broken {
                check.breaks.append(broken)
                guard acceptingBreaks else { break }
                // Accepted: the breaking line is what the next record must chain to.
                verifier = LogChain.Verifier(resumingAfter: (LogChain.hash(line: line.bytes), number),
                                             chainedFrom: verifier.chainedFromLine ?? number)
            }
            if line.terminated {
                good.length = line.offset + line.bytes.count + 1
                good.lines = number
                good.head = verifier.lastRecord
                good.chainedFrom = verifier.chainedFromLine
            }
        }
        check.bytesRead = log.bytesRead
        if lock?.locks(file) == true && (check.isIntact || acceptingBreaks) {
            good.accepted = good.accepted ?? check.breaks.first?.line
            if previous != good { good.write(path: checkpointPath) }
        }
        return check
    }

    /// Whether a checkpoint still describes this log: the same file, not shorter, unchanged if
    /// no longer, and the line ending where it ends still the record whose hash it kept.
    private func resumes(from checkpoint: ChainCheckpoint, file: FileID, size: Int, modified: Int64) throws(Failure) -> Bool {
        guard checkpoint.log == file, checkpoint.length <= size, checkpoint.length < size || checkpoint.modified == modified,
              checkpoint.lines <= checkpoint.length else { return false }
        guard checkpoint.length > 0 else { return true }
        guard let log = PositionalFile(path: path), case .success(let last) = log.read(at: checkpoint.length - 1, count: 1),
              last == [UInt8(ascii: "\n")] else { return false }
        return try chainHash(ofLogUpTo: checkpoint.length) == (checkpoint.head?.hash ?? LogChain.genesis)
    }
}
