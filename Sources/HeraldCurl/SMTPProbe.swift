import CCurl
import Foundation
import HeraldCore

/// A pre-flight conversation with a campaign's SMTP server that sends no mail (`herald check`).
///
/// libcurl's connect-only mode (`CURLOPT_CONNECT_ONLY`): for SMTP, libcurl 7.88 runs the whole
/// connection phase (greeting, EHLO, STARTTLS and the EHLO after it, AUTH) and stops before the
/// DO phase, where `MAIL FROM` would be sent; so the probe meets the server exactly as a send
/// would, with the same TLS and AUTH settings (`CurlTransport`'s), and issues no `MAIL FROM`.
/// Replies are seen through the same header callback as a send (AUTH not offered while
/// credentials are configured is refused the same way), the TLS session is read from inside it.
/// The session ends with `QUIT` (`SMTPProbe+Quit.swift`): libcurl sends none in this mode.
public struct SMTPProbe {
    /// What the server said and did.
    public struct Report: Sendable {
        /// Why the conversation ended before the server was ready for a letter.
        public enum Failure: Sendable, Equatable {
            /// No connection, a refused greeting, a refused EHLO: what a send calls unavailable (69).
            case unavailable(String)
            /// STARTTLS missing where required, a handshake or certificate failure (69).
            case tls(String)
            /// The server refused the login (77), or offered no AUTH while credentials are configured.
            case authentication(String)
        }

        /// The greeting line (`220 …`), when one came.
        public var greeting: String?
        /// The capabilities of the last EHLO reply (after STARTTLS when it was used), as sent.
        public var capabilities: [String] = []
        /// The connection's TLS, when it was encrypted.
        public var tls: TLSConnectionInfo?
        /// The certificate was checked (tls = required); false for opportunistic TLS.
        public var certificateVerified = false
        /// The server's reply to the login: `235 …` on success; nil when no login was attempted.
        public var authReply: String?
        /// The server's answer to `QUIT` (`221 …`); nil when the session never got that far,
        /// or the server closed or stayed silent instead of answering.
        public var quitReply: String?
        public var failure: Failure?

        /// The `SIZE` the server announced (RFC 1870): nil when none, 0 when it announced no limit.
        ///
        /// RFC 1870's value is digits only; anything else (`-1`, `5000x`) is read as no number,
        /// as is a value too large for an `Int`. A server that announces `SIZE` more than once is
        /// held to the smallest limit it gave (the conservative reading, as `check` must not call
        /// a letter fit that the server may refuse).
        public var sizeLimit: Int? {
            var found = false
            var smallest: Int? = nil
            for capability in capabilities {
                let words = capability.split(separator: " ")
                guard words.first?.uppercased() == "SIZE" else { continue }
                found = true
                guard words.count > 1, words[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                    let limit = Int(words[1]), limit > 0
                else { continue }
                smallest = min(smallest ?? limit, limit)
            }
            return found ? smallest ?? 0 : nil
        }

        /// Whether the server offers `name` (e.g. `SMTPUTF8`).
        public func offers(_ name: String) -> Bool {
            capabilities.contains { $0.split(separator: " ").first?.uppercased() == name.uppercased() }
        }
    }

    private let endpoint: SMTPEndpoint

    public init(endpoint: SMTPEndpoint) {
        self.endpoint = endpoint
    }

    /// Connects, reads the greeting and capabilities, does STARTTLS and AUTH as the campaign
    /// would, then ends the session with `QUIT`. Never sends `MAIL FROM`.
    ///
    /// `trace` receives the redacted conversation (instead of the endpoint's own `trace`): the
    /// probe runs on the calling thread, libcurl calls back on it, so the sink need not be
    /// `Sendable` (`herald check --verbose` writes to the command's error stream).
    public func run(trace: ((String) -> Void)? = nil) -> Report {
        var report = Report()
        let easy: CurlEasy
        do { easy = try CurlEasy() } catch {
            report.failure = .unavailable(error.description)
            return report
        }
        // The raw handle below is the easy's: keep the easy (and its cleanup) to the end of the run.
        defer { withExtendedLifetime(easy) {} }
        let handle = easy.handle
        let sink: ((String) -> Void)? = trace ?? endpoint.trace
        let session = Session(tracer: sink.map(Tracer.init))
        let transfer = Transfer(data: [])
        transfer.handle = handle
        transfer.wantsCertificate = true
        transfer.requireAuth = endpoint.username != nil
        transfer.mayStartTLS = endpoint.tls != .none
        session.transfer = transfer
        let context = Unmanaged.passRetained(transfer)
        defer { context.release() }

        let security = endpoint.security
        do {
            // The transport's set-up (CurlEasy), with the connection phase only: no MAIL FROM.
            try easy.set(CURLOPT_URL, endpoint.url.text, "URL")
            try easy.set(CURLOPT_CONNECT_ONLY, 1, "CONNECT_ONLY")
            try easy.configure(
                connectTimeout: endpoint.connectTimeout, responseTimeout: endpoint.responseTimeout,
                security: security, username: endpoint.username, password: endpoint.password)
            try easy.set(CURLOPT_HEADERFUNCTION, callback: headerCallback, "HEADERFUNCTION")
            try easy.set(CURLOPT_HEADERDATA, pointer: context.toOpaque(), "HEADERDATA")
            try easy.trace(debugCallback, context: session)
        } catch {
            report.failure = .unavailable(error.description)
            return report
        }

        let result = curl_easy_perform(handle)
        if result == CURLE_OK {
            report.quitReply = Self.quit(handle, timeout: min(Self.quitTimeout, endpoint.responseTimeout), tracer: session.tracer)
        }
        let error = easy.errorText(result)
        let dialogue = transfer.dialogue
        report.greeting = dialogue.replies.first { $0.command == .greeting }?.reply.text
        // The EHLO reply's lines after the first (the server's name): one capability each.
        report.capabilities = Array((transfer.ehloLines ?? []).dropFirst())
        report.tls = transfer.tls
        report.certificateVerified = security.verify && transfer.tls != nil
        if endpoint.username != nil {
            report.authReply = dialogue.replies.last { $0.reply.code == 235 || $0.reply.code == 535 || $0.command == .auth }?.reply.text
        }
        if endpoint.tls == .opportunistic && dialogue.startedTLS, let tracer = session.tracer {
            tracer.sink("* TLS certificate not verified (tls = opportunistic: encrypted, but the server's identity is not checked)")
        }
        report.failure = Self.failure(result, error: error, transfer: transfer)
        return report
    }

    /// The outcome, as `herald send` would classify the same conversation.
    static func failure(_ result: CURLcode, error: String, transfer: Transfer) -> Report.Failure? {
        if transfer.authNotOffered {
            return .authentication("the server did not offer AUTH, and credentials are configured: a send would refuse to go on unauthenticated")
        }
        let last = transfer.dialogue.lastReply
        switch result {
        case CURLE_OK: return nil
        case CURLE_LOGIN_DENIED: return .authentication(last?.reply.text ?? error)
        case CURLE_USE_SSL_FAILED:
            return .tls("the server did not offer STARTTLS, and the campaign requires TLS (\(error))")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR:
            return .tls(error)
        default:
            if let last, last.command == .greeting, last.reply.code >= 400 {
                return .unavailable("the server refused the connection: \(last.reply.text)")
            }
            if let last, last.reply.code >= 400 {
                return .unavailable("the server refused \(last.command == .ehlo ? "EHLO" : "the session"): \(last.reply.text)")
            }
            return .unavailable(error)
        }
    }
}
