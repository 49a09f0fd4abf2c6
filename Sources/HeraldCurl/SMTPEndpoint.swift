import CCurl
import HeraldCore

/// Everything the transport needs to reach one SMTP server, secrets included.
///
/// Built at the edge from a campaign's `[smtp]` table and the password's source;
/// `description` never shows the password.
public struct SMTPEndpoint: Sendable, CustomStringConvertible {
    /// The server, as parsed when the campaign was read (or `--smtp-url` replaced it).
    public var url: SMTPURL
    public var tls: TLSMode
    public var username: String?
    public var password: String?
    /// Seconds allowed to connect (TCP plus greeting).
    public var connectTimeout: Int
    /// Seconds allowed for any single server reply, the one after the end of DATA included.
    /// RFC 5321 §4.5.3.2.6 asks for 10 minutes; less turns slow servers into duplicates.
    public var responseTimeout: Int
    /// A PEM bundle of trusted CAs instead of the system store.
    public var caFile: String?
    /// Messages sent over one connection before it is closed (QUIT) and a new one opened
    /// (`[limits] max_messages_per_connection`).
    public var maxMessagesPerConnection = SendLimits.default.maxMessagesPerConnection
    /// Receives the redacted SMTP protocol trace (`herald send --verbose`); nil for none.
    public var trace: (@Sendable (String) -> Void)?

    public init(
        url: SMTPURL, tls: TLSMode, username: String? = nil, password: String? = nil,
        connectTimeout: Int = 30, responseTimeout: Int = 600, caFile: String? = nil
    ) {
        self.url = url
        self.tls = tls
        self.username = username
        self.password = password
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.caFile = caFile
    }

    public var description: String {
        "\(url) (tls: \(tls.rawValue)\(username.map { ", user: \($0)" } ?? ""))"
    }
}

extension SMTPEndpoint {
    /// The TLS a connection to this server must have, for the transport and the probe alike.
    ///
    /// Opportunistic TLS (RFC 7435, Postfix's "may") encrypts when offered, whoever the
    /// certificate names; it is only allowed to a loopback host (`SMTPSettings.tlsProblem`).
    var security: CurlEasy.Security {
        let level: curl_usessl
        switch tls {
        case .required: level = CURLUSESSL_ALL
        case .opportunistic: level = CURLUSESSL_TRY
        case .none: level = CURLUSESSL_NONE
        }
        return CurlEasy.Security(level: level, verify: tls != .opportunistic, caFile: caFile)
    }
}
