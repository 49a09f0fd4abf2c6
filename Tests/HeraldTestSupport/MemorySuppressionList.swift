import Foundation
import HeraldCore

/// A suppression list in memory, kept as the file's text so a test sees exactly what the
/// file would hold; a failure can be injected.
public final class MemorySuppressionList: SuppressionStore, @unchecked Sendable {
    private let lock = NSLock()
    private var text: String
    private var failure: SuppressionStoreFailure?
    public let location: String

    public init(location: String = "memory/suppressed.txt", text: String = "") {
        self.location = location
        self.text = text
    }

    /// The list's text as the file would hold it.
    public var contents: String { lock.withLock { text } }

    /// Makes every later call fail with `failure` (nil: succeed again).
    public func fail(with failure: SuppressionStoreFailure?) {
        lock.withLock { self.failure = failure }
    }

    public func read() throws(SuppressionStoreFailure) -> SuppressionList {
        try locked { () throws(SuppressionStoreFailure) -> SuppressionList in
            if let failure { throw failure }
            return SuppressionList(text: text)
        }
    }

    @discardableResult
    public func add(_ entries: [SuppressionList.Entry]) throws(SuppressionStoreFailure) -> [SuppressionList.Entry] {
        try locked { () throws(SuppressionStoreFailure) -> [SuppressionList.Entry] in
            if let failure { throw failure }
            let list = SuppressionList(text: text)
            var added: [SuppressionList.Entry] = []
            if list.lines.isEmpty && !entries.isEmpty { text = SuppressionList.header }
            for entry in entries where !list.contains(entry.address) && !added.contains(where: { $0.address == entry.address }) {
                added.append(entry)
                text += entry.line + "\n"
            }
            return added
        }
    }

    public func remove(_ address: String) throws(SuppressionStoreFailure) -> Bool {
        try locked { () throws(SuppressionStoreFailure) -> Bool in
            if let failure { throw failure }
            guard let kept = SuppressionList(text: text).removing(address) else { return false }
            text = kept
            return true
        }
    }

    /// `body` under the lock, its typed error passed through (`NSLock.withLock` rethrows untyped).
    private func locked<T, Failure: Error>(_ body: () throws(Failure) -> T) throws(Failure) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
