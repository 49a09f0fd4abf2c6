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
