import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on a campaign's delivery log, held for the whole send, so that cron
/// starting a second copy can never send a letter twice.
///
/// The lock is an `flock` on the log file itself (opened, and created 0600 when missing):
/// it belongs to the file, not to the path, so every way of reaching one log (a symlink to
/// it or to its folder, a hard link, `./` or `..` in the path) meets the same lock. Beside
/// the log's resolved path (symlinks followed), `LOG.lock` holds the holder's pid for the
/// "being sent by pid N" message; it is locked too, so a sender that still writes to a
/// log that was moved away and replaced keeps the new file at that path locked as well.
///
/// The kernel drops the locks when the process dies, kill -9 included, so a crash never
/// leaves a campaign locked. An flock belongs to the open file description, so other
/// descriptors of the log (`FileJournal` appends through its own) opening and closing
/// never release it; only this object's end does.
public final class CampaignLock {
    /// Another process holds the campaign.
    public struct Busy: Error, CustomStringConvertible {
        public var campaign: String
        public var pid: String
        public var description: String { "campaign \(campaign) is being sent by pid \(pid)" }
    }

    /// The log itself, flocked.
    private let logDescriptor: Int32
    /// `LOG.lock` beside the resolved log path, flocked, holding this process's pid.
    private let pidDescriptor: Int32

    /// Takes the lock without waiting.
    /// - Throws: `Busy` when another process holds it; `FileJournal.Failure` when the log or
    ///   the lock file cannot be opened.
    public init(logPath: String, campaign: String) throws {
        let folder = (logPath as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            // Ignorable: a folder that cannot be made makes the open below fail, which throws
            // naming the log and the reason.
            try? PrivateFolder.create(folder)
        }
        var fd = open(logPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        // A log the user may read but not write (an archived campaign) can still be locked and read.
        if fd < 0 && errno == EACCES { fd = open(logPath, O_RDONLY | O_CLOEXEC) }
        if fd < 0 { throw FileJournal.Failure.io(file: logPath, reason: "cannot open to lock it: \(Self.lastError())") }
        if !Self.tryLock(fd) {
            let busy = Busy(campaign: campaign, pid: Self.holder(of: fd, pidFile: Self.pidFilePath(logPath)))
            close(fd)
            throw busy
        }

        let pidPath = Self.pidFilePath(logPath)
        let pidFD = open(pidPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if pidFD < 0 {
            close(fd)
            throw FileJournal.Failure.io(file: pidPath, reason: "cannot open lock file: \(Self.lastError())")
        }
        if !Self.tryLock(pidFD) {
            // Held by a process whose log was moved away from this path (or by an older
            // Herald that locked only the lock file): the pid in it is that process's.
            let busy = Busy(campaign: campaign, pid: Self.readPid(pidFD))
            close(pidFD)
            close(fd)
            throw busy
        }
        Self.writePid(pidFD)
        logDescriptor = fd
        pidDescriptor = pidFD
    }

    /// Releases both locks explicitly before closing: a flock belongs to the open file
    /// description, which a child being started (between its fork and its exec) shares, so a
    /// plain `close` would leave the lock held until that child's exec; `LOCK_UN` releases it now.
    deinit {
        Self.releasePidFile(pidDescriptor)
        _ = flock(logDescriptor, LOCK_UN)
        close(pidDescriptor)
        close(logDescriptor)
    }

    /// `LOG.lock` beside the log's resolved path, so every path to one log names one pid file.
    static func pidFilePath(_ logPath: String) -> String {
        FileJournal.besideLog(logPath, suffix: ".lock")
    }

    /// Whether this is the lock of `file`: the log a journal read, which may then keep its
    /// index (only the lock's holder writes the index, as only it writes the log).
    func locks(_ file: FileID) -> Bool {
        FileID(descriptor: logDescriptor) == file
    }

    /// Writes this process's pid into a lock file it now holds, so a refused sender can name it.
    static func writePid(_ fd: Int32) {
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
    }

    /// Empties a held pid file and releases its lock (see `deinit` for why `LOCK_UN` comes before close).
    static func releasePidFile(_ fd: Int32) {
        _ = ftruncate(fd, 0)
        _ = flock(fd, LOCK_UN)
    }

    /// Takes the lock without waiting, except when the kernel says this very process holds
    /// it: a child this process is starting (fork, then exec) holds a copy of every open
    /// descriptor until its exec closes them (O_CLOEXEC), and with it, for that moment, a lock
    /// this process already released. Then the lock is tried again for up to 0.5 s. A lock held
    /// by another process is refused at once, as before.
    static func tryLock(_ fd: Int32) -> Bool {
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
        guard kernelFlockHolder(of: fd) == String(getpid()) else { return false }
        for _ in 0..<100 {
            usleep(5_000)
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
        }
        return false
    }

    /// The pid of the process holding the flock on the open file `fd`: from the kernel's
    /// lock table where there is one (it knows the holder even when the log was reached by
    /// a hard link, whose pid file is elsewhere), else from the pid file.
    ///
    /// Both are asked again for up to half a second before "?" is answered: the kernel's table
    /// was seen to miss a held lock for a moment on a loaded machine (CI: "pid ?" for a lock
    /// this very process held), and the holder writes its pid just after taking the lock.
    static func holder(of fd: Int32, pidFile: String) -> String {
        for _ in 0..<50 {
            if let pid = kernelFlockHolder(of: fd) { return pid }
            let pidFD = open(pidFile, O_RDONLY | O_CLOEXEC)
            if pidFD >= 0 {
                defer { close(pidFD) }
                if let pid = writtenPid(pidFD) { return pid }
            }
            usleep(10_000)
        }
        return "?"
    }

    /// Reads the pid a lock holder wrote; the holder writes it just after taking the lock,
    /// so an empty file is given a moment before "?" is answered.
    static func readPid(_ fd: Int32) -> String {
        for _ in 0..<50 {
            if let pid = writtenPid(fd) { return pid }
            usleep(10_000)
        }
        return "?"
    }

    /// The pid in a lock's pid file as it is now; nil while the file is empty (or unreadable).
    static func writtenPid(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        let pid = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return pid.isEmpty ? nil : pid
    }

    /// Linux's `/proc/locks`: `1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF`, the device as
    /// hexadecimal major:minor and the inode in decimal. Nil where there is no such table.
    static func kernelFlockHolder(of fd: Int32) -> String? {
        var info = stat()
        // Ignorable: without /proc/locks (not Linux, no procfs) the holder is not known, which nil says.
        guard fstat(fd, &info) == 0, let table = procLocks() else { return nil }
        // glibc's encoding of dev_t (gnu_dev_major, gnu_dev_minor).
        let device = UInt64(truncatingIfNeeded: info.st_dev)
        let major = (device >> 8) & 0xfff | (device >> 32) & 0xffff_f000
        let minor = device & 0xff | (device >> 12) & 0xffff_ff00
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return digits.count < 2 ? "0" + digits : digits
        }
        let file = "\(hex(major)):\(hex(minor)):\(UInt64(truncatingIfNeeded: info.st_ino))"
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            // A blocked waiter is listed as `1: -> FLOCK …`; only the holder counts.
            guard fields.count >= 6, fields[1] == "FLOCK", fields[5] == file, let pid = Int(fields[4]), pid > 0 else { continue }
            return String(pid)
        }
        return nil
    }

    /// `/proc/locks` read whole, with `read` until its end: procfs gives the file no size, and
    /// the table of a busy machine (a test run's servers and senders) is longer than one buffer.
    static func procLocks() -> String? {
        let fd = open("/proc/locks", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return count == 0 ? String(decoding: bytes, as: UTF8.self) : nil }
            bytes += chunk.prefix(count)
        }
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
