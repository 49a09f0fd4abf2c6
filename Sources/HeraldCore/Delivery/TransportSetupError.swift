/// Why a `MailTransport` could not be made for a campaign; raised before any message is
/// sent, so nothing is lost.
///
/// Two kinds, each with its exit status in the CLI: the campaign's settings cannot be used
/// as they are (a configuration error, 78), or the transport cannot be built here at all
/// (the server is unavailable from this process, 69).
public enum TransportSetupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The campaign asks for `now` to a server this process already uses with `first`.
    /// One TLS setting per server and process: a reused connection must never carry a
    /// weaker requirement than a campaign asked for. A campaign configuration error.
    case conflictingTLS(server: String, first: TLSMode, now: TLSMode)
    /// The transport's machinery refused (an SMTP library that cannot be initialised, an
    /// option it does not take): nothing can reach the server.
    case unavailable(String)

    public var description: String {
        switch self {
        case .conflictingTLS(let server, let first, let now):
            return
                "\(server) is already used with tls \"\(first.rawValue)\" in this process; refusing tls \"\(now.rawValue)\" to the same server (one TLS setting per server and process)"
        case .unavailable(let reason):
            return reason
        }
    }
}
