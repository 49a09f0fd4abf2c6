/// Where and how to submit mail: the `[smtp]` table of a campaign file.
///
/// Holds the *name* of a secret's source, never the secret: the password is read
/// from `passwordEnv` or `passwordFile` at send time, by the edge that needs it.
public struct SMTPSettings: Sendable, Equatable {
    public var url: String
    /// The `tls` key as written, or nil when the campaign leaves it to the default.
    public var explicitTLS: TLSMode?
    public var username: String?
    public var passwordEnv: String?
    public var passwordFile: String?
    /// Seconds to wait for any server reply, the one after the end of DATA included.
    /// 600 by default (RFC 5321 §4.5.3.2.6): a shorter wait turns slow servers into duplicates.
    public var replyTimeout: Int = 600
    /// Trusted CA bundle (PEM) instead of the system store, resolved against the campaign file.
    public var caFile: String?
    /// `tls = "none"` to a non-loopback host, accepted knowingly (a warning is printed on every run).
    public var allowPlaintext = false

    public init(url: String, tls: TLSMode? = nil, username: String? = nil, passwordEnv: String? = nil, passwordFile: String? = nil) {
        self.url = url
        self.explicitTLS = tls
        self.username = username
        self.passwordEnv = passwordEnv
        self.passwordFile = passwordFile
    }

    /// The TLS mode in force: the campaign's, else the default for the URL's host.
    public var tls: TLSMode { explicitTLS ?? Self.defaultTLS(forURL: url) }

    /// Why these settings may not be used, or nil. Checked for the campaign file and
    /// again when `--smtp-url` replaces the URL.
    public var tlsProblem: String? {
        guard let parsed = SMTPURL(url) else { return "\"\(url)\" is not an smtp:// or smtps:// URL with a host (and no user or password in it)" }
        if tls == .none && !parsed.isLoopback && !allowPlaintext {
            return "tls \"none\" sends letters readable by anyone on the path; it is only allowed for a loopback host, or with allow_plaintext = true"
        }
        if tls == .none && parsed.secure { return "tls \"none\" contradicts an smtps:// URL" }
        if username != nil && !parsed.isLoopback && !parsed.secure && tls != .required {
            return "AUTH over a connection that may be plaintext would expose the password; use tls = \"required\" or smtps:// (plaintext AUTH is only allowed to a loopback host)"
        }
        if tls == .opportunistic && !parsed.isLoopback && username != nil {
            return "AUTH over opportunistic TLS, which does not check who the server is, would hand the password to anyone in the middle; use tls = \"required\" (AUTH over opportunistic TLS is only allowed to a loopback host)"
        }
        if tls == .opportunistic && !parsed.isLoopback && !allowPlaintext {
            return "tls \"opportunistic\" encrypts without checking the server's certificate, and sends in plaintext when STARTTLS is not offered; it is only allowed for a loopback host, or with allow_plaintext = true; use tls = \"required\""
        }
        return nil
    }

    /// A warning to print on every run, when the settings are allowed but unsafe.
    public var plaintextWarning: String? {
        guard tls != .required, let parsed = SMTPURL(url), !parsed.isLoopback else { return nil }
        if tls == .opportunistic {
            return "warning: \(url): opportunistic TLS (allow_plaintext = true): the server's certificate is not checked, and letters go in plaintext if STARTTLS is not offered"
        }
        return "warning: \(url): sending without TLS (allow_plaintext = true): letters can be read on the way"
    }

    /// The host part of `url`, without brackets, or nil when the URL is malformed.
    public var host: String? { SMTPURL(url)?.host }

    /// The default TLS mode for a URL: loopback may be plaintext, anything else must be encrypted.
    public static func defaultTLS(forURL url: String) -> TLSMode {
        guard let parsed = SMTPURL(url) else { return .required }
        if parsed.secure { return .required }
        return parsed.isLoopback ? .opportunistic : .required
    }
}

/// The parts of an `smtp://` or `smtps://` URL that Herald checks before libcurl sees it.
public struct SMTPURL: Sendable, Equatable {
    public var secure: Bool
    public var host: String
    public var port: Int?

    /// Parses `smtp[s]://host[:port][/path]`; returns nil for anything else, including user info in the URL
    /// (credentials belong in `username`/`password_env`, never in a URL that may be logged).
    public init?(_ text: String) {
        let rest: Substring
        if text.lowercased().hasPrefix("smtp://") {
            secure = false
            rest = text.dropFirst(7)
        } else if text.lowercased().hasPrefix("smtps://") {
            secure = true
            rest = text.dropFirst(8)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.isEmpty || authority.contains("@") { return nil }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                port = nil
            } else if after.hasPrefix(":"), let value = Int(after.dropFirst()), (1...65535).contains(value) {
                port = value
            } else {
                return nil
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, !parts[0].isEmpty else { return nil }
            host = String(parts[0])
            if parts.count == 2 {
                guard let value = Int(parts[1]), (1...65535).contains(value) else { return nil }
                port = value
            } else {
                port = nil
            }
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:")
        if !host.allSatisfy({ allowed.contains($0) }) { return nil }
    }

    /// True for 127.0.0.0/8, ::1 and `localhost`: traffic that never leaves the machine.
    public var isLoopback: Bool {
        let lower = host.lowercased()
        if lower == "localhost" || lower == "::1" { return true }
        let octets = lower.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
