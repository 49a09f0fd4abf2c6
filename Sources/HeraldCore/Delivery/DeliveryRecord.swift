import Foundation

/// What happened to one recipient's letter: one line of the JSON Lines delivery log.
public enum DeliveryStatus: String, Sendable, Codable, CaseIterable {
    /// Intent: about to hand the message to the server. Written and fsync'd first, so a
    /// crash afterwards leaves proof that the message may have left (in doubt).
    case sending
    /// The server accepted the message (250 after DATA).
    case sent
    /// The server refused it permanently (5xx); rerunning will not help.
    case failed
    /// Not delivered this time for a transient reason; the next run tries again.
    case deferred
    /// Written by `herald bounces`: a delivery report says the letter was refused for good
    /// (5.x.x) after a server accepted it. The letter is done: it is never sent again.
    case bounced
    /// Written by `herald bounces`: a delivery report says a server on the way is still trying
    /// (4.x.x). The letter is done as far as Herald is concerned: it is never sent again.
    case delayed
}

/// One delivery-log event. Field names are a contract read by scripts: see README "Delivery log".
public struct DeliveryRecord: Sendable, Equatable, Codable {
    /// RFC 3339 UTC time of the event.
    public var time: String
    public var campaign: String
    /// The recipient's address, lowercased: the log's key.
    public var recipient: String
    public var messageID: String
    public var status: DeliveryStatus
    /// 1 for the first attempt at this recipient, counting across runs.
    public var attempt: Int
    /// The server's final reply code, when it answered.
    public var smtpCode: Int?
    /// The server's final reply line, e.g. `250 2.0.0 Ok: queued as 1234`.
    public var smtpReply: String?
    /// What went wrong when there was no usable reply (connection refused, timeout …).
    public var error: String?
    /// On intents: SHA-256 of the template source, so a resumed campaign can tell the letter changed.
    public var templateSHA256: String?
    /// On intents: SHA-256 of the recipient's row, so a resumed campaign can tell the row changed.
    public var rowSHA256: String?
    /// Set on a record an operator wrote with `herald resolve`.
    public var note: String?
    /// For a recurring campaign sent by the daemon: the scheduled firing (RFC 3339 UTC) this
    /// letter belongs to. Part of the log's key, so each occurrence is sent once.
    public var occurrence: String?
    /// On `sending` and `sent` records: every `RCPT TO` address of the letter, the row's own first
    /// (with `Cc`/`Bcc` from the template or an address column). The letter reached all of them
    /// but those listed in `refused`.
    public var envelope: [String]?
    /// On `sent` records: envelope recipients other than the row's own that the server refused.
    public var refused: [DeliveryOutcome.Refusal]?
    /// On `sent` records: SHA-256 (hex) of the exact bytes handed to the server for this letter,
    /// as the transport reported them (proof of what went out; see README "Proof of dispatch").
    public var messageSHA256: String?
    /// On `sent` records over TLS: the protocol version (e.g. `TLSv1.3`) and cipher of the connection.
    public var tlsVersion: String?
    public var tlsCipher: String?
    /// SHA-256 (hex) of the previous record's line as written (without its newline), or
    /// `LogChain.genesis` for a log's first record: the hash chain `herald verify-log` checks.
    /// Set by the journal as it writes, on every record kind; nil on records written before
    /// Herald chained its log.
    public var prev: String?
    /// On `bounced` and `delayed` records: the delivery report's fields (see `BounceFields`,
    /// and `bounce` for them as one value). Flat, as they are in the log.
    public var dsnStatus: String?
    public var dsnRecipient: String?
    public var diagnosticCode: String?
    public var remoteMTA: String?
    public var bounceMessageID: String?
    public var bounceDate: String?
    public var imapUIDValidity: Int?
    public var imapUID: Int?

    enum CodingKeys: String, CodingKey {
        case time, campaign, recipient, status, attempt, error, note, occurrence, envelope, refused
        case dsnStatus = "dsn_status"
        case dsnRecipient = "dsn_recipient"
        case diagnosticCode = "diagnostic_code"
        case remoteMTA = "remote_mta"
        case bounceMessageID = "bounce_message_id"
        case bounceDate = "bounce_date"
        case imapUIDValidity = "imap_uidvalidity"
        case imapUID = "imap_uid"
        case templateSHA256 = "template_sha256"
        case rowSHA256 = "row_sha256"
        case messageID = "message_id"
        case smtpCode = "smtp_code"
        case smtpReply = "smtp_reply"
        case messageSHA256 = "message_sha256"
        case tlsVersion = "tls_version"
        case tlsCipher = "tls_cipher"
        case prev
    }

    public init(
        time: String, campaign: String, recipient: String, messageID: String, status: DeliveryStatus,
        attempt: Int, smtpCode: Int? = nil, smtpReply: String? = nil, error: String? = nil,
        templateSHA256: String? = nil, rowSHA256: String? = nil, note: String? = nil, occurrence: String? = nil,
        envelope: [String]? = nil, refused: [DeliveryOutcome.Refusal]? = nil, messageSHA256: String? = nil,
        tlsVersion: String? = nil, tlsCipher: String? = nil, prev: String? = nil,
        bounce: BounceFields? = nil
    ) {
        self.messageSHA256 = messageSHA256
        self.tlsVersion = tlsVersion
        self.tlsCipher = tlsCipher
        self.prev = prev
        self.envelope = envelope
        self.refused = refused
        self.time = time
        self.campaign = campaign
        self.recipient = recipient
        self.messageID = messageID
        self.status = status
        self.attempt = attempt
        self.smtpCode = smtpCode
        self.smtpReply = smtpReply
        self.error = error
        self.templateSHA256 = templateSHA256
        self.rowSHA256 = rowSHA256
        self.note = note
        self.occurrence = occurrence
        if let bounce { self.bounce = bounce }
    }

    /// Parses one log line; nil when it is not a complete record.
    /// The log's own lines are read on bytes (`parseCanonical`); any other line by `JSONDecoder`,
    /// whose verdict (nil: not a record) stands.
    public static func parse(line: String) -> DeliveryRecord? {
        var line = line
        if let record = line.withUTF8({ parseCanonical($0) }) { return record }
        return try? JSONDecoder().decode(DeliveryRecord.self, from: Data(line.utf8))
    }
}
