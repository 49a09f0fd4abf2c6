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
public final class AttachmentStore: Sendable {
    /// Bytes of encoded attachments kept at most.
    public let budget: Int
    private let cache = Mutex<Cache>(Cache())
    /// Each containing folder's real path, resolved the first time it is asked for: a folder
    /// replaced by a link later in the run is still compared with the folder it was (stricter,
    /// never looser), and a 100,000-row check resolves it once.
    private let folders = Mutex<[String: String]>([:])

    private struct Cache {
        var parts: [String: AttachmentPart] = [:]
        /// Paths in the order they were kept, the oldest first.
        var order: [String] = []
        var bytes = 0
    }

    /// Why an attachment cannot be used.
    public struct Unusable: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path) \(reason)" }
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
        guard stat(path, &info) == 0 else { throw Unusable(path: path, reason: "does not exist") }
        if let folder { try checkInside(path, folder: folder) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw Unusable(path: path, reason: "is a folder, not a file")
        default: throw Unusable(path: path, reason: "is \(PreparedCampaign.notRegular(info.st_mode) ?? "a special file"), not a regular file")
        }
        guard access(path, R_OK) == 0 else { throw Unusable(path: path, reason: "cannot be read (permissions?)") }
        return Int(info.st_size)
    }

    /// The file at `path` as a body part, from the cache or read now.
    ///
    /// - Parameters:
    ///   - folder: as for ``check(_:within:)``: the file, as opened, must be inside it.
    ///   - maxEncodedBytes: the most the part may take encoded; a file larger than that (one
    ///     that grew since it was checked) is refused without being read whole.
    public func part(_ path: String, within folder: String? = nil, maxEncodedBytes: Int = .max) throws(Unusable) -> AttachmentPart {
        if let folder { try checkInside(path, folder: folder) }
        if let kept = cache.withLock({ $0.parts[path] }) {
            guard kept.encoded.count <= maxEncodedBytes else {
                throw Unusable(path: path, reason: "takes \(kept.encoded.count) bytes encoded, over the letter's limit of \(maxEncodedBytes)")
            }
            return kept
        }
        try check(path, within: folder)
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
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink("/proc/self/fd/\(descriptor)", &target, Int(PATH_MAX))
            let opened = length > 0 ? String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
            guard let root = folderPath(folder), opened.hasPrefix(root == "/" ? "/" : root + "/") else {
                throw Unusable(path: path, reason: "leads outside \(folder) (to \(opened.isEmpty ? "an unknown file" : opened)); a file a field chooses must be inside the folder the template names")
            }
        }
        let size = Int(info.st_size)
        guard Self.encodedSize(size) <= maxEncodedBytes else {
            throw Unusable(path: path, reason: "is \(size) bytes (\(Self.encodedSize(size)) encoded), over the letter's limit of \(maxEncodedBytes) bytes of attachments")
        }
        let encoded = try Self.readEncoded(descriptor, path: path, size: size)
        reads.add(1, ordering: .relaxed)
        let part = AttachmentPart(fileName: name, fileSize: size, encoded: encoded)
        let kept = part.encoded.count
        guard kept <= budget / 4 else { return part }
        cache.withLock { cache in
            guard cache.parts[path] == nil else { return }
            while cache.bytes + kept > budget, !cache.order.isEmpty {
                let oldest = cache.order.removeFirst()
                cache.bytes -= cache.parts.removeValue(forKey: oldest)?.encoded.count ?? 0
            }
            cache.parts[path] = part
            cache.order.append(path)
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

    /// Throws unless `path`, with every symbolic link followed, is inside `folder` (followed too).
    func checkInside(_ path: String, folder: String) throws(Unusable) {
        guard let root = folderPath(folder) else { throw Unusable(path: path, reason: "is in \(folder), which does not exist") }
        guard let target = Self.realPath(path) else { throw Unusable(path: path, reason: "does not exist") }
        guard target.hasPrefix(root == "/" ? "/" : root + "/") else {
            throw Unusable(path: path, reason: "leads outside \(folder) (to \(target)); a file a field chooses must be inside the folder the template names, not a link out of it")
        }
    }

    /// `folder`'s real path, from the first time it was resolved.
    private func folderPath(_ folder: String) -> String? {
        if let known = folders.withLock({ $0[folder] }) { return known }
        guard let resolved = Self.realPath(folder) else { return nil }
        folders.withLock { $0[folder] = $0[folder] ?? resolved }
        return folders.withLock { $0[folder] }
    }

    /// The path with every symbolic link, `.` and `..` resolved (`realpath(3)`), or nil.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
