import Foundation
import HeraldCore

/// A transport that replies from a script and checks that each message's intent was durable first.
///
/// Thread-safe, so one instance can stand for every connection of a concurrent run.
public final class ScriptedTransport: MailTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [String: [DeliveryOutcome]]
    private var handedOver: [ComposedMessage] = []
    private var durableChecks: [Bool] = []
    public let journal: MemoryJournal
    private var onDeliverHook: @Sendable (ComposedMessage) async -> Void = { _ in }
    /// Called with each message as it is handed over, before the reply (e.g. to hold a
    /// connection, or to stop the run); it may suspend, never block.
    public var onDeliver: @Sendable (ComposedMessage) async -> Void {
        get { lock.withLock { onDeliverHook } }
        set { lock.withLock { onDeliverHook = newValue } }
    }

    private var executor: (any TaskExecutor)?
    /// Where the owning task should run (nil by default, as for a transport that does not block).
    public var deliveryExecutor: (any TaskExecutor)? {
        get { lock.withLock { executor } }
        set { lock.withLock { executor = newValue } }
    }

    public init(journal: MemoryJournal, replies: [String: [DeliveryOutcome]] = [:]) {
        self.journal = journal
        self.script = replies
    }

    /// Outcomes to return, per row address, in order; `accepted` once a script runs out.
    public var replies: [String: [DeliveryOutcome]] {
        get { lock.withLock { script } }
        set { lock.withLock { script = newValue } }
    }
    /// Every message handed over, in order.
    public var delivered: [ComposedMessage] { lock.withLock { handedOver } }
    /// For each message: whether its latest intent was durable, with no outcome after it, when it was handed over.
    public var intentWasDurable: [Bool] { lock.withLock { durableChecks } }

    public func deliver(_ message: ComposedMessage) async -> DeliveryOutcome {
        let key = message.envelopeRecipients[0].normalized
        let durable = journal.durable
        let last = durable.last(where: { $0.recipient == key && $0.messageID == message.messageID })
        let claimed = last?.status == .sending
        let hook = lock.withLock { onDeliverHook }
        await hook(message)
        return lock.withLock { () -> DeliveryOutcome in
            handedOver.append(message)
            durableChecks.append(claimed)
            if var replies = script[key], !replies.isEmpty {
                let next = replies.removeFirst()
                script[key] = replies
                return next
            }
            return .accepted(code: 250, reply: "250 2.0.0 Ok: queued as \(handedOver.count)")
        }
    }
}
