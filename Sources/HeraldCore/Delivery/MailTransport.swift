/// The seam between the send pipeline and a mail server.
///
/// Contract: `deliver` hands one composed message to the server (envelope from
/// `message.envelopeFrom`, recipients `message.envelopeRecipients`, the row's own address
/// first) and returns how it went, classified. It never throws and never retries: the
/// pipeline decides retries and writes the log. Implementations keep one connection open
/// across calls where the server allows, and are used by one task at a time (a run's
/// connection task owns its transport). `deliver` must not block Swift's cooperative pool
/// (a blocking client runs on threads of its own, as `CurlTransport` does) and is not cut
/// short by cancellation: a stop lets the letter being handed over finish.
/// The real one is `CurlTransport` (HeraldCurl); tests use `ScriptedTransport`.
public protocol MailTransport: AnyObject {
    func deliver(_ message: ComposedMessage) async -> DeliveryOutcome
    /// After a `deliver` that returned `.accepted`: what the transport attests about that
    /// hand-over (hash of the bytes, TLS); nil when it attests nothing. Read by the task
    /// that called `deliver`, before its next call.
    var lastHandOver: HandOverProof? { get }
    /// Where this transport's hand-overs run, when it has a place of its own (a thread for a
    /// blocking client); nil when any executor will do. The task that owns the transport runs
    /// on it (prefers it), so a hand-over does not hop to another thread and back per letter.
    var deliveryExecutor: (any TaskExecutor)? { get }
}

extension MailTransport {
    /// A transport that attests nothing (the default).
    public var lastHandOver: HandOverProof? { nil }
    /// No executor of its own (the default): the owning task runs where Swift puts it.
    public var deliveryExecutor: (any TaskExecutor)? { nil }
}
