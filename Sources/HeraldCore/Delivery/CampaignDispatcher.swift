import Foundation

/// Sends a prepared campaign: for each recipient not yet done, write a durable intent,
/// hand the message to the transport, write the outcome.
///
/// The dispatcher knows the transport and journal only through their protocols and
/// takes the clock as a function, so every path is testable with fakes.
public final class CampaignDispatcher {
    /// Why a run ended before reaching every recipient.
    public enum Stop: Sendable, Equatable {
        /// No connection to the server could be made (exit 69).
        case unavailable(String)
        /// The server refused the credentials (exit 77).
        case authenticationFailed(String)
        /// TLS could not be set up as required (exit 69).
        case tlsFailed(String)
        /// The server refused the sender or the session (see `DeliveryOutcome.senderRefused`),
        /// so no letter can go (exit 69).
        case senderRefused(String)
        /// A stop was requested (signal); nothing is left in flight (exit 75).
        case interrupted
    }

    /// A recipient whose letter may or may not have been accepted.
    public struct InDoubt: Sendable, Equatable {
        public var recipient: String
        public var messageID: String
        /// What happened, when this run left it in doubt; nil when found in doubt in the log.
        public var reason: String?

        public init(recipient: String, messageID: String, reason: String? = nil) {
            self.recipient = recipient
            self.messageID = messageID
            self.reason = reason
        }
    }

    /// What one run did.
    public struct Report: Sendable, Equatable {
        public var sent = 0
        public var failed = 0
        public var deferred = 0
        /// Letters sent to the row's address while a `Cc` or `Bcc` was refused: (row key, refusals).
        public var partlyRefused: [(recipient: String, refused: [DeliveryOutcome.Refusal])] = []
        /// Recipients the log already recorded as sent or failed, skipped this run.
        public var alreadyDone = 0
        /// Recipients in doubt, not sent this run (or left in doubt by this run).
        public var inDoubt: [InDoubt] = []
        public var stop: Stop?

        public init() {}

        public static func == (lhs: Report, rhs: Report) -> Bool {
            lhs.sent == rhs.sent && lhs.failed == rhs.failed && lhs.deferred == rhs.deferred
                && lhs.alreadyDone == rhs.alreadyDone && lhs.inDoubt == rhs.inDoubt && lhs.stop == rhs.stop
                && lhs.partlyRefused.map(\.recipient) == rhs.partlyRefused.map(\.recipient)
                && lhs.partlyRefused.map(\.refused) == rhs.partlyRefused.map(\.refused)
        }
    }

    private let prepared: PreparedCampaign
    private var ledger: DeliveryLedger
    private let transport: MailTransport
    private let journal: DeliveryJournal
    private let clock: () -> Date
    private let pause: (Double) -> Bool
    private let random: () -> Double
    private let occurrence: String?

    /// - Parameters:
    ///   - pause: waits the given seconds before a retry; returns false when a stop was
    ///     requested meanwhile (the run then ends cleanly).
    ///   - random: uniform in [0, 1), for backoff jitter.
    public init(prepared: PreparedCampaign, ledger: DeliveryLedger, transport: MailTransport,
                journal: DeliveryJournal, clock: @escaping () -> Date,
                pause: @escaping (Double) -> Bool = { _ in true },
                random: @escaping () -> Double = { Double.random(in: 0..<1) }, occurrence: String? = nil) {
        self.occurrence = occurrence
        self.prepared = prepared
        self.ledger = ledger
        self.transport = transport
        self.journal = journal
        self.clock = clock
        self.pause = pause
        self.random = random
    }

    /// Runs the campaign once.
    ///
    /// - Parameters:
    ///   - resendInDoubt: resend recipients whose last record is an intent with no outcome
    ///     (same Message-ID); otherwise they are only reported.
    ///   - shouldStop: polled before each message; true ends the run cleanly.
    ///   - onRecord: called after each record is durable (for progress output).
    /// - Throws: only journal write errors: then nothing more is sent.
    public func run(resendInDoubt: Bool = false, shouldStop: () -> Bool = { false },
                    onRecord: (DeliveryRecord) -> Void = { _ in }) throws -> Report {
        var report = Report()
        recipients: for recipient in prepared.recipients {
            if let entry = ledger[recipient.key] {
                if entry.isDone { report.alreadyDone += 1; continue }
                if entry.isInDoubt && !resendInDoubt {
                    report.inDoubt.append(InDoubt(recipient: recipient.key, messageID: entry.last.messageID))
                    continue
                }
            }
            var tries = 0
            while true {
                if shouldStop() { report.stop = .interrupted; break recipients }
                tries += 1
                let outcome = try attempt(recipient, onRecord: onRecord)
                switch outcome {
                case .accepted(_, _, let refused):
                    report.sent += 1
                    if !refused.isEmpty { report.partlyRefused.append((recipient.key, refused)) }
                case .rejected, .refused: report.failed += 1
                case .inDoubt(_, let error):
                    report.inDoubt.append(InDoubt(recipient: recipient.key, messageID: ledger[recipient.key]!.last.messageID, reason: error))
                case .authenticationFailed(_, let reply):
                    report.deferred += 1
                    report.stop = .authenticationFailed(reply ?? "authentication failed")
                    break recipients
                case .tlsFailed(let error):
                    report.deferred += 1
                    report.stop = .tlsFailed(error)
                    break recipients
                case .senderRefused(_, let reply):
                    report.deferred += 1
                    report.stop = .senderRefused(reply)
                    break recipients
                case .deferred, .unavailable:
                    if tries < prepared.campaign.retry.maxAttempts {
                        let wait = prepared.campaign.retry.delay(beforeRetry: tries, random: random())
                        if pause(wait) { continue }
                        report.deferred += 1
                        report.stop = .interrupted
                        break recipients
                    }
                    report.deferred += 1
                    if case .unavailable(let error) = outcome {
                        // The server stayed unreachable through every retry: later recipients would fare no better.
                        report.stop = .unavailable(error)
                        break recipients
                    }
                }
                break
            }
        }
        return report
    }

    /// The `error` of a `sent` record whose transport reported acceptance without the server's reply.
    static let noReplyCaptured = "no server reply to the end of the message was captured; the transport reported it accepted"

    /// One attempt at one recipient: durable intent, hand-over, outcome record.
    /// An in-doubt outcome writes no record: the intent stays the last word.
    private func attempt(_ recipient: Recipient, onRecord: (DeliveryRecord) -> Void) throws -> DeliveryOutcome {
        // A prepared campaign composes (it was checked); a throw here is a bug worth surfacing.
        let message = try prepared.compose(recipient, date: clock(), occurrence: occurrence)
        let attempt = (ledger[recipient.key]?.attempts ?? 0) + 1
        let envelope = message.envelopeRecipients.map(\.description)
        func record(_ status: DeliveryStatus, code: Int? = nil, reply: String? = nil, error: String? = nil,
                    refused: [DeliveryOutcome.Refusal] = []) throws {
            let intent = status == .sending
            let record = DeliveryRecord(time: RFC5322Date.rfc3339(clock()), campaign: prepared.campaign.name,
                                        recipient: recipient.key, messageID: message.messageID, status: status,
                                        attempt: attempt, smtpCode: code, smtpReply: reply, error: error,
                                        templateSHA256: intent ? prepared.template.fingerprint : nil,
                                        rowSHA256: intent ? recipient.fingerprint : nil, occurrence: occurrence,
                                        envelope: intent || status == .sent ? envelope : nil,
                                        refused: refused.isEmpty ? nil : refused)
            try journal.append(record, durable: true)
            ledger.apply(record)
            onRecord(record)
        }
        try record(.sending)
        let outcome = transport.deliver(message)
        do {
            // An in-doubt outcome writes no record: the intent stays the last word.
            switch outcome {
            case .accepted(let code, let reply, let refused):
                try record(.sent, code: code, reply: reply, error: reply == nil ? Self.noReplyCaptured : nil, refused: refused)
            case .rejected(let code, let reply): try record(.failed, code: code, reply: reply)
            case .deferred(let code, let reply, let error): try record(.deferred, code: code, reply: reply, error: error)
            case .inDoubt: break
            case .unavailable(let error): try record(.deferred, error: error)
            case .authenticationFailed(let code, let reply): try record(.deferred, code: code, reply: reply, error: "authentication failed")
            case .tlsFailed(let error): try record(.deferred, error: error)
            case .senderRefused(let code, let reply): try record(.deferred, code: code, reply: reply, error: "the server refused the sender")
            case .refused(let reason): try record(.failed, error: reason)
            }
        } catch {
            // The letter left (or was answered), but the log cannot say so: its intent is the
            // last word, so the next run reports it in doubt. Name it now, with what happened.
            throw JournalFailure(underlying: error, inDoubt: InDoubt(recipient: recipient.key, messageID: message.messageID,
                                                                     reason: "the server's answer (\(Self.describe(outcome))) could not be logged"))
        }
        return outcome
    }

    /// An outcome in a few words, for messages.
    static func describe(_ outcome: DeliveryOutcome) -> String {
        switch outcome {
        case .accepted(_, let reply, _): return "accepted: \(reply ?? "no reply captured")"
        case .rejected(_, let reply): return "refused: \(reply)"
        case .deferred(_, let reply, let error): return "deferred: \(reply ?? error ?? "")"
        case .inDoubt(_, let error): return "no final reply: \(error)"
        case .unavailable(let error): return "unavailable: \(error)"
        case .authenticationFailed(_, let reply): return "login refused: \(reply ?? "")"
        case .tlsFailed(let error): return "TLS failed: \(error)"
        case .senderRefused(_, let reply): return "sender refused: \(reply)"
        case .refused(let reason): return "not sent: \(reason)"
        }
    }

    /// The delivery log could not be written: nothing more is sent. When the failing write
    /// was an outcome, the letter it belongs to is in doubt, and said so by name.
    public struct JournalFailure: Error, CustomStringConvertible {
        public var underlying: any Error
        public var inDoubt: InDoubt?

        public var description: String {
            guard let inDoubt else { return "\(underlying)" }
            return "\(underlying)\nin doubt: \(inDoubt.recipient) \(inDoubt.messageID) (\(inDoubt.reason ?? "")): check, then `herald send --resend-in-doubt` or record the answer with `herald resolve`"
        }
    }
}
