import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How far the delivery log's hash chain was verified (`LOG.chain`, 0600, beside the log's
/// resolved path): so `send` and each daemon firing verify only the records written since,
/// not the whole history.
///
/// One line: `herald-log-chain 1 DEVICE INODE LENGTH LINES HEAD-LINE CHAINED-FROM CTIME ACCEPTED HEAD CHECKSUM`.
/// It lets a check skip the log's first `LENGTH` bytes only for the log with that device and
/// inode whose status-change time is still `CTIME`: any write to the file (an append, a blank
/// line, an edit in place, `touch -r`, which sets the modification time but not this one) moves
/// it, and the log is then verified from its start. The one growth accepted without that is the
/// records a run appended itself (`FileJournal.OwnAppends`), checked at that run's end.
///
/// It is also the log's memory: a check from the start must find the line ending at `LENGTH`
/// to be line `LINES`, the record hashing to `HEAD` (a shorter, truncated or replaced log means
/// records were removed), and every record from `CHAINED-FROM` on carrying `prev`. Written only
/// by the holder of the campaign's lock; deleting it costs one full check and that memory.
///
/// `ACCEPTED` is the line of a break an operator let pass (`--accept-broken-chain`): the
/// records after it were verified against each other, and later runs go on from here with a
/// warning. `herald verify-log`, which always reads the whole log, still reports the break.
struct ChainCheckpoint: Equatable {
    static let magic = "herald-log-chain 1 "

    var log: FileID
    /// Bytes verified: the end of a complete line.
    var length: Int
    /// Lines in those bytes, blank ones included (for line numbers).
    var lines: Int
    /// The chain hash of the last record in those bytes and its line; nil when there is none.
    var head: (hash: String, line: Int)?
    /// The first line whose record carries `prev`; nil when none does yet.
    var chainedFrom: Int?
    /// The log's status-change time (`st_ctim`, nanoseconds since 1970) when this was written.
    var changed: Int64
    /// The first break an operator accepted; nil when none was.
    var accepted: Int?

    static func == (a: ChainCheckpoint, b: ChainCheckpoint) -> Bool {
        a.line == b.line
    }

    /// The status-change time of `info`, in nanoseconds: moved by every write and every change
    /// of the file's times, which a user cannot set back (`touch -r` sets only the others).
    static func changed(_ info: stat) -> Int64 {
        Int64(info.st_ctim.tv_sec) &* 1_000_000_000 &+ Int64(info.st_ctim.tv_nsec)
    }

    /// The line, newline included.
    var line: [UInt8] {
        let fields = [
            String(log.device), String(log.inode), String(length), String(lines), String(head?.line ?? 0),
            String(chainedFrom ?? 0), String(changed), String(accepted ?? 0), head?.hash ?? "-",
        ]
        let bytes = Array((Self.magic + fields.joined(separator: " ") + " ").utf8)
        return bytes + Array(IndexChecksum.hex(IndexChecksum.of(bytes)).utf8) + [UInt8(ascii: "\n")]
    }

    /// Parses a checkpoint line as written; nil for anything else.
    static func parse(_ bytes: [UInt8]) -> ChainCheckpoint? {
        guard bytes.count > 17, bytes.last == UInt8(ascii: "\n"), bytes.starts(with: magic.utf8) else { return nil }
        let body = bytes.dropLast(17)
        guard let sum = IndexChecksum.parseHex(Substring(decoding: bytes.dropLast().suffix(16), as: UTF8.self)),
            IndexChecksum.of(body) == sum
        else { return nil }
        let fields = body.dropFirst(magic.utf8.count).split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        guard fields.count == 9, let device = UInt64(fields[0]), let inode = UInt64(fields[1]), let length = Int(fields[2]),
            let lines = Int(fields[3]), let headLine = Int(fields[4]), let chainedFrom = Int(fields[5]), let changed = Int64(fields[6]),
            let accepted = Int(fields[7]), length >= 0, lines >= 0, headLine >= 0, chainedFrom >= 0, accepted >= 0
        else { return nil }
        let hash = fields[8]
        let head: (hash: String, line: Int)?
        if hash == "-" {
            guard headLine == 0 else { return nil }
            head = nil
        } else {
            guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
                headLine > 0
            else { return nil }
            head = (hash, headLine)
        }
        let checkpoint = ChainCheckpoint(
            log: FileID(device: device, inode: inode), length: length, lines: lines, head: head,
            chainedFrom: chainedFrom == 0 ? nil : chainedFrom, changed: changed,
            accepted: accepted == 0 ? nil : accepted)
        return checkpoint.line == bytes ? checkpoint : nil
    }

    /// Reads the checkpoint at `path`; nil when there is none or it is damaged.
    static func read(path: String) -> ChainCheckpoint? {
        guard let file = PositionalFile(path: path), case .success(let bytes) = file.read(at: 0, count: 512) else { return nil }
        return parse(bytes)
    }

    /// Writes the checkpoint whole (a new file renamed over the old). A failure leaves the old
    /// one, or none: the next run then verifies more, never less.
    func write(path: String) {
        let temporary = path + ".new"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let failed = line.withUnsafeBytes { writeAll(fd, $0) } != nil
        close(fd)
        if failed || rename(temporary, path) != 0 { unlink(temporary) }
    }
}
