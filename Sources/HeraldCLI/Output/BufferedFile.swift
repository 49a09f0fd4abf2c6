import Foundation
import HeraldStorage

#if canImport(Glibc)
    import Glibc
#endif

/// A file written in 64 KiB chunks: the review page and the manifest are written a line at a
/// time, as the letters come, without a system call per line or the whole text in memory.
final class BufferedFile {
    let path: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    /// Bytes given so far (written or buffered).
    private(set) var size = 0

    /// Takes ownership of an open descriptor.
    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
        buffer.reserveCapacity(1 << 16)
    }

    deinit { close(descriptor) }

    func write(_ text: String) throws { try write(Array(text.utf8)) }

    func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        size += bytes.count
        if buffer.count >= 1 << 16 { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        if let code = buffer.withUnsafeBytes({ writeAll(descriptor, $0) }) {
            throw PreviewWriter.IOFailure(path, "cannot write", errno: code)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Appends the whole of another file, in chunks.
    func append(contentsOf other: String) throws {
        try flush()
        let source = open(other, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw PreviewWriter.IOFailure(other, "cannot read", errno: errno) }
        defer { close(source) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw PreviewWriter.IOFailure(other, "cannot read", errno: errno) }
            if count == 0 { break }
            if let code = chunk.withUnsafeBytes({ writeAll(descriptor, UnsafeRawBufferPointer(rebasing: $0[..<count])) }) {
                throw PreviewWriter.IOFailure(path, "cannot write", errno: code)
            }
            size += count
        }
    }
}
