import Foundation
import HeraldCore

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on a campaign itself, whatever delivery log it is sent to: so that
/// `herald send c.toml --log copy.jsonl` beside `herald send c.toml` (or a daemon firing) is
/// refused rather than sending every pending letter twice. Taken with the log's own lock
/// (`CampaignLock`) by `send`, `resolve` and each daemon firing, before it.
///
/// Three `flock`s, so every way of naming the campaign meets one of them:
/// - on the campaign file itself (opened read-only): it belongs to the file, so a symlink to
///   it or to its folder, a hard link, `./` and `..` all reach it;
/// - on `.herald-NAME-HASH.lock` in the folder of the campaign file's resolved path, HASH from
///   that resolved path and the campaign's name: it outlives an editor replacing the campaign
///   file (a new inode) while a send runs. It holds the holder's pid. In a folder this user may
///   not write to it cannot be created and only the first lock is taken.
///
/// - on `NAME-HASH.lock` in this user's runtime folder (`RuntimeFolder`), HASH from the
///   campaign's name alone: a hard link to the campaign file that an editor then replaced (two
///   inodes, two folders' key files), a copy, or a campaign folder this user may not write to
///   all meet it. So two campaign files with the same name cannot send at the same time as the
///   same user, whatever their folders; other users have their own folders (and locks).
///
/// The kernel drops the locks when the process dies, kill -9 included.
public final class CampaignFileLock {
    /// Another process holds the campaign.
    public struct Busy: Error, CustomStringConvertible {
        public var campaign: String
        public var campaignFile: String
        public var pid: String
        /// The runtime folder's lock on the name, when that is the one held.
        public var nameLock: String?
        public var description: String {
            if let nameLock {
                return
                    "campaign \(campaign) is being sent by pid \(pid) (the lock on the campaign's name, \(nameLock), is held: two campaign files named \(campaign) cannot send at the same time as the same user, whatever their folders or logs)"
            }
            return
                "campaign \(campaign) is being sent by pid \(pid) (the lock on the campaign \(campaignFile) holds whatever log each run is given: one campaign has one sender at a time)"
        }
    }

    private let fileDescriptor: Int32
    /// The lock file in the campaign's folder; -1 when it could not be created there.
    private let keyDescriptor: Int32
    /// `.herald-NAME-HASH.lastlog` beside the lock file: the delivery log this campaign was
    /// last sent to (``rememberedLog``); nil when the lock file could not be created.
    private let lastLogPath: String?

    /// The lock on the campaign's name in the runtime folder.
    private let nameDescriptor: Int32

    /// Takes the three locks without waiting.
    /// - Parameter environment: where the runtime folder is found (`XDG_RUNTIME_DIR`).
    /// - Throws: `Busy` when another process holds any; `FileJournal.Failure.io` when the
    ///   campaign file cannot be opened, or the runtime folder is not this user's private folder.
    public init(campaignFile: String, campaign: String, environment: [String: String]) throws {
        let fd = open(campaignFile, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileJournal.Failure.io(file: campaignFile, reason: "cannot open to lock the campaign: \(CampaignLock.lastError())") }
        let keyPath = Self.keyPath(campaignFile: campaignFile, campaign: campaign)
        if !CampaignLock.tryLock(fd) {
            let busy = Busy(campaign: campaign, campaignFile: campaignFile, pid: CampaignLock.holder(of: fd, pidFile: keyPath ?? "/nonexistent"))
            close(fd)
            throw busy
        }
        var keyFD: Int32 = -1
        if let keyPath {
            keyFD = open(keyPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if keyFD < 0 && errno != EACCES && errno != EROFS && errno != EPERM {
                let reason = CampaignLock.lastError()
                close(fd)
                throw FileJournal.Failure.io(file: keyPath, reason: "cannot open lock file: \(reason)")
            }
            if keyFD >= 0 && !CampaignLock.tryLock(keyFD) {
                let busy = Busy(campaign: campaign, campaignFile: campaignFile, pid: CampaignLock.holder(of: keyFD, pidFile: keyPath))
                close(keyFD)
                close(fd)
                throw busy
            }
            if keyFD >= 0 {
                CampaignLock.writePid(keyFD)
            }
        }
        let namePath: String
        let nameFD: Int32
        do {
            namePath = try RuntimeFolder.path(environment: environment) + "/" + Self.nameLockFile(campaign: campaign)
            nameFD = open(namePath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if nameFD < 0 { throw FileJournal.Failure.io(file: namePath, reason: "cannot open lock file: \(CampaignLock.lastError())") }
        } catch {
            if keyFD >= 0 { close(keyFD) }
            close(fd)
            throw error
        }
        if !CampaignLock.tryLock(nameFD) {
            let busy = Busy(
                campaign: campaign, campaignFile: campaignFile, pid: CampaignLock.holder(of: nameFD, pidFile: namePath),
                nameLock: namePath)
            close(nameFD)
            if keyFD >= 0 { close(keyFD) }
            close(fd)
            throw busy
        }
        CampaignLock.writePid(nameFD)
        fileDescriptor = fd
        keyDescriptor = keyFD
        nameDescriptor = nameFD
        lastLogPath = keyFD >= 0 ? keyPath.map { String($0.dropLast(".lock".count)) + ".lastlog" } : nil
    }

    /// The delivery log this campaign was last sent to, as ``remember(log:)`` recorded it; nil
    /// when none is recorded (or the campaign's folder is not writable).
    ///
    /// Why: the log is what makes a send exactly-once; a campaign file edited to name a new
    /// `log =` would send every letter again, so `send` and the daemon compare the log they are
    /// given with this one before anything is sent.
    public func rememberedLog() -> String? {
        guard let lastLogPath, let data = FileManager.default.contents(atPath: lastLogPath),
            let text = String(data: data, encoding: .utf8)
        else { return nil }
        let path = text.hasSuffix("\n") ? String(text.dropLast()) : text
        return path.hasPrefix("/") ? path : nil
    }

    /// Records `log` (an absolute path) as the delivery log this campaign is sent to: written
    /// to a temporary file and renamed over the record, under this lock, so a crash leaves the
    /// old record or the new one. Best effort: a folder that cannot take it keeps no record.
    public func remember(log: String) {
        guard let lastLogPath, rememberedLog() != log else { return }
        let temporary = lastLogPath + ".tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let bytes = Array((log + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        if written == bytes.count && synced && rename(temporary, lastLogPath) == 0 { return }
        unlink(temporary)
    }

    /// `NAME-HASH.lock` (NAME left out when it is not one plain word), HASH 16 hex digits of
    /// SHA-256 over the name alone: one file per campaign name for this user.
    static func nameLockFile(campaign: String) -> String {
        let hash = String(SHA256.hex(Array(campaign.utf8)).prefix(16))
        return (IndexHeader.canWrite(campaign: campaign) ? campaign + "-" : "") + hash + ".lock"
    }

    /// Releases the locks explicitly before closing (see `CampaignLock.deinit`: a child being
    /// started shares the open file descriptions until its exec).
    deinit {
        CampaignLock.releasePidFile(nameDescriptor)
        close(nameDescriptor)
        if keyDescriptor >= 0 {
            CampaignLock.releasePidFile(keyDescriptor)
            close(keyDescriptor)
        }
        _ = flock(fileDescriptor, LOCK_UN)
        close(fileDescriptor)
    }

    /// `.herald-NAME-HASH.lock` in the folder of the campaign file's resolved path; nil when the
    /// path cannot be resolved. HASH is 16 hex digits of SHA-256 over the resolved path and the name.
    static func keyPath(campaignFile: String, campaign: String) -> String? {
        guard let resolved = realpath(campaignFile, nil) else { return nil }
        defer { free(resolved) }
        let path = String(cString: resolved)
        let folder = (path as NSString).deletingLastPathComponent
        let hash = String(SHA256.hex(Array(path.utf8) + [0] + Array(campaign.utf8)).prefix(16))
        let name = IndexHeader.canWrite(campaign: campaign) ? campaign + "-" : ""
        return (folder.isEmpty ? "/" : folder) + "/.herald-" + name + hash + ".lock"
    }
}
