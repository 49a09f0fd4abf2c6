#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes every byte to `descriptor`, retrying after EINTR and short writes: Herald's one
/// write loop (the delivery log, preview files, stdout and stderr).
///
/// - Returns: nil when everything was written, else the `errno` of the failed call (EIO
///   for a write that wrote nothing).
public func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    var offset = 0
    while offset < bytes.count {
        #if canImport(Glibc)
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        #else
            let written = Darwin.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        #endif
        if written > 0 { offset += written; continue }
        if written < 0 && errno == EINTR { continue }
        return written == 0 ? EIO : errno
    }
    return nil
}
