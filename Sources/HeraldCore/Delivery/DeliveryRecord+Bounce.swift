/// The fields a `bounced` or `delayed` record adds: what the delivery report said, and where
/// the report was found, so it can be looked up again and is never counted twice.
///
/// In the log and on `DeliveryRecord` they are flat keys beside the others (`dsn_status`,
/// `diagnostic_code`, …; see README "Bounces"); grouped here for building and reading them.
public struct BounceFields: Sendable, Equatable {
    /// The RFC 3463 status the report gave, e.g. `5.1.1`.
    public var dsnStatus: String?
    /// The address the report is about, when it is not the row's own (a `Cc` of the letter)
    /// or when the report names it; lowercased.
    public var dsnRecipient: String?
    /// The report's `Diagnostic-Code` (or the reply line of a text bounce).
    public var diagnosticCode: String?
    /// The server that refused or delays the letter (`Remote-MTA`).
    public var remoteMTA: String?
    /// The report's own Message-ID: the same report found again is not recorded again.
    public var bounceMessageID: String?
    /// The report's `Date` header, as written.
    public var bounceDate: String?
    /// The IMAP folder's UIDVALIDITY and the report's UID in it when it was read: a UID means
    /// nothing without its UIDVALIDITY.
    public var imapUIDValidity: Int?
    public var imapUID: Int?

    public init(
        dsnStatus: String? = nil, dsnRecipient: String? = nil, diagnosticCode: String? = nil, remoteMTA: String? = nil,
        bounceMessageID: String? = nil, bounceDate: String? = nil, imapUIDValidity: Int? = nil, imapUID: Int? = nil
    ) {
        self.dsnStatus = dsnStatus
        self.dsnRecipient = dsnRecipient
        self.diagnosticCode = diagnosticCode
        self.remoteMTA = remoteMTA
        self.bounceMessageID = bounceMessageID
        self.bounceDate = bounceDate
        self.imapUIDValidity = imapUIDValidity
        self.imapUID = imapUID
    }

    var isEmpty: Bool { self == BounceFields() }
}

extension DeliveryRecord {
    /// The delivery-report fields as one value; nil when the record has none.
    public var bounce: BounceFields? {
        get {
            let fields = BounceFields(
                dsnStatus: dsnStatus, dsnRecipient: dsnRecipient, diagnosticCode: diagnosticCode,
                remoteMTA: remoteMTA, bounceMessageID: bounceMessageID, bounceDate: bounceDate,
                imapUIDValidity: imapUIDValidity, imapUID: imapUID)
            return fields.isEmpty ? nil : fields
        }
        set {
            dsnStatus = newValue?.dsnStatus
            dsnRecipient = newValue?.dsnRecipient
            diagnosticCode = newValue?.diagnosticCode
            remoteMTA = newValue?.remoteMTA
            bounceMessageID = newValue?.bounceMessageID
            bounceDate = newValue?.bounceDate
            imapUIDValidity = newValue?.imapUIDValidity
            imapUID = newValue?.imapUID
        }
    }
}
