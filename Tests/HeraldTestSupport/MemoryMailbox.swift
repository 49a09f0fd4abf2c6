import Foundation
import HeraldCore

/// A bounce mailbox in memory, with IMAP's rules that `BounceRun` relies on: fetching marks a
/// message seen, `markUnseen` clears it, `move` takes messages to another folder (made when
/// missing), and every call after `list` is tied to the UIDVALIDITY it named, a changed one
/// being `uidValidityChanged`. Failures are injected per operation.
///
/// Its state is behind a lock, so a test's `beforeFetch` may change it in the middle of a call.
public final class MemoryMailbox: BounceMailbox {
    /// One message of a folder.
    public struct Message: Sendable, Equatable {
        public var uid: Int
        public var bytes: [UInt8]
        public var seen: Bool
    }

    /// An operation a failure can be injected into.
    public enum Operation: Sendable, Hashable {
        case list, fetch, markUnseen, move
    }

    private let lock = NSLock()
    private var folders: [String: [Message]]
    private var nextUID = 1
    private var validity: Int
    private var failures: [Operation: BounceMailboxError] = [:]
    private var calls: [String] = []
    /// Called before each fetch with its position (a test's way to act mid-pass).
    public var beforeFetch: (MailboxPosition) -> Void = { _ in }

    /// The folder a pass reads.
    public let folder: String

    public init(folder: String = "INBOX", uidValidity: Int = 1_700_000_000) {
        self.folder = folder
        self.validity = uidValidity
        self.folders = [folder: []]
    }

    /// Delivers a message into the read folder, unseen unless `seen`; returns its UID.
    @discardableResult
    public func deliver(_ bytes: [UInt8], seen: Bool = false) -> Int {
        lock.withLock {
            let uid = nextUID
            nextUID += 1
            folders[folder, default: []].append(Message(uid: uid, bytes: bytes, seen: seen))
            return uid
        }
    }

    /// The messages of a folder (the read one by default), in UID order.
    public func messages(in name: String? = nil) -> [Message] {
        lock.withLock { folders[name ?? folder] ?? [] }
    }

    /// The folder's UIDVALIDITY now.
    public var uidValidity: Int { lock.withLock { validity } }

    /// The folders that exist.
    public var folderNames: Set<String> { lock.withLock { Set(folders.keys) } }

    /// Every call made, in order (`list`, `fetch UID`, `unseen UID`, `move UIDs to FOLDER`).
    public var log: [String] { lock.withLock { calls } }

    /// The folder was recreated: its UIDVALIDITY is now `value`.
    public func changeUIDValidity(to value: Int) {
        lock.withLock { validity = value }
    }

    /// Makes every later call of `operation` fail with `error` (nil: succeed again).
    public func fail(_ operation: Operation, with error: BounceMailboxError?) {
        lock.withLock { failures[operation] = error }
    }

    public func list() throws(BounceMailboxError) -> MailboxListing {
        try locked { () throws(BounceMailboxError) -> MailboxListing in
            calls.append("list")
            if let failure = failures[.list] { throw failure }
            return MailboxListing(uidValidity: validity, messages: (folders[folder] ?? []).map { ($0.uid, $0.seen) })
        }
    }

    public func fetch(_ position: MailboxPosition) throws(BounceMailboxError) -> [UInt8] {
        beforeFetch(position)
        return try locked { () throws(BounceMailboxError) -> [UInt8] in
            calls.append("fetch \(position.uid)")
            if let failure = failures[.fetch] { throw failure }
            try checkValidity(position.uidValidity)
            guard let index = folders[folder]?.firstIndex(where: { $0.uid == position.uid }) else {
                throw BounceMailboxError(.refused, "NO [NONEXISTENT] no message with UID \(position.uid)")
            }
            folders[folder]?[index].seen = true
            return folders[folder]?[index].bytes ?? []
        }
    }

    public func markUnseen(_ position: MailboxPosition) throws(BounceMailboxError) {
        try locked { () throws(BounceMailboxError) in
            calls.append("unseen \(position.uid)")
            if let failure = failures[.markUnseen] { throw failure }
            try checkValidity(position.uidValidity)
            guard let index = folders[folder]?.firstIndex(where: { $0.uid == position.uid }) else { return }
            folders[folder]?[index].seen = false
        }
    }

    public func move(_ uids: [Int], uidValidity: Int, to target: String) throws(BounceMailboxError) {
        try locked { () throws(BounceMailboxError) in
            calls.append("move \(uids.map(String.init).joined(separator: ",")) to \(target)")
            if let failure = failures[.move] { throw failure }
            try checkValidity(uidValidity)
            let moving = (folders[folder] ?? []).filter { uids.contains($0.uid) }
            folders[folder]?.removeAll { uids.contains($0.uid) }
            folders[target, default: []].append(contentsOf: moving)
        }
    }

    private func checkValidity(_ expected: Int) throws(BounceMailboxError) {
        guard expected == validity else {
            throw BounceMailboxError(
                .uidValidityChanged, "\(folder): UIDVALIDITY changed from \(expected) to \(validity) during the pass; run herald bounces again")
        }
    }

    /// `body` under the lock, its typed error passed through (`NSLock.withLock` rethrows untyped).
    private func locked<T, Failure: Error>(_ body: () throws(Failure) -> T) throws(Failure) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
