import Foundation
import HeraldCore

#if canImport(Glibc)
    import Glibc
#endif

/// The suppression list on disk: `suppressed.txt` in the delivery log's folder (the log's
/// resolved path), mode 0600 (it holds addresses), shared by the campaigns logging there.
///
/// Every change holds an exclusive `flock` on the file, so two campaigns' `herald bounces`
/// (each holding only its own campaign's lock) and an operator's `herald suppressed remove`
/// never interleave. Appends are synced before they return; a removal writes a new file,
/// syncs it and renames it over the old one, so a crash leaves the old list or the new one.
public struct SuppressionFile: SuppressionStore {
    public let path: String
    public var location: String { path }

    /// The file beside `logPath` (symbolic links of the log followed, as for its lock).
    public init(besideLog logPath: String) {
        let resolved = URL(fileURLWithPath: logPath).resolvingSymlinksInPath().path
        path = ((resolved as NSString).deletingLastPathComponent as NSString).appendingPathComponent("suppressed.txt")
    }

    /// The store's failure: a path and what went wrong.
    public typealias Failure = SuppressionStoreFailure

    /// The list; empty when the file does not exist yet.
    public func read() throws(Failure) -> SuppressionList {
        guard FileManager.default.fileExists(atPath: path) else { return SuppressionList(text: "") }
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "\(path): cannot be read") }
        return SuppressionList(text: String(decoding: data, as: UTF8.self))
    }

    /// Appends the entries whose address is not in the list yet, and syncs; returns those added.
    @discardableResult
    public func add(_ entries: [SuppressionList.Entry]) throws(Failure) -> [SuppressionList.Entry] {
        guard !entries.isEmpty else { return [] }
        return try locked { descriptor throws(Failure) -> [SuppressionList.Entry] in
            let list = try read()
            var added: [SuppressionList.Entry] = []
            var text = list.lines.isEmpty ? SuppressionList.header : ""
            for entry in entries where !list.contains(entry.address) && !added.contains(where: { $0.address == entry.address }) {
                added.append(entry)
                text += entry.line + "\n"
            }
            guard !added.isEmpty else { return [] }
            try write(descriptor, text)
            if fsync(descriptor) != 0 { throw Failure(description: "\(path): cannot sync: \(String(cString: strerror(errno)))") }
            return added
        }
    }

    /// Removes `address`; false when it was not in the list (nothing is written then).
    public func remove(_ address: String) throws(Failure) -> Bool {
        try locked { _ throws(Failure) -> Bool in
            guard let text = try read().removing(address) else { return false }
            let temporary = path + ".new"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            if fd < 0 { throw Failure(description: "\(temporary): cannot be created: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            try write(fd, text)
            if fsync(fd) != 0 || rename(temporary, path) != 0 {
                throw Failure(description: "\(path): cannot be replaced: \(String(cString: strerror(errno)))")
            }
            return true
        }
    }

    /// Runs `body` with the file open for appending (created 0600) and exclusively locked.
    /// A removal replaces the file while others may wait for its lock: a lock won on a file
    /// no longer at the path is dropped and taken again on the new one.
    private func locked<T>(_ body: (Int32) throws(Failure) -> T) throws(Failure) -> T {
        while true {
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            if fd < 0 { throw Failure(description: "\(path): cannot be opened: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            if flock(fd, LOCK_EX) != 0 { throw Failure(description: "\(path): cannot be locked: \(String(cString: strerror(errno)))") }
            var held = stat(), current = stat()
            guard fstat(fd, &held) == 0, stat(path, &current) == 0, held.st_ino == current.st_ino, held.st_dev == current.st_dev else { continue }
            return try body(fd)
        }
    }

    private func write(_ descriptor: Int32, _ text: String) throws(Failure) {
        let bytes = Array(text.utf8)
        if let code = bytes.withUnsafeBytes({ writeAll(descriptor, $0) }) {
            throw Failure(description: "\(path): cannot be written: \(String(cString: strerror(code)))")
        }
    }
}
