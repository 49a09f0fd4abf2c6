/// What a transport can attest about the last letter the server accepted: the SHA-256 of
/// the exact bytes it handed over, and the TLS protocol and cipher of the connection.
///
/// Reported by the transport (`MailTransport.lastHandOver`) on the sender's thread, so the
/// hash is computed off the run's writer lock; the pipeline copies it into the `sent` record
/// (`message_sha256`, `tls_version`, `tls_cipher`). Contract: `messageSHA256` is of the bytes
/// the transport gave its SMTP client for DATA, before dot-stuffing: what the server stores.
public struct HandOverProof: Sendable, Equatable {
    /// SHA-256 of the message bytes handed over, 64 lowercase hex digits.
    public var messageSHA256: String
    /// The connection's TLS protocol version (`TLSv1.3`), nil when the letter went in plaintext.
    public var tlsVersion: String?
    /// The connection's TLS cipher (`TLS_AES_256_GCM_SHA384`), nil in plaintext.
    public var tlsCipher: String?

    public init(messageSHA256: String, tlsVersion: String? = nil, tlsCipher: String? = nil) {
        self.messageSHA256 = messageSHA256
        self.tlsVersion = tlsVersion
        self.tlsCipher = tlsCipher
    }
}
