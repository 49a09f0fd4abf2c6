import Foundation
import HeraldCore

/// A transport that replies from a script and checks that each message's intent was durable first.
public final class ScriptedTransport: MailTransport {
    /// Outcomes to return, per row address, in order; `accepted` once a script runs out.
    public var replies: [String: [DeliveryOutcome]]
    /// Every message handed over, in order.
    public var delivered: [ComposedMessage] = []
    public let journal: MemoryJournal
    /// For each message: whether its intent was the last durable record when it was handed over.
    public var intentWasDurable: [Bool] = []

    public init(journal: MemoryJournal, replies: [String: [DeliveryOutcome]] = [:]) {
        self.journal = journal
        self.replies = replies
    }

    public func deliver(_ message: ComposedMessage) -> DeliveryOutcome {
        delivered.append(message)
        let key = message.envelopeRecipients[0].normalized
        intentWasDurable.append(journal.durable.last.map { $0.status == .sending && $0.recipient == key } ?? false)
        if var script = replies[key], !script.isEmpty {
            let next = script.removeFirst()
            replies[key] = script
            return next
        }
        return .accepted(code: 250, reply: "250 2.0.0 Ok: queued as \(delivered.count)")
    }
}
