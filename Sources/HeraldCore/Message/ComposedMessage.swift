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

    /// True when an envelope address is not ASCII: the server must offer SMTPUTF8.
    public var requiresSMTPUTF8: Bool {
        envelopeFrom.requiresSMTPUTF8 || envelopeRecipients.contains(where: \.requiresSMTPUTF8)
    }

    public init(envelopeFrom: EmailAddress, envelopeRecipients: [EmailAddress], messageID: String, subject: String, data: [UInt8]) {
        self.envelopeFrom = envelopeFrom
        self.envelopeRecipients = envelopeRecipients
        self.messageID = messageID
        self.subject = subject
        self.data = data
    }
}
