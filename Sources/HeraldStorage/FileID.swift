#if canImport(Glibc)
    import Glibc
#endif

/// A file's identity (device and inode), whatever path reaches it: how the log's writer
/// notices the log was moved or replaced, how the index knows which log it describes, and
/// how a lock is matched with the log it locks.
struct FileID: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64

    init(_ info: stat) {
        device = UInt64(truncatingIfNeeded: info.st_dev)
        inode = UInt64(truncatingIfNeeded: info.st_ino)
    }

    init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The identity of the open file `descriptor`; nil when `fstat` fails.
    init?(descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        self.init(info)
    }
}
