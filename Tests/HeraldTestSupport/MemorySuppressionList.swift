import Foundation
import HeraldCore
import Synchronization

/// A suppression list in memory, kept as the file's text so a test sees exactly what the
/// file would hold; a failure can be injected. Sendable through a `Mutex` over its state.
public final class MemorySuppressionList: SuppressionStore {
    private struct State {
        var text: String
        var failure: SuppressionStoreFailure?
    }

    private let state: Mutex<State>
    public let location: String

    public init(location: String = "memory/suppressed.txt", text: String = "") {
        self.location = location
        self.state = Mutex(State(text: text, failure: nil))
    }

    /// The list's text as the file would hold it.
    public var contents: String { state.withLock { $0.text } }

    /// Makes every later call fail with `failure` (nil: succeed again).
    public func fail(with failure: SuppressionStoreFailure?) {
        state.withLock { $0.failure = failure }
    }

    public func read() throws(SuppressionStoreFailure) -> SuppressionList {
        try state.withLock { state throws(SuppressionStoreFailure) -> SuppressionList in
            if let failure = state.failure { throw failure }
            return SuppressionList(text: state.text)
        }
    }

    @discardableResult
    public func add(_ entries: [SuppressionList.Entry]) throws(SuppressionStoreFailure) -> [SuppressionList.Entry] {
        try state.withLock { state throws(SuppressionStoreFailure) -> [SuppressionList.Entry] in
            if let failure = state.failure { throw failure }
            let list = SuppressionList(text: state.text)
            var added: [SuppressionList.Entry] = []
            if list.lines.isEmpty && !entries.isEmpty { state.text = SuppressionList.header }
            for entry in entries where !list.contains(entry.address) && !added.contains(where: { $0.address == entry.address }) {
                added.append(entry)
                state.text += entry.line + "\n"
            }
            return added
        }
    }

    public func remove(_ address: String) throws(SuppressionStoreFailure) -> Bool {
        try state.withLock { state throws(SuppressionStoreFailure) -> Bool in
            if let failure = state.failure { throw failure }
            guard let kept = SuppressionList(text: state.text).removing(address) else { return false }
            state.text = kept
            return true
        }
    }
}
