/// Where a campaign's bounces arrive and what to do with them: the `[bounces]` table.
///
/// Like `[smtp]`, holds the *name* of the password's source, never the password. TLS: an
/// `imaps://` URL is TLS from the start; `imap://` upgrades with STARTTLS and requires it
/// (the certificate verified), except to a loopback host, where plaintext is allowed.
public struct BounceSettings: Sendable, Equatable {
    public var url: IMAPURL
    public var username: String
    public var passwordEnv: String?
    public var passwordFile: String?
    /// Trusted CA bundle (PEM) instead of the system store, resolved against the campaign file.
    public var caFile: String?
    /// Where processed bounces are moved (created if missing); `Processed` by default.
    public var processedFolder = "Processed"
    /// How often the daemon reads the mailbox, in seconds; 300 by default.
    public var pollSeconds = 300
    /// Letters go out with a per-letter envelope sender (`VERP`), and bounces are also
    /// attributed by the token in the address they come back to.
    public var verp = false
    /// Permanently bounced addresses go into the suppression list, which `herald send` (and the
    /// daemon) of every campaign with this set skips.
    public var suppress = false

    public init(url: IMAPURL, username: String, passwordEnv: String? = nil, passwordFile: String? = nil) {
        self.url = url
        self.username = username
        self.passwordEnv = passwordEnv
        self.passwordFile = passwordFile
    }
}

/// An `imap://` or `imaps://` URL naming a mailbox folder, checked before libcurl sees it.
public struct IMAPURL: Sendable, Equatable, CustomStringConvertible {
    /// The URL as written.
    public let text: String
    public let secure: Bool
    public let host: String
    public let port: Int?
    /// The folder the URL names (`INBOX` when it names none), percent-decoding not applied.
    public let folder: String
    public let isLoopback: Bool

    /// Parses `imap[s]://host[:port][/FOLDER]`; user info in the URL is refused (credentials
    /// belong in `username`/`password_env`), as are `;`-parameters (Herald adds its own).
    public init(parsing text: String) throws(SMTPURL.Malformed) {
        let lowered = text.lowercased()
        let secure: Bool, rest: Substring
        if lowered.hasPrefix("imap://") {
            secure = false; rest = text.dropFirst(7)
        } else if lowered.hasPrefix("imaps://") {
            secure = true; rest = text.dropFirst(8)
        } else {
            throw SMTPURL.Malformed(text: text, reason: "not an imap:// or imaps:// URL with a host (and no user or password in it)")
        }
        let authority = rest.prefix { $0 != "/" }
        var folder = String(rest.dropFirst(authority.count).drop { $0 == "/" })
        if folder.contains(";") || folder.contains("?") || folder.contains("#") {
            throw SMTPURL.Malformed(text: text, reason: "give the folder alone (imap://host/INBOX), without ;UID= or other parameters")
        }
        if folder.hasSuffix("/") { folder.removeLast() }
        let smtp: SMTPURL
        do { smtp = try SMTPURL(parsing: (secure ? "smtps://" : "smtp://") + authority) } catch {
            throw SMTPURL.Malformed(text: text, reason: "not an imap:// or imaps:// URL with a host (and no user or password in it)")
        }
        self.text = text
        self.secure = secure
        host = smtp.host
        port = smtp.port
        isLoopback = smtp.isLoopback
        self.folder = folder.isEmpty ? "INBOX" : folder
    }

    /// The server's root, `imap[s]://host[:port]/`, for commands on no folder (CREATE).
    public var root: String {
        let scheme = secure ? "imaps" : "imap"
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostText)\(port.map { ":\($0)" } ?? "")/"
    }

    public var description: String { text }
}
