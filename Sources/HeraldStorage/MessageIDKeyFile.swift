import Foundation
import HeraldCore

#if canImport(Glibc)
    import Glibc
#endif

/// The campaign's Message-ID key on disk: `LOG.key` beside the delivery log (its resolved
/// path, as `LOG.lock`), mode 0600, 64 hex digits.
///
/// Created once, by the first command that composes letters for the log (`preview`, `send`,
/// `approve`, a daemon firing), and read by every later one, so that a preview, its approval
/// and the send give each letter the same Message-ID, and a resend repeats it. Creation is
/// atomic: the key is written to a new private file (`O_CREAT|O_EXCL`), synced, then linked
/// to its name (which fails rather than replace a key another process linked first; that
/// key is then read and used), and the folder is synced; a crash leaves no key or the whole key.
public struct MessageIDKeyFile: Sendable {
    public let path: String

    /// The file beside `logPath`.
    public init(besideLog logPath: String) {
        path = FileJournal.besideLog(logPath, suffix: ".key")
    }

    /// Why the key cannot be used.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// Reading, creating or syncing failed (exit 74).
            case io
            /// The file exists but is not a key (exit 65).
            case damaged
            /// Others than its owner may read it (exit 77).
            case exposed
        }

        public var kind: Kind
        public var description: String
    }

    /// The key, created when there is none yet.
    public func loadOrCreate() throws(Failure) -> MessageIDKey {
        if let key = try load() { return key }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
            do throws(PrivateFolder.Failure) { try PrivateFolder.create(folder) } catch {
                throw Failure(kind: .io, description: "\(error.path): cannot create the log's folder for \(path): \(error.reason)")
            }
        }
        let key = MessageIDKey.random()
        let temporary = "\(path).new-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw Failure(kind: .io, description: "\(temporary): cannot be created: \(String(cString: strerror(errno)))") }
        defer { unlink(temporary) }
        let bytes = Array(key.fileText.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = written == bytes.count && fchmod(fd, 0o600) == 0 && fsync(fd) == 0
        let error = errno
        close(fd)
        guard synced else { throw Failure(kind: .io, description: "\(temporary): cannot be written: \(String(cString: strerror(error)))") }
        if link(temporary, path) != 0 {
            guard errno == EEXIST else { throw Failure(kind: .io, description: "\(path): cannot be created: \(String(cString: strerror(errno)))") }
            // Another command created it first: its key is the campaign's.
            guard let theirs = try load() else { throw Failure(kind: .io, description: "\(path): vanished while it was created") }
            return theirs
        }
        let folderFD = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folderFD >= 0, fsync(folderFD) == 0 else {
            let error = errno
            if folderFD >= 0 { close(folderFD) }
            throw Failure(kind: .io, description: "\(folder): cannot sync the folder after creating \(path): \(String(cString: strerror(error)))")
        }
        close(folderFD)
        return key
    }

    /// What a file that is not a regular one is, in words.
    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR, S_IFBLK: return "a device"
        case S_IFSOCK: return "a socket"
        case S_IFDIR: return "a folder"
        default: return "not a plain file"
        }
    }

    /// The key; nil when there is no file yet.
    public func load() throws(Failure) -> MessageIDKey? {
        // O_NONBLOCK: a FIFO put in the key's place must not hold the run (and its stop) in
        // open(2) until a writer comes; it is refused below as not a regular file.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw Failure(kind: .io, description: "\(path): cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw Failure(
                kind: .damaged,
                description:
                    "\(path): is not a regular file (\(Self.kind(info.st_mode))); it must hold the campaign's Message-ID key: remove it, and restore the key from a backup if the log records letters"
            )
        }
        if info.st_mode & 0o077 != 0 {
            throw Failure(
                kind: .exposed,
                description: "\(path): others may read the campaign's Message-ID key (mode \(String(info.st_mode & 0o777, radix: 8))); "
                    + "run chmod 600 \(path): anyone holding it can forge bounces of its letters")
        }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw Failure(kind: .io, description: "\(path): cannot be read: \(String(cString: strerror(errno)))") }
        guard let key = MessageIDKey(fileText: String(decoding: buffer.prefix(count), as: UTF8.self)) else {
            throw Failure(
                kind: .damaged,
                description: "\(path): is not a Message-ID key (64 hex digits); restore it from a backup. "
                    + "Removing it makes new Message-IDs for every letter not yet sent (a letter in doubt would be resent under another one)")
        }
        return key
    }
}
