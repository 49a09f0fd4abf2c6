import Foundation
import Synchronization

/// Reads attached files for a campaign's letters, each encoded once and kept while memory
/// allows, so a file every letter carries is read once per campaign.
///
/// Memory stays bounded whatever the list: encoded files are kept up to ``budget`` bytes in
/// all, the oldest dropped first, and a file larger than a quarter of the budget is not kept
/// (read again for each letter that carries it). A campaign of 100,000 letters each with its
/// own PDF holds a few of them at a time, never all.
public final class AttachmentStore: Sendable {
    /// Bytes of encoded attachments kept at most.
    public let budget: Int
    private let cache = Mutex<Cache>(Cache())

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

    /// Checks that `path` is a regular file this process can read, without reading it: what
    /// `validate` does for every letter's attachments before anything is sent.
    public func check(_ path: String) throws(Unusable) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Unusable(path: path, reason: "does not exist") }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw Unusable(path: path, reason: "is a folder, not a file")
        default: throw Unusable(path: path, reason: "is not a regular file (a pipe, a socket or a device)")
        }
        guard access(path, R_OK) == 0 else { throw Unusable(path: path, reason: "cannot be read (permissions?)") }
    }

    /// The file at `path` as a body part, from the cache or read now.
    public func part(_ path: String) throws(Unusable) -> AttachmentPart {
        if let kept = cache.withLock({ $0.parts[path] }) { return kept }
        try check(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Unusable(path: path, reason: "cannot be read (permissions?)")
        }
        reads.add(1, ordering: .relaxed)
        let name = (path as NSString).lastPathComponent
        let part = data.withUnsafeBytes { AttachmentPart(fileName: name, bytes: $0) }
        let size = part.encoded.count
        guard size <= budget / 4 else { return part }
        cache.withLock { cache in
            guard cache.parts[path] == nil else { return }
            while cache.bytes + size > budget, !cache.order.isEmpty {
                let oldest = cache.order.removeFirst()
                cache.bytes -= cache.parts.removeValue(forKey: oldest)?.encoded.count ?? 0
            }
            cache.parts[path] = part
            cache.order.append(path)
            cache.bytes += size
        }
        return part
    }
}
