/// Where and how to submit mail: the `[smtp]` table of a campaign file.
///
/// Holds the *name* of a secret's source, never the secret: the password is read
/// from `passwordEnv` or `passwordFile` at send time, by the edge that needs it.
public struct SMTPSettings: Sendable, Equatable {
    /// The server, parsed once: when the campaign file is read, or when `--smtp-url` replaces it.
    public var url: SMTPURL
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

    public init(url: SMTPURL, tls: TLSMode? = nil, username: String? = nil, passwordEnv: String? = nil, passwordFile: String? = nil) {
        self.url = url
        self.explicitTLS = tls
        self.username = username
        self.passwordEnv = passwordEnv
        self.passwordFile = passwordFile
    }

    /// The TLS mode in force: the campaign's, else the default for the URL's host.
    public var tls: TLSMode { explicitTLS ?? url.defaultTLS }

    /// Why these settings may not be used, or nil. Checked for the campaign file and
    /// again when `--smtp-url` replaces the URL.
    public var tlsProblem: String? {
        if tls == .none && !url.isLoopback && !allowPlaintext {
            return "tls \"none\" sends letters readable by anyone on the path; it is only allowed for a loopback host, or with allow_plaintext = true"
        }
        if tls == .none && url.secure { return "tls \"none\" contradicts an smtps:// URL" }
        if username != nil && !url.isLoopback && !url.secure && tls != .required {
            return
                "AUTH over a connection that may be plaintext would expose the password; use tls = \"required\" or smtps:// (plaintext AUTH is only allowed to a loopback host)"
        }
        if tls == .opportunistic && !url.isLoopback && username != nil {
            return
                "AUTH over opportunistic TLS, which does not check who the server is, would hand the password to anyone in the middle; use tls = \"required\" (AUTH over opportunistic TLS is only allowed to a loopback host)"
        }
        if tls == .opportunistic && !url.isLoopback && !allowPlaintext {
            return
                "tls \"opportunistic\" encrypts without checking the server's certificate, and sends in plaintext when STARTTLS is not offered; it is only allowed for a loopback host, or with allow_plaintext = true; use tls = \"required\""
        }
        return nil
    }

    /// A warning to print on every run, when the settings are allowed but unsafe.
    public var plaintextWarning: String? {
        guard tls != .required, !url.isLoopback else { return nil }
        if tls == .opportunistic {
            return
                "warning: \(url): opportunistic TLS (allow_plaintext = true): the server's certificate is not checked, and letters go in plaintext if STARTTLS is not offered"
        }
        return "warning: \(url): sending without TLS (allow_plaintext = true): letters can be read on the way"
    }
}

/// An `smtp://` or `smtps://` URL, checked before libcurl sees it, with the text as written.
///
/// `init(parsing:)` is the one place where text becomes an `SMTPURL`: the campaign file's
/// `smtp.url` and `--smtp-url` go through it once, and everything after holds the parsed value.
public struct SMTPURL: Sendable, Equatable, CustomStringConvertible {
    /// The URL exactly as written; what libcurl is given and what messages show.
    public let text: String
    public let secure: Bool
    /// The host, without the brackets of an IPv6 literal.
    public let host: String
    public let port: Int?
    /// The URL's path without its `/`: the name libcurl gives in `EHLO`/`HELO` (its default,
    /// when there is none, is this machine's host name). Nil when the URL has no path.
    public let ehloName: String?

    /// Text that is not an SMTP URL Herald accepts.
    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        public var text: String
        /// What in particular is wrong, when more can be said than the general shape.
        public var reason: String? = nil

        public var description: String {
            if let reason { return "\"\(text)\": \(reason)" }
            return "\"\(text)\" is not an smtp:// or smtps:// URL with a host (and no user or password in it)"
        }
    }

    /// Parses `smtp[s]://host[:port][/path]`; anything else is refused, including user info in the URL
    /// (credentials belong in `username`/`password_env`, never in a URL that may be logged).
    public init(parsing text: String) throws(Malformed) {
        let malformed = Malformed(text: text)
        let rest: Substring
        if text.lowercased().hasPrefix("smtp://") {
            secure = false
            rest = text.dropFirst(7)
        } else if text.lowercased().hasPrefix("smtps://") {
            secure = true
            rest = text.dropFirst(8)
        } else {
            throw malformed
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.isEmpty || authority.contains("@") { throw malformed }
        let hostPart: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw malformed }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                port = nil
            } else if after.hasPrefix(":"), let value = Int(after.dropFirst()), (1...65535).contains(value) {
                port = value
            } else {
                throw malformed
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, !parts[0].isEmpty else { throw malformed }
            hostPart = parts[0]
            if parts.count == 2 {
                guard let value = Int(parts[1]), (1...65535).contains(value) else { throw malformed }
                port = value
            } else {
                port = nil
            }
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:")
        if !hostPart.allSatisfy({ allowed.contains($0) }) { throw malformed }
        // What follows the host is libcurl's EHLO name: a domain name, or nothing. Anything
        // else (spaces, %-escapes, CR/LF, a query) libcurl would refuse at every attempt,
        // which would defer every letter instead of saying so once.
        let path = rest.dropFirst(authority.count)
        if path.isEmpty || path == "/" {
            ehloName = nil
        } else {
            let name = path.dropFirst()
            let nameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
            guard path.hasPrefix("/"), name.count <= 253, name.first != "-", name.first != ".",
                name.allSatisfy({ nameCharacters.contains($0) })
            else {
                throw Malformed(
                    text: text,
                    reason:
                        "the part after the host, \"\(String(path).debugVisible)\", is the name Herald gives in EHLO: write a domain name (smtp://host:port/mail.example.org) or nothing"
                )
            }
            ehloName = String(name)
        }
        self.text = text
        self.host = String(hostPart)
    }

    public var description: String { text }

    /// True for 127.0.0.0/8, ::1 and `localhost`: traffic that never leaves the machine.
    public var isLoopback: Bool {
        let lower = host.lowercased()
        if lower == "localhost" || lower == "::1" { return true }
        let octets = lower.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// The default TLS mode for this server: loopback may be plaintext, anything else must be encrypted.
    public var defaultTLS: TLSMode {
        if secure { return .required }
        return isLoopback ? .opportunistic : .required
    }

    /// `scheme://host:port` with the host lowercased and the default port filled in: the same
    /// server however the URL spells it.
    public var server: String {
        "\(secure ? "smtps" : "smtp")://\(host.lowercased()):\(port ?? (secure ? 465 : 25))"
    }
}

extension SMTPURL: ExpressibleByStringLiteral {
    /// A URL written in source code (tests, fixtures). An invalid literal is a programming
    /// error and stops the program; text from a user goes through `init(parsing:)`.
    public init(stringLiteral text: String) {
        do { try self.init(parsing: text) } catch { preconditionFailure("\(error)") }
    }
}
