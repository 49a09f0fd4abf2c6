/// What the transport reports for one message, classified for the pipeline.
///
/// The classification, not a libcurl code, crosses the module boundary: the pipeline
/// decides what to log and whether to go on from this alone.
public enum DeliveryOutcome: Sendable, Equatable {
    /// 2xx after DATA: the server took responsibility for the message, for the row's own
    /// address and every other envelope recipient except those in `refused`.
    ///
    /// `code` and `reply` are the server's reply to the end of the message, exactly as
    /// received; both nil when the transport saw the message accepted without capturing
    /// that reply (libcurl reporting success), so the log never shows a reply that was not sent.
    case accepted(code: Int?, reply: String?, refused: [Refusal] = [])
    /// A 5xx reply: permanent refusal of this message (e.g. 550 unknown recipient).
    case rejected(code: Int, reply: String)
    /// Transient failure before the message was handed over (4xx, reset, timeout):
    /// safe to try again later.
    case deferred(code: Int?, reply: String?, error: String?)
    /// The body was sent but no final reply arrived: the server may have accepted it.
    case inDoubt(reply: String?, error: String)
    /// No connection could be made (refused, unreachable, greeting refused): the server is unavailable.
    case unavailable(error: String)
    /// The server refused the sender or the session, not a recipient: a 5xx to `MAIL FROM`,
    /// to the `DATA` command, at `RCPT` naming the sender, client or HELO name (Postfix's
    /// delayed restrictions), or to any command before the first `RCPT TO`. No recipient is
    /// at fault, and every letter would meet the same refusal.
    case senderRefused(code: Int, reply: String)
    /// The server refused the credentials: no message can be sent with them.
    case authenticationFailed(code: Int?, reply: String?)
    /// TLS could not be established or verified as the campaign requires.
    case tlsFailed(error: String)
    /// Herald itself refused to hand this message to this server (e.g. it needs SMTPUTF8,
    /// which the server does not offer); permanent for this server.
    case refused(reason: String)
}

extension DeliveryOutcome {
    /// An envelope recipient other than the row's own (a `Cc` or `Bcc`) that the server refused.
    public struct Refusal: Sendable, Equatable, Codable {
        public var recipient: String
        public var code: Int
        public var reply: String

        public init(recipient: String, code: Int, reply: String) {
            self.recipient = recipient
            self.code = code
            self.reply = reply
        }

        enum CodingKeys: String, CodingKey {
            case recipient
            case code = "smtp_code"
            case reply = "smtp_reply"
        }
    }
}
