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
        var buffer: [UInt8] = []
        var start = length
        var chunk = 1024
        while true {
            // The lines wholly inside the buffer, from its end; the first one is whole only at the file's start.
            var end = buffer.count
            while end > 0 {
                if let newline = buffer[..<end].lastIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer[(newline + 1)..<end]
                    if !LogChain.isBlank(line) { return LogChain.hash(line: line) }
                    end = newline
                } else {
                    if start == 0 && !LogChain.isBlank(buffer[..<end]) { return LogChain.hash(line: buffer[..<end]) }
                    break
                }
            }
            if start == 0 { return LogChain.genesis }
            let count = min(chunk, start)
            let before: [UInt8]
            switch log.read(at: start - count, count: count) {
            case .success(let bytes): before = bytes
            case .failure(let error): throw .io(file: path, reason: "cannot be read to continue its hash chain: \(error)")
            }
            guard before.count == count else { throw .io(file: path, reason: "changed while its hash chain was read") }
            buffer.insert(contentsOf: before, at: 0)
            start -= count
            chunk = min(chunk * 2, 1 << 20)
        }
    }
}
