import Foundation

/// Sends a prepared campaign: for each recipient not yet done, a durable intent, the
/// message handed to a connection, the outcome logged.
///
/// The dispatcher knows the transports, journal and clock only through their protocols, so
/// every path is testable with fakes. The pipeline itself is `DispatchMachine` (every
/// decision, pure) driven by `DispatchRunner` (one writer task, a task per connection).
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
        /// A recipient list changed since the campaign was checked; nothing more is read from
        /// it (exit 65).
        case listChanged(String)
        /// A letter about to be handed over is not the approved one (``ApprovedLetters``);
        /// it and the letters after it were not sent (exit 77).
        case notApproved(String)
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
        /// Recipients skipped because their address is on the suppression list (a permanent
        /// bounce, `[bounces] suppress`): nothing claimed, nothing written for them.
        public var suppressed: [String] = []
        public var stop: Stop?

        public init() {}

        public static func == (lhs: Report, rhs: Report) -> Bool {
            lhs.sent == rhs.sent && lhs.failed == rhs.failed && lhs.deferred == rhs.deferred
                && lhs.alreadyDone == rhs.alreadyDone && lhs.inDoubt == rhs.inDoubt && lhs.stop == rhs.stop
                && lhs.suppressed == rhs.suppressed
                && lhs.partlyRefused.map(\.recipient) == rhs.partlyRefused.map(\.recipient)
                && lhs.partlyRefused.map(\.refused) == rhs.partlyRefused.map(\.refused)
        }
    }

    private let prepared: PreparedCampaign
    private let ledger: DeliveryLedger
    /// The connections' transports, until a run takes them (each is then owned by its connection's task).
    private let transports: TransportHandOff
    private let connections: Int
    private let journal: any DeliveryJournal
    private let clock: any HeraldClock
    private let random: @Sendable () -> Double
    private let occurrence: String?
    private let claimLimit: Int
    /// Addresses (lowercased, as `EmailAddress.normalized`) whose letters this run skips: the
    /// suppression list of a campaign with `[bounces] suppress = true`. Empty: none skipped.
    public var suppressed: Set<String> = []
    /// The approval in force (`send --approve`, the daemon's recorded approval): every letter
    /// is checked against it just before it is handed over. Nil: no check, no cost.
    public var approved: ApprovedLetters?

    /// - Parameters:
    ///   - transports: one per connection, each used by one task of its own; their number is
    ///     the run's concurrency (`[limits] concurrency`).
    ///   - clock: the time written in records and `Date` headers, read by the rate pacer and
    ///     the claim sizing, and slept on for backoffs and rate slots.
    ///   - random: uniform in [0, 1), for backoff jitter.
    ///   - claimLimit: the most letters claimed with one sync of the log (see `ClaimBatch`).
    public init(
        prepared: PreparedCampaign, ledger: DeliveryLedger, transports: sending [any MailTransport],
        journal: any DeliveryJournal, clock: any HeraldClock,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, occurrence: String? = nil,
        claimLimit: Int = 64
    ) {
        precondition(!transports.isEmpty, "a run needs at least one transport")
        self.occurrence = occurrence
        self.prepared = prepared
        self.ledger = ledger
        self.connections = transports.count
        self.transports = TransportHandOff(transports)
        self.journal = journal
        self.clock = clock
        self.random = random
        self.claimLimit = claimLimit
    }

    /// A run over one connection.
    public convenience init(
        prepared: PreparedCampaign, ledger: DeliveryLedger, transport: sending any MailTransport,
        journal: any DeliveryJournal, clock: any HeraldClock,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, occurrence: String? = nil,
        claimLimit: Int = 64
    ) {
        self.init(
            prepared: prepared, ledger: ledger, transports: [transport], journal: journal, clock: clock,
            random: random, occurrence: occurrence, claimLimit: claimLimit)
    }

    /// Runs the campaign once (a dispatcher runs once: the run takes its transports): letters
    /// are composed and claimed in list order, one task per transport hands them to the
    /// server, and outcomes are logged as they come (see `DispatchMachine`, `DispatchRunner`).
    ///
    /// A stop is the cancellation of the calling task: each connection finishes the letter it
    /// holds, letters claimed but not handed over get a `deferred` record, and the report's
    /// `stop` is `.interrupted`.
    ///
    /// - Parameters:
    ///   - resendInDoubt: resend recipients whose last record is an intent with no outcome
    ///     (same Message-ID); otherwise they are only reported.
    ///   - onRecord: called with each record once it is written, by the run's one writer, one
    ///     call at a time, in log order (for progress output).
    /// - Throws: `JournalFailure` when the log cannot be written: then nothing more is sent.
    public func run(
        resendInDoubt: Bool = false,
        onRecord: @escaping (DeliveryRecord) -> Void = { _ in }
    ) async throws -> Report {
        precondition(transports.count == connections, "a dispatcher runs once")
        let configuration = DispatchMachine.Configuration(
            campaign: prepared.campaign.name, fingerprint: prepared.fingerprint, occurrence: occurrence,
            batch: ClaimBatch(connections: connections, limit: claimLimit), retry: prepared.campaign.retry,
            limits: prepared.campaign.limits, ledger: ledger, resendInDoubt: resendInDoubt, suppressed: suppressed)
        let runner = DispatchRunner(
            prepared: prepared, journal: journal, clock: clock, random: random, occurrence: occurrence,
            approved: approved, onRecord: onRecord,
            machine: DispatchMachine(configuration, connections: connections))
        return try await runner.run(transports: transports)
    }

    /// The `error` of a `sent` record whose transport reported acceptance without the server's reply.
    static let noReplyCaptured = "no server reply to the end of the message was captured; the transport reported it accepted"

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
        /// Letters the server answered (or left unanswered) whose outcome is not in the log.
        public var inDoubt: [InDoubt]
        /// Letters claimed in the log but never handed to the server: the log may show them
        /// in doubt, but they did not leave.
        public var unsent: [InDoubt]

        public init(underlying: any Error, inDoubt: [InDoubt] = [], unsent: [InDoubt] = []) {
            self.underlying = underlying
            self.inDoubt = inDoubt
            self.unsent = unsent
        }

        public var description: String {
            var lines = ["\(underlying)"]
            for letter in inDoubt {
                lines.append(
                    "in doubt: \(letter.recipient) \(letter.messageID) (\(letter.reason ?? "")): check, then `herald send --resend-in-doubt` or record the answer with `herald resolve`"
                )
            }
            for letter in unsent {
                lines.append(
                    "not sent: \(letter.recipient) \(letter.messageID): claimed in the log but never handed to the server; the next run may list it in doubt")
            }
            return lines.joined(separator: "\n")
        }
    }
}
