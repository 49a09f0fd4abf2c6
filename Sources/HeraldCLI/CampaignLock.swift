import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a campaign's delivery log (flock on `LOG.lock`), held for the whole
/// send, so that cron starting a second copy can never send a letter twice.
///
/// The kernel drops the lock when the process dies, kill -9 included, so a crash never
/// leaves a campaign locked.
public final class CampaignLock {
    /// Another process holds the campaign.
    public struct Busy: Error, CustomStringConvertible {
        public var campaign: String
        public var pid: String
        public var description: String { "campaign \(campaign) is being sent by pid \(pid)" }
    }

    private let descriptor: Int32

    /// Takes the lock without waiting.
    /// - Throws: `Busy` when another process holds it; `FileJournal.Failure` when the lock file cannot be made.
    public init(logPath: String, campaign: String) throws {
        let path = logPath + ".lock"
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw FileJournal.Failure.io(file: path, reason: "cannot open lock file: \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let pid = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Busy(campaign: campaign, pid: pid.isEmpty ? "?" : pid)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        descriptor = fd
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        close(descriptor)
    }
}
