/// How the SMTP connection must be protected.
public enum TLSMode: String, Sendable, CaseIterable {
    /// STARTTLS is mandatory (or the URL is `smtps://`); the default for any non-loopback host.
    case required
    /// STARTTLS when the server offers it, plaintext otherwise.
    case opportunistic
    /// Plaintext only; accepted for loopback hosts.
    case none
}
