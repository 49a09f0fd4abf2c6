import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// This user's private folder for locks that must be met whatever folder a campaign is in (the
/// lock on a campaign's name): `$XDG_RUNTIME_DIR/herald` when that variable names an existing
/// absolute folder, else `/tmp/herald-UID`. Every run of this user can write there, whatever
/// the campaign's folder allows.
///
/// Created 0700; an existing one must be a real folder (not a symlink), owned by this user and
/// closed to others, or another user could hold (or fake) the locks in it: it is then refused,
/// never used.
public enum RuntimeFolder {
    /// The folder, created when missing.
    /// - Throws: `FileJournal.Failure.io` naming the folder and what is wrong with it.
    public static func path(environment: [String: String]) throws(FileJournal.Failure) -> String {
        var info = stat()
        let folder: String
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/"), stat(runtime, &info) == 0,
            info.st_mode & S_IFMT == S_IFDIR
        {
            folder = (runtime.hasSuffix("/") ? runtime : runtime + "/") + "herald"
        } else {
            folder = "/tmp/herald-\(geteuid())"
        }
        if mkdir(folder, 0o700) == 0 {
            // The umask may have taken bits away.
            _ = chmod(folder, 0o700)
        } else if errno != EEXIST {
            throw .io(file: folder, reason: "cannot create the folder for campaign locks: \(String(cString: strerror(errno)))")
        }
        guard lstat(folder, &info) == 0 else {
            throw .io(file: folder, reason: "cannot read the folder for campaign locks: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw .io(file: folder, reason: "the folder for campaign locks is not a folder (a symlink?); remove it, Herald creates it again")
        }
        guard info.st_uid == geteuid() else {
            throw .io(
                file: folder,
                reason:
                    "the folder for campaign locks belongs to uid \(info.st_uid), not this user (\(geteuid())); remove it, or set XDG_RUNTIME_DIR to a private folder of yours"
            )
        }
        if info.st_mode & 0o077 != 0 && chmod(folder, 0o700) != 0 {
            throw .io(
                file: folder, reason: "the folder for campaign locks is open to other users and cannot be made private: \(String(cString: strerror(errno)))")
        }
        return folder
    }
}
