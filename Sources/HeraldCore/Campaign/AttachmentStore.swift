import Foundation
import Synchronization

/// Reads attached files for a campaign's letters, each encoded once and kept while memory
/// allows, so a file every letter carries is read once per campaign.
///
/// Memory stays bounded whatever the list: encoded files are kept up to ``budget`` bytes in
/// all, the oldest dropped first, and a file larger than a quarter of the budget is not kept
/// (read again for each letter that carries it). A campaign of 100,000 letters each with its
/// own PDF holds a few of them at a time, never all. A file is read in chunks and encoded as
/// it is read, so reading one holds its encoded bytes only, never the file whole beside them.
///
/// A path a field helped choose comes with the folder it must stay in (`within`): the file
/// must be inside that folder once symbolic links are followed, checked on the path before a
/// letter is composed and again on the opened file, so a link swapped in between is caught too.
/// Paths are compared as bytes, as the kernel compares them, never as Swift `String`s (which
/// treat canonically equivalent names, NFC and NFD, `K` and U+212A KELVIN SIGN, as equal): the
/// cache is keyed by the path's bytes, and containment is a byte prefix of the real paths.
/// Such a path may not reach one of Herald's own files either (``protect(_:as:)``).
public final class AttachmentStore: Sendable {
    /// Bytes of encoded attachments kept at most.
    public let budget: Int
    private let cache = Mutex<Cache>(Cache())
    /// Each containing folder's real path, resolved the first time it is asked for: a folder
    /// replaced by a link later in the run is still compared with the folder it was (stricter,
    /// never looser), and a 100,000-row check resolves it once.
    private let folders = Mutex<[[UInt8]: [UInt8]]>([:])
    /// Herald's own files a field may not attach (``protect(_:as:)``).
    let protected = Mutex<ProtectedFiles>(ProtectedFiles())

    private struct Cache {
        /// By the path's bytes: `Österreich` in NFC and in NFD are two files.
        var parts: [[UInt8]: AttachmentPart] = [:]
        /// Paths in the order they were kept, the oldest first.
        var order: [[UInt8]] = []
        var bytes = 0
    }

    /// Why an attachment cannot be used.
    public struct Unusable: Error, Sendable, CustomStringConvertible {
        public var path: String
        /// What is wrong, any path in it already in its visible form (``VisibleText``).
        public var reason: String
        /// What to do about it, when it is not "put the file there": a row naming one of Herald's own files.
        public var advice: String?
        /// The path in its visible form: a CSV value's control characters shown, never sent to a terminal.
        public var visiblePath: String { VisibleText.of(path) }
        public var description: String { "\(visiblePath) \(reason)" }
    }

    public init(budget: Int = 16 << 20) {
        self.budget = budget
    }

    /// Bytes of encoded attachments kept now (never more than ``budget``).
    public var keptBytes: Int { cache.withLock { $0.bytes } }

    /// How many files were read so far (for tests: a shared file is read once).
    public var filesRead: Int { reads.load(ordering: .relaxed) }
    private let reads = Atomic<Int>(0)

    /// The bytes a file of `size` bytes takes as sent: base64, 76 characters a line, each line CRLF-ended.
    public static func encodedSize(_ size: Int) -> Int {
        let characters = (size + 2) / 3 * 4
        return characters + 2 * ((characters + Base64Lines.lineLength - 1) / Base64Lines.lineLength)
    }

    /// Checks that `path` is a regular file this process can read, without reading it: what
    /// `validate` does for every letter's attachments before anything is sent.
    ///
    /// - Parameter folder: for a path a field helped choose, the folder the file must be in
    ///   once symbolic links are followed; nil for a path the template names itself.
    /// - Returns: the file's size in bytes.
    @discardableResult
    public func check(_ path: String, within folder: String? = nil) throws(Unusable) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Unusable(path: path, reason: Self.unreachable(errno)) }
        if let folder {
            try checkInside(path, folder: folder)
            try checkNotHerald(info, path: path)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw Unusable(path: path, reason: "is a folder, not a file")
        default: throw Unusable(path: path, reason: "is \(InputFile.notRegular(info.st_mode) ?? "a special file"), not a regular file")
        }
        guard access(path, R_OK) == 0 else { throw Unusable(path: path, reason: "cannot be read (permissions?)") }
        return Int(info.st_size)
    }

    /// The file at `path` as a body part, from the cache or read now.
    ///
    /// - Parameters:
    ///   - folder: as for ``check(_:within:)``: the file, as opened, must be inside it.
    ///   - maxEncodedBytes: the most the part may take encoded: what the letter has left of its
    ///     limit. A file larger than that (one that grew since it was checked) is refused
    ///     before it is read, and one that grows while it is read is refused at its checked size.
    public func part(_ path: String, within folder: String? = nil, maxEncodedBytes: Int = .max) throws(Unusable) -> AttachmentPart {
        let key = Array(path.utf8)
        // A path a field chose is checked again each time, even when its file is kept.
        if let folder { try check(path, within: folder) }
        if let kept = cache.withLock({ $0.parts[key] }) {
            guard kept.encoded.count <= maxEncodedBytes else {
                throw Unusable(
                    path: path,
                    reason:
                        "takes \(kept.encoded.count) bytes encoded, more than the \(maxEncodedBytes) bytes of attachments the letter has left under [attachments] max_bytes_per_letter"
                )
            }
            return kept
        }
        if folder == nil { try check(path) }
        let name = (path as NSString).lastPathComponent
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { throw Unusable(path: path, reason: "cannot be read (permissions?)") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw Unusable(path: path, reason: "is not a regular file (a pipe, a socket or a device)")
        }
        if let folder {
            // The path was inside a moment ago; the file opened must be too (a link swapped in between).
            var target = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = target.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { readlink("/proc/self/fd/\(descriptor)", $0, Int(PATH_MAX)) }
            }
            let opened = length > 0 ? Array(target[0..<length]) : []
            guard let root = folderPath(folder), Self.isInside(opened, root) else {
                let shown = opened.isEmpty ? "an unknown file" : Self.visible(opened)
                throw Unusable(
                    path: path,
                    reason:
                        "leads outside \(folderPath(folder).map(Self.visible) ?? VisibleText.of(folder)) (to \(shown)); a file a field chooses must be inside the folder the template names"
                )
            }
            // The file opened, not only the one the path named a moment ago, may not be Herald's own.
            refreshProtected()
            try checkNotHerald(info, path: path)
        }
        let size = Int(info.st_size)
        guard Self.encodedSize(size) <= maxEncodedBytes else {
            throw Unusable(
                path: path,
                reason:
                    "is \(size) bytes (\(Self.encodedSize(size)) encoded), more than the \(maxEncodedBytes) bytes of attachments the letter has left under [attachments] max_bytes_per_letter (did it grow since it was checked?); nothing of it was read"
            )
        }
        let encoded = try Self.readEncoded(descriptor, path: path, size: size)
        reads.add(1, ordering: .relaxed)
        let part = AttachmentPart(fileName: name, fileSize: size, encoded: encoded)
        let kept = part.encoded.count
        guard kept <= budget / 4 else { return part }
        cache.withLock { cache in
            guard cache.parts[key] == nil else { return }
            while cache.bytes + kept > budget, !cache.order.isEmpty {
                let oldest = cache.order.removeFirst()
                cache.bytes -= cache.parts.removeValue(forKey: oldest)?.encoded.count ?? 0
            }
            cache.parts[key] = part
            cache.order.append(key)
            cache.bytes += kept
        }
        return part
    }

    /// Reads the open file in chunks of whole base64 lines (57 bytes make 76 characters) and
    /// encodes each as it comes: memory holds the encoded file and one chunk. A file that
    /// changes size while it is read is refused rather than sent cut short or grown.
    private static func readEncoded(_ descriptor: Int32, path: String, size: Int) throws(Unusable) -> [UInt8] {
        let chunkSize = 57 * 4096
        var encoded: [UInt8] = []
        encoded.reserveCapacity(encodedSize(size))
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var total = 0
        while true {
            // Fill the chunk whole (a short read mid-file would break the lines).
            var filled = 0
            while filled < chunkSize {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, chunkSize - filled) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw Unusable(path: path, reason: "could not be read (\(String(cString: strerror(errno))))")
                }
                if count == 0 { break }
                filled += count
            }
            total += filled
            guard total <= size else { throw Unusable(path: path, reason: "grew while it was read; attach a file that is not being written") }
            if filled > 0 { encoded += chunk.withUnsafeBytes { Base64Lines.encode(UnsafeRawBufferPointer(rebasing: $0[0..<filled])) } }
            if filled < chunkSize { break }
        }
        guard total == size else { throw Unusable(path: path, reason: "shrank while it was read; attach a file that is not being written") }
        return encoded
    }

    /// Throws unless `path`, with every symbolic link followed, is inside `folder` (followed too),
    /// compared as bytes: the kernel's `K` and U+212A KELVIN SIGN are two folders.
    func checkInside(_ path: String, folder: String) throws(Unusable) {
        guard let root = folderPath(folder) else { throw Unusable(path: path, reason: "is in \(VisibleText.of(folder)), which does not exist") }
        let target: [UInt8]
        switch Self.realPathBytes(path) {
        case .success(let bytes): target = bytes
        case .failure(let error): throw Unusable(path: path, reason: Self.unreachable(error.code))
        }
        guard Self.isInside(target, root) else {
            throw Unusable(
                path: path,
                reason:
                    "leads outside \(Self.visible(root)) (to \(Self.visible(target))); a file a field chooses must be inside the folder the template names, not a link out of it"
            )
        }
    }

    /// Whether the real path `target` is inside the real folder `root`: `root` and a `/` are its first bytes.
    static func isInside(_ target: [UInt8], _ root: [UInt8]) -> Bool {
        let slash = UInt8(ascii: "/")
        if root == [slash] { return target.first == slash && target.count > 1 }
        return target.count > root.count + 1 && target.starts(with: root) && target[root.count] == slash
    }

    /// `folder`'s real path, from the first time it was resolved (keyed by the folder's bytes).
    private func folderPath(_ folder: String) -> [UInt8]? {
        let key = Array(folder.utf8)
        if let known = folders.withLock({ $0[key] }) { return known }
        guard case .success(let resolved) = Self.realPathBytes(folder) else { return nil }
        return folders.withLock { folders in
            if folders[key] == nil { folders[key] = resolved }
            return folders[key]
        }
    }

    /// The path with every symbolic link, `.` and `..` resolved (`realpath(3)`), as the kernel's
    /// bytes, or the `errno` that stopped it.
    static func realPathBytes(_ path: String) -> Result<[UInt8], SystemError> {
        guard let resolved = realpath(path, nil) else { return .failure(SystemError(code: errno)) }
        defer { free(resolved) }
        return .success(Array(UnsafeRawBufferPointer(start: resolved, count: strlen(resolved))))
    }

    /// An `errno` value as an error.
    struct SystemError: Error {
        var code: Int32
    }

    /// Bytes from the file system shown as text a terminal cannot act on.
    static func visible(_ bytes: [UInt8]) -> String { VisibleText.of(String(decoding: bytes, as: UTF8.self)) }

    /// Why `stat` or `realpath` could not reach a path, in words: a link loop is not a missing file.
    static func unreachable(_ code: Int32) -> String {
        switch code {
        case ENOENT: "does not exist"
        case ELOOP: "cannot be reached: too many levels of symbolic links (a link loop?)"
        case ENOTDIR: "does not exist (a part of the path is a file, not a folder)"
        case EACCES: "cannot be reached (permissions on a folder on the way?)"
        case ENAMETOOLONG: "is too long a path"
        default: "cannot be reached (\(String(cString: strerror(code))))"
        }
    }
}
