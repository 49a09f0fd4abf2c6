import Foundation
import Synchronization

/// Herald's own files (the campaign file, templates, lists, the log and the files beside it,
/// passwords, keys) as a set of device and inode numbers, so that an attachment a field chose
/// can be refused when it is one of them: by whatever path or hard link it is reached.
struct ProtectedFiles: Sendable {
    /// A file's identity, whatever path reaches it.
    struct Identity: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64

        init(_ info: stat) {
            device = UInt64(truncatingIfNeeded: info.st_dev)
            inode = UInt64(truncatingIfNeeded: info.st_ino)
        }
    }

    /// Each file by path, with what it is to Herald (`the campaign file`, `smtp.password_file`).
    var files: [(path: String, role: String)] = []
    /// The identities of those that existed when last looked at.
    var identities: [Identity: String] = [:]

    /// Looks at every file again: a log created, an index replaced by a new file since.
    mutating func refresh() {
        identities = [:]
        for file in files {
            var info = stat()
            if stat(file.path, &info) == 0 { identities[Identity(info)] = identities[Identity(info)] ?? file.role }
        }
    }
}

extension AttachmentStore {
    /// Marks `path` as one of Herald's own files, `role` saying which (`the delivery log`,
    /// `smtp.password_file`): an attachment a field chose that is this file (by device and
    /// inode once every link is followed, so a hard link to it too) is refused. A file that does
    /// not exist yet (the log before the first send) is looked for again before each file is read.
    public func protect(_ path: String, as role: String) {
        protected.withLock { protected in
            protected.files.append((path, role))
            var info = stat()
            if stat(path, &info) == 0 {
                protected.identities[ProtectedFiles.Identity(info)] = protected.identities[ProtectedFiles.Identity(info)] ?? role
            }
        }
    }

    /// Marks, in a folder that holds this campaign's log, every other campaign's delivery log
    /// and the files Herald keeps beside it: a file `NAME.key`, `.index`, `.chain` or
    /// `.approval` next to a file `NAME` (hostile review, round 2: a list of one campaign could
    /// attach the Message-ID key and the whole log of another logging into the same folder).
    func protectOtherLogs(in folder: String) {
        // A folder Herald may not list (no read permission) names no other log to mark: the files
        // beside this campaign's own log are marked by name in protectFiles(of:) either way.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
        let present = Set(names.map { Array($0.utf8) })
        for name in names {
            for (suffix, role) in [
                (".key", "a Message-ID key"), (".index", "a delivery log's index"),
                (".chain", "a delivery log's chain checkpoint"), (".approval", "an approval"),
            ] {
                let bytes = Array(name.utf8), tail = Array(suffix.utf8)
                guard bytes.count > tail.count, bytes.suffix(tail.count) == tail[...] else { continue }
                let base = Array(bytes.dropLast(tail.count))
                guard present.contains(base) else { continue }
                let path = (folder as NSString).appendingPathComponent(name)
                protect(path, as: "\(role) of another campaign's log in the same folder")
                protect(
                    (folder as NSString).appendingPathComponent(String(decoding: base, as: UTF8.self)),
                    as: "another campaign's delivery log in the same folder")
            }
        }
    }

    /// Marks every file `campaign` names or Herald keeps beside its log, and the campaign
    /// locks in the campaign file's folder (`.herald-*.lock`), as Herald's own (``protect(_:as:)``).
    public func protectFiles(of campaign: Campaign) {
        protect(campaign.file, as: "the campaign file")
        protect(campaign.templatePath, as: "the campaign's template")
        for language in campaign.languageTemplates.keys.sorted() {
            protect(campaign.languageTemplates[language]!, as: "the campaign's template for \(language)")
        }
        for list in campaign.recipientPaths { protect(list, as: "a recipient list of the campaign") }
        protect(campaign.logPath, as: "the delivery log")
        // Beside the log's resolved path, as HeraldStorage names them (FileJournal.besideLog).
        let log = Self.realPathBytes(campaign.logPath).map { String(decoding: $0, as: UTF8.self) }
        // No resolved path while the log does not exist yet (before the first send): the files
        // beside it will be named after the path as written.
        let besideLog = (try? log.get()) ?? campaign.logPath
        for (suffix, role) in [
            (".index", "the delivery log's index"), (".lock", "the delivery log's lock file"),
            (".chain", "the delivery log's chain checkpoint"), (".approval", "the campaign's approval"),
            (".key", "the campaign's Message-ID key"),
        ] {
            protect(besideLog + suffix, as: role)
        }
        protect(((besideLog as NSString).deletingLastPathComponent as NSString).appendingPathComponent("suppressed.txt"), as: "the suppression list")
        protectOtherLogs(in: (besideLog as NSString).deletingLastPathComponent)
        if let file = campaign.smtp.passwordFile { protect(Campaign.resolvePath(file, against: campaign.file), as: "smtp.password_file") }
        if let file = campaign.smtp.caFile { protect(Campaign.resolvePath(file, against: campaign.file), as: "smtp.ca_file") }
        if let bounces = campaign.bounces {
            if let file = bounces.passwordFile { protect(Campaign.resolvePath(file, against: campaign.file), as: "bounces.password_file") }
            if let file = bounces.caFile { protect(Campaign.resolvePath(file, against: campaign.file), as: "bounces.ca_file") }
        }
        if let dkim = campaign.dkim { protect(Campaign.resolvePath(dkim.privateKeyFile, against: campaign.file), as: "dkim.private_key_file") }
        // The campaign locks (`.herald-NAME-HASH.lock` beside the campaign file's resolved path).
        if case .success(let resolved) = Self.realPathBytes(campaign.file) {
            let folder = (String(decoding: resolved, as: UTF8.self) as NSString).deletingLastPathComponent
            // A folder Herald may not list shows no lock file to mark (the campaign file itself is marked above).
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            where name.utf8.starts(with: ".herald-".utf8)
                && (name.utf8.reversed().starts(with: ".lock".utf8.reversed()) || name.utf8.reversed().starts(with: ".lastlog".utf8.reversed()))
            {
                protect((folder as NSString).appendingPathComponent(name), as: "a campaign lock file")
            }
        }
    }

    /// Looks at every protected file again (before a file is read for a letter).
    func refreshProtected() {
        protected.withLock { $0.refresh() }
    }

    /// Throws when the file `info` describes is one of Herald's own.
    func checkNotHerald(_ info: stat, path: String) throws(Unusable) {
        let identity = ProtectedFiles.Identity(info)
        // As last looked at: `part` looks again before it reads a file, `validate` checks
        // moments after the files were marked.
        let role = protected.withLock { $0.identities[identity] }
        if let role {
            throw Unusable(
                path: path, reason: "is \(role), one of Herald's own files; a field may not attach it (nothing of it is read)",
                advice: "name another file in the row")
        }
    }
}
