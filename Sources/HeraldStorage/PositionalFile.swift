#if canImport(Glibc)
    import Glibc
#endif

/// An open file read at offsets (`pread`), counting every byte read: the delivery log and
/// its index are read this way, so what a run costs is known exactly, not guessed from time.
///
/// Owns its descriptor, closed when the object goes. Not thread-safe: one reader at a time.
final class PositionalFile {
    let descriptor: Int32
    /// The path it was opened by, for messages.
    let path: String
    /// Bytes read so far through this object.
    private(set) var bytesRead = 0

    /// Opens `path` read-only; nil with `errno` set when it cannot be opened.
    ///
    /// Opened without blocking (`O_NONBLOCK`, no effect on a regular file's reads), so a FIFO
    /// put where a log belongs is opened at once and refused by its `status()`, never waited on.
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return nil }
        descriptor = fd
        self.path = path
    }

    deinit { close(descriptor) }

    /// `fstat` of the open file; nil when it fails.
    func status() -> stat? {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? info : nil
    }

    /// Reads `count` bytes at `offset`, fewer only at the end of the file, retrying after
    /// EINTR and short reads.
    /// - Returns: the bytes, or the `errno` of the failed call.
    func read(at offset: Int, count: Int) -> Result<[UInt8], Errno> {
        guard count > 0 else { return .success([]) }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if got > 0 {
                done += got
            } else if got == 0 {
                break
            } else if errno != EINTR {
                return .failure(Errno(code: errno))
            }
        }
        bytesRead += done
        if done < count { bytes.removeLast(count - done) }
        return .success(bytes)
    }

    /// An `errno` value as an error, with `strerror`'s words.
    struct Errno: Error, CustomStringConvertible {
        var code: Int32
        var description: String { String(cString: strerror(code)) }
    }
}
