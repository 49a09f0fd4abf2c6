import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Folders for files that hold personal data (the delivery log and its lock, preview
/// letters): Herald's one way of creating a folder, mode 0700.
public enum PrivateFolder {
    /// A folder that could not be created.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The folder at fault: `path` itself or one of its parents.
        public var path: String
        /// The `errno` of the failed call.
        public var code: Int32

        public init(path: String, code: Int32) {
            self.path = path
            self.code = code
        }

        /// `strerror`'s words: `Permission denied`.
        public var reason: String { String(cString: strerror(code)) }

        /// `/srv/herald/logs: Permission denied`.
        public var description: String { "\(path): \(reason)" }
    }

    /// Creates `path` and every missing parent, each mode 0700 whatever the umask.
    ///
    /// Folders that exist already are left as they are, modes included; an existing `path`
    /// that is not a folder (or a parent that is a file) is a failure (`ENOTDIR`).
    public static func create(_ path: String) throws(Failure) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            if mkdir(prefix, 0o700) == 0 {
                // The umask may have taken bits away (0o277 would leave 0500, unusable).
                if chmod(prefix, 0o700) != 0 { throw Failure(path: prefix, code: errno) }
            } else if errno != EEXIST {
                throw Failure(path: prefix, code: errno)
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw Failure(path: path, code: errno) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw Failure(path: path, code: ENOTDIR) }
    }
}
