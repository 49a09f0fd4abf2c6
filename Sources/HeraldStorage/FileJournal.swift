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
public final class FileJournal: DeliveryJournal {
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
    /// The state of the file's end as found by `load`, to be mended by the next append.
    private enum Tail {
        case clean
        /// A complete record without its newline: write the newline first.
        case missingNewline
        /// An incomplete record after `validLength` bytes: cut it off.
        case torn(validLength: Int)
    }
    private var tail = Tail.clean
    /// The file `load` read (device and inode), nil when there was none.
    private var loadedFile: FileID?

    /// A file's identity, whatever path reaches it.
    private struct FileID: Equatable {
        var device: UInt64
        var inode: UInt64

        init(_ info: stat) {
            device = UInt64(truncatingIfNeeded: info.st_dev)
            inode = UInt64(truncatingIfNeeded: info.st_ino)
        }
    }

    public init(path: String) {
        self.path = path
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Reads every record of `campaign`'s log, refusing a record of another campaign
    /// (`DeliveryLedger.checkOwnership`): what every command and the daemon read a log with.
    public func load(campaign: String, campaignFile: String) throws(Failure) -> (records: [DeliveryRecord], warning: String?) {
        let (numbered, warning) = try loadNumbered()
        do throws(DeliveryLedger.ForeignRecord) {
            try DeliveryLedger.checkOwnership(of: numbered, log: path, campaign: campaign, campaignFile: campaignFile)
        } catch {
            throw .foreign(error)
        }
        return (numbered.map(\.record), warning)
    }

    /// Reads every complete record. Returns the records and a warning for a torn last line.
    public func load() throws(Failure) -> (records: [DeliveryRecord], warning: String?) {
        let (numbered, warning) = try loadNumbered()
        return (numbered.map(\.record), warning)
    }

    /// Reads every complete record with its 1-based line number, for messages that name a line.
    public func loadNumbered() throws(Failure) -> (records: [(line: Int, record: DeliveryRecord)], warning: String?) {
        var info = stat()
        loadedFile = stat(path, &info) == 0 ? FileID(info) : nil
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw .io(file: path, reason: "cannot be read") }
            return ([], nil)
        }
        var records: [(line: Int, record: DeliveryRecord)] = []
        var warning: String?
        let bytes = [UInt8](data)
        var start = 0
        var lineNumber = 0
        while start < bytes.count {
            lineNumber += 1
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n"))
            let lineBytes = bytes[start..<(end ?? bytes.count)]
            let text = String(decoding: lineBytes, as: UTF8.self)
            if end == nil {
                // No newline: the write of this line never finished.
                if let record = DeliveryRecord.parse(line: text) {
                    records.append((lineNumber, record))
                    tail = .missingNewline
                } else {
                    warning = "\(path):\(lineNumber): ignoring an incomplete last line (a crash while writing?); it will be cut off on the next write"
                    tail = .torn(validLength: start)
                }
                break
            }
            if !text.trimmingCharacters(in: .whitespaces).isEmpty {
                guard let record = DeliveryRecord.parse(line: text) else {
                    throw .malformed(file: path, line: lineNumber, reason: "not a delivery record")
                }
                records.append((lineNumber, record))
            }
            start = end! + 1
        }
        return (records, warning)
    }

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

    /// Makes every record written so far durable (fsync).
    public func sync() throws {
        try openIfNeeded()
        if fsync(descriptor) != 0 {
            throw Failure.io(file: path, reason: "cannot sync to disk: \(String(cString: strerror(errno)))")
        }
    }

    /// Appends records, one line each, with one write.
    ///
    /// Each record goes to the file the log's path names: a log moved away or replaced (an
    /// editor, `sed -i`, log rotation) while a send runs is refused before anything is
    /// written, rather than written where the next run would not read it. The sender then
    /// stops (exit 74) before the next letter, leaving at most the letters in flight in doubt.
    private func write(_ records: [DeliveryRecord]) throws {
        try openIfNeeded()
        try checkStillAtPath()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(records.count * 512)
        if case .missingNewline = tail { bytes.append(UInt8(ascii: "\n")) }
        tail = .clean
        for record in records {
            record.appendJSON(to: &bytes)
            bytes.append(UInt8(ascii: "\n"))
        }
        if let code = bytes.withUnsafeBytes({ writeAll(descriptor, $0) }) {
            throw Failure.io(file: path, reason: "cannot append: \(String(cString: strerror(code)))")
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

    private static let replaced = "was moved or replaced while this run was using it; stopped so that no letter goes out unrecorded. "
        + "The records so far went to the file that was there: if it was moved, move it back; if it was replaced, "
        + "check that the new file holds all of them before sending again"

    /// Throws when the log's path no longer names the file this journal writes to.
    private func checkStillAtPath() throws(Failure) {
        var writing = stat(), named = stat()
        guard fstat(descriptor, &writing) == 0 else { return }
        if stat(path, &named) == 0 && FileID(named) == FileID(writing) { return }
        throw .io(file: path, reason: Self.replaced)
    }
}
