/// A message ready for SMTP: envelope and RFC 5322 bytes with CRLF line ends.
public struct ComposedMessage: Sendable, Equatable {
    /// `MAIL FROM` address.
    public var envelopeFrom: EmailAddress
    /// `RCPT TO` addresses: To, Cc and Bcc (Bcc appears only here, never in the headers).
    public var envelopeRecipients: [EmailAddress]
    public var messageID: String
    /// The decoded subject, for tables and logs.
    public var subject: String
    /// The whole message, headers and body, CRLF line ends, 7-bit.
    public var data: [UInt8]
    /// Where the `Date` header's value lies in `data`: the one part of a message that is the
    /// time of composing, left out of its review hash (``ReviewManifest``) so the same inputs
    /// give the same hash at preview and at send. Nil for a message built by hand.
    public var dateRange: Range<Int>?
    /// Where the `DKIM-Signature` field lies in `data` (the message's first field), when the
    /// campaign signs: a function of the rest, the key and the time of signing, so it is left
    /// out of the review hash as the date is.
    public var signatureRange: Range<Int>?

    /// True when an envelope address is not ASCII: the server must offer SMTPUTF8.
    public var requiresSMTPUTF8: Bool {
        envelopeFrom.requiresSMTPUTF8 || envelopeRecipients.contains(where: \.requiresSMTPUTF8)
    }

    /// Equal when they carry the same envelope and bytes; where the date lies is derived.
    public static func == (a: ComposedMessage, b: ComposedMessage) -> Bool {
        a.envelopeFrom == b.envelopeFrom && a.envelopeRecipients == b.envelopeRecipients && a.messageID == b.messageID
            && a.subject == b.subject && a.data == b.data
    }

    public init(envelopeFrom: EmailAddress, envelopeRecipients: [EmailAddress], messageID: String, subject: String, data: [UInt8]) {
        self.envelopeFrom = envelopeFrom
        self.envelopeRecipients = envelopeRecipients
        self.messageID = messageID
        self.subject = subject
        self.data = data
    }
}
