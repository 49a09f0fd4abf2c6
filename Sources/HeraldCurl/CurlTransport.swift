import CCurl
import Foundation
import HeraldCore
import NIOPosix
import Synchronization

/// A `MailTransport` over one libcurl easy handle: one SMTP connection, reused across
/// messages (curl sends only MAIL/RCPT/DATA between them) and re-opened when a
/// server closes it.
///
/// Not thread-safe: use it from one thread or task at a time. A run with `[limits] concurrency = N`
/// creates N transports, each owned by one connection task of the pipeline, which hands letters
/// over through the async `deliver` (CurlTransport+Async.swift) on the transport's own thread
/// (`deliveryExecutor`, which that task prefers, so it runs there itself):
/// N connections, each with its own handle and thread. After `maxMessagesPerConnection` messages the connection is closed and the next
/// message opens a new one, as MTAs that limit messages per session expect.
public final class CurlTransport: MailTransport {
    /// The handle, its error buffer and the set-up shared with the probe and the IMAP mailbox.
    private let easy: CurlEasy
    private var handle: UnsafeMutableRawPointer { easy.handle }
    private let endpoint: SMTPEndpoint
    /// Shared with libcurl's debug callback: the verbose trace and the current transfer.
    private let session: Session
    /// The server's capabilities from the last EHLO on this handle's connection.
    private var capabilities: [String]?
    /// Messages handed over on the current connection (0: none open, or it was closed).
    private var messagesOnConnection = 0
    /// Connections this transport has opened so far.
    public private(set) var connectionsOpened = 0
    /// The hash of the bytes of the last accepted letter and its connection's TLS (see `MailTransport`).
    public private(set) var lastHandOver: HandOverProof?
    /// The one thread the async `deliver` runs blocking transfers on (CurlTransport+Async.swift):
    /// made at the first, stopped with the transport.
    var deliveryThread: DeliveryThread?
    private static let noSMTPUTF8 = "the server does not offer SMTPUTF8, which this message's non-ASCII address needs (RFC 6531); not sent"

    /// The TLS mode each server (scheme://host:port) was first used with in this process.
    /// libcurl 7.88 can reuse a connection across differing TLS settings (CVE-2026-4873,
    /// CVE-2026-8286); never mixing them per server closes that door.
    private static let tlsModes = Mutex<[String: TLSMode]>([:])

    /// - Throws: `TransportSetupError` before any connection: `.conflictingTLS` when this
    ///   process already reaches the same server with another TLS mode, `.unavailable` when
    ///   libcurl cannot be initialised or refuses an option.
    public init(endpoint: SMTPEndpoint) throws(TransportSetupError) {
        let server = endpoint.url.server
        let conflict: TLSMode? = Self.tlsModes.withLock { modes in
            if let first = modes[server], first != endpoint.tls { return first }
            modes[server] = endpoint.tls
            return nil
        }
        if let conflict { throw .conflictingTLS(server: server, first: conflict, now: endpoint.tls) }
        do { easy = try CurlEasy() } catch { throw .unavailable(error.description) }
        self.endpoint = endpoint
        self.session = Session(tracer: endpoint.trace.map(Tracer.init))
        do { try configure() } catch { throw .unavailable(error.description) }
    }

    /// Options that stay the same for every message on this handle. One TLS setting per
    /// handle: a reused connection must never carry a weaker requirement than asked for.
    private func configure() throws(CurlEasy.SetupError) {
        try easy.set(CURLOPT_URL, endpoint.url.text, "URL")
        try easy.set(CURLOPT_UPLOAD, 1, "UPLOAD")
        try easy.configure(
            connectTimeout: endpoint.connectTimeout, responseTimeout: endpoint.responseTimeout,
            security: endpoint.security, username: endpoint.username, password: endpoint.password)
        // Go on past a refused Cc or Bcc; the pipeline decides per recipient (the row's own
        // address refused stops the message in the read callback).
        try easy.set(HERALD_CURLOPT_MAIL_RCPT_ALLOWFAILS, 1, "MAIL_RCPT_ALLOWFAILS")
        try easy.set(CURLOPT_READFUNCTION, callback: readCallback, "READFUNCTION")
        try easy.set(CURLOPT_HEADERFUNCTION, callback: headerCallback, "HEADERFUNCTION")
        // The debug callback is how Herald sees the commands libcurl sends (to pair each
        // reply with its command).
        try easy.trace(debugCallback, context: session)
    }

    public func deliver(_ message: ComposedMessage) -> DeliveryOutcome {
        lastHandOver = nil
        let transfer = Transfer(data: message.data)
        transfer.handle = handle
        transfer.requireAuth = endpoint.username != nil
        transfer.mayStartTLS = endpoint.tls != .none
        transfer.needsSMTPUTF8 = message.requiresSMTPUTF8
        if message.requiresSMTPUTF8, let known = capabilities, !known.contains(where: { $0.hasPrefix("SMTPUTF8") }) {
            // A reused connection sends no new EHLO: decide from the one already seen.
            return .refused(reason: Self.noSMTPUTF8)
        }
        defer { if let seen = transfer.capabilities { capabilities = seen } }
        let context = Unmanaged.passRetained(transfer)
        session.transfer = transfer
        defer {
            session.transfer = nil
            context.release()
        }
        var recipients: UnsafeMutablePointer<curl_slist>?
        for address in message.envelopeRecipients {
            recipients = curl_slist_append(recipients, "<\(address)>")
        }
        defer {
            _ = herald_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, nil)
            curl_slist_free_all(recipients)
        }
        easy.clearError()
        // The connection's last message: libcurl closes it (QUIT) once this transfer is done.
        let lastOnConnection = messagesOnConnection + 1 >= endpoint.maxMessagesPerConnection
        do {
            try set(CURLOPT_FORBID_REUSE, lastOnConnection ? 1 : 0, "FORBID_REUSE")
            try set(CURLOPT_MAIL_FROM, "<\(message.envelopeFrom)>", "MAIL_FROM")
            try check(herald_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients), "MAIL_RCPT")
            // Becomes SIZE= on MAIL FROM; must be reset for every message on a reused handle.
            try check(herald_curl_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(message.data.count)), "INFILESIZE_LARGE")
            try check(herald_curl_setopt_pointer(handle, CURLOPT_READDATA, context.toOpaque()), "READDATA")
            try check(herald_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context.toOpaque()), "HEADERDATA")
        } catch {
            return .deferred(code: nil, reply: nil, error: "\(error)")
        }
        let result = curl_easy_perform(handle)
        var opened = 0
        if herald_curl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &opened) == CURLE_OK, opened > 0 {
            connectionsOpened += opened
            messagesOnConnection = 0
        }
        messagesOnConnection = lastOnConnection ? 0 : messagesOnConnection + 1
        if endpoint.tls == .opportunistic && transfer.dialogue.startedTLS, let tracer = session.tracer {
            tracer.sink("* TLS certificate not verified (tls = opportunistic: encrypted, but the server's identity is not checked)")
        }
        let outcome = classify(result, transfer)
        if case .accepted = outcome {
            // Proof of dispatch: the bytes the read callback gave libcurl are exactly `message.data`.
            lastHandOver = HandOverProof(
                messageSHA256: SHA256.hex(message.data), tlsVersion: transfer.tls?.version,
                tlsCipher: transfer.tls?.cipher)
        }
        return outcome
    }

    /// Maps curl's result and the replies seen to an outcome. The dialogue (which reply
    /// answered which command), not `CURLINFO_RESPONSE_CODE`, decides, and carries the
    /// server's own words into the log. Internal for the tests, which feed it a dialogue.
    func classify(_ result: CURLcode, _ transfer: Transfer) -> DeliveryOutcome {
        if transfer.smtputf8Missing {
            return .refused(reason: Self.noSMTPUTF8)
        }
        if transfer.authNotOffered {
            return .authenticationFailed(code: nil, reply: "the server did not offer AUTH, and credentials are configured: refusing to send unauthenticated")
        }
        let dialogue = transfer.dialogue
        let error = easy.errorText(result)
        if let mail = dialogue.mailReply, mail.code >= 400 {
            // `MAIL FROM … SIZE=` refused as too big (RFC 1870: 552, or X.3.4) concerns this
            // letter alone: it fails (or waits, for 452) and the campaign goes on.
            if mail.code == 552 || mail.enhancedStatus?.hasSuffix(".3.4") == true {
                return .rejected(code: mail.code, reply: mail.text)
            }
            // Otherwise the sender, not a recipient, was refused: no recipient is at fault,
            // and every later letter would be refused the same way.
            if mail.code >= 500 { return .senderRefused(code: mail.code, reply: mail.text) }
            return .deferred(code: mail.code, reply: mail.text, error: nil)
        }
        let recipients = dialogue.recipientReplies
        if let primary = recipients.first, primary.reply.code >= 400 {
            // A refusal at RCPT that names the sender, the client or the HELO name (Postfix's
            // default smtpd_delay_reject answers those restrictions at RCPT) is not about
            // this recipient: failing the row would burn a letter that was never refused.
            if primary.reply.code >= 500 && primary.reply.concernsSession(recipient: primary.address) {
                return .senderRefused(code: primary.reply.code, reply: primary.reply.text)
            }
            // The row's own address was refused: the letter goes to nobody (the transfer
            // was stopped before the body when a Cc or Bcc had been accepted).
            if primary.reply.code >= 500 { return .rejected(code: primary.reply.code, reply: primary.reply.text) }
            return .deferred(code: primary.reply.code, reply: primary.reply.text, error: nil)
        }
        if let data = dialogue.dataReply, data.code >= 400 {
            // The DATA command refused before any content was seen: about the sender or the
            // session (Postfix's smtpd_data_restrictions), not this letter or recipient.
            if data.code >= 500 { return .senderRefused(code: data.code, reply: data.text) }
            return .deferred(code: data.code, reply: data.text, error: nil)
        }
        let refused = recipients.dropFirst().filter { $0.reply.code >= 400 }.map {
            DeliveryOutcome.Refusal(recipient: $0.address, code: $0.reply.code, reply: $0.reply.text)
        }
        if result == CURLE_OK {
            // Only what the server said: without a captured reply the log says none was seen.
            let last = dialogue.endOfDataReply
            return .accepted(code: last?.code, reply: last?.text, refused: refused)
        }
        let last = dialogue.lastReply
        switch result {
        case CURLE_LOGIN_DENIED:
            return .authenticationFailed(code: last?.reply.code, reply: last?.reply.text)
        case CURLE_USE_SSL_FAILED:
            return .tlsFailed(error: "the server did not offer STARTTLS, and the campaign requires TLS (\(error))")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR:
            return .tlsFailed(error: error)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST:
            return .unavailable(error: error)
        default:
            break
        }
        if let data = dialogue.dataReply, data.code == 354 {
            if let final = dialogue.endOfDataReply, final.code >= 400 {
                return final.code >= 500
                    ? .rejected(code: final.code, reply: final.text)
                    : .deferred(code: final.code, reply: final.text, error: nil)
            }
            if transfer.offset < transfer.data.count {
                // The connection broke before the whole body was handed over: without the
                // final "." the server cannot have accepted it, so a retry is safe.
                return .deferred(code: nil, reply: nil, error: "connection lost while sending the message: \(error)")
            }
            // The body went out; the reply that would say whether it was accepted never came.
            return .inDoubt(reply: dialogue.endOfDataReply?.text, error: error)
        }
        guard let last else { return .deferred(code: nil, reply: nil, error: error) }
        if last.command == .greeting && last.reply.code >= 400 {
            return .unavailable(error: "the server refused the connection: \(last.reply.text)")
        }
        if last.reply.code >= 500 && !dialogue.sentRecipients && last.command != .auth {
            // A 5xx before any RCPT (to EHLO, say) concerns the session, not a recipient.
            return .senderRefused(code: last.reply.code, reply: last.reply.text)
        }
        switch last.reply.code {
        case 500...599: return .rejected(code: last.reply.code, reply: last.reply.text)
        case 400...499: return .deferred(code: last.reply.code, reply: last.reply.text, error: nil)
        default: return .deferred(code: nil, reply: nil, error: error)
        }
    }

    private func set(_ option: CURLoption, _ value: Int, _ name: String) throws(TransportSetupError) {
        do { try easy.set(option, value, name) } catch { throw .unavailable(error.description) }
    }

    private func set(_ option: CURLoption, _ value: String, _ name: String) throws(TransportSetupError) {
        do { try easy.set(option, value, name) } catch { throw .unavailable(error.description) }
    }

    private func check(_ code: CURLcode, _ name: String) throws(TransportSetupError) {
        do { try easy.check(code, name) } catch { throw .unavailable(error.description) }
    }
}

/// Per-message state shared with libcurl's callbacks through their userdata pointer.
final class Transfer {
    let data: [UInt8]
    var offset = 0
    /// Which reply answered which command, with the server's words.
    var dialogue = SMTPDialogue()
    /// Credentials are configured: a server that does not offer AUTH must not get the letter.
    var requireAuth = false
    /// STARTTLS will be used when offered, so AUTH may appear only in the EHLO after it.
    var mayStartTLS = false
    /// Set when the transfer was aborted because AUTH was not offered.
    var authNotOffered = false
    /// The message has a non-ASCII address: the server must offer SMTPUTF8.
    var needsSMTPUTF8 = false
    /// Set when the transfer was aborted because SMTPUTF8 was needed and not offered.
    var smtputf8Missing = false
    /// The capabilities from the last EHLO response seen, uppercased.
    var capabilities: [String]?
    /// The easy handle performing this transfer, for reading its TLS state from a callback.
    var handle: UnsafeMutableRawPointer?
    /// The connection's TLS state, read at the first reply seen over TLS; nil in plaintext.
    var tls: TLSConnectionInfo?
    /// The lines of the last EHLO reply as the server sent them (the first names the server).
    var ehloLines: [String]?
    /// Read the server certificate too (`herald check`), not only version and cipher.
    var wantsCertificate = false

    init(data: [UInt8]) { self.data = data }

    /// Looks at a complete reply; returns false to abort the transfer.
    ///
    /// libcurl 7.88 silently skips AUTH when the server does not advertise it and sends
    /// the letter unauthenticated; with credentials configured Herald refuses instead.
    func acceptReply(_ command: SMTPDialogue.Command, _ final: SMTPDialogue.Reply, lines: [String]) -> Bool {
        guard command == .ehlo, final.code == 250 else { return true }
        ehloLines = lines
        let offered = lines.map { $0.uppercased() }
        capabilities = offered
        if mayStartTLS && !dialogue.startedTLS && offered.contains(where: { $0.hasPrefix("STARTTLS") }) {
            return true  // the EHLO after STARTTLS decides
        }
        if requireAuth && !offered.contains(where: { $0.hasPrefix("AUTH") }) {
            authNotOffered = true
            return false
        }
        if needsSMTPUTF8 && !offered.contains(where: { $0.hasPrefix("SMTPUTF8") }) {
            // libcurl 7.88 would send the UTF-8 address anyway; RFC 6531 forbids it.
            smtputf8Missing = true
            return false
        }
        return true
    }

    /// True when the row's own address was refused: nothing may be sent.
    var primaryRefused: Bool {
        guard let first = dialogue.recipientReplies.first else { return false }
        return first.reply.code >= 400
    }
}

/// The verbose trace's sink and redaction state; lives as long as the transport (or the probe)
/// and is called on the thread running its handle.
final class Tracer {
    let sink: (String) -> Void
    var redactor = TraceRedactor()

    init(_ sink: @escaping (String) -> Void) { self.sink = sink }
}

/// What libcurl's debug callback needs: the trace sink, and the message being sent.
final class Session {
    let tracer: Tracer?
    var transfer: Transfer?

    init(tracer: Tracer?) { self.tracer = tracer }
}

/// CURLOPT_DEBUGFUNCTION: the commands libcurl sends go to the dialogue (which pairs
/// them with replies); with `--verbose`, every trace line goes through the redactor.
let debugCallback: herald_curl_debug_callback = { _, type, data, size, userdata in
    guard let data, let userdata else { return 0 }
    let session = Unmanaged<Session>.fromOpaque(userdata).takeUnretainedValue()
    let kind: TraceRedactor.Kind
    switch type {
    case CURLINFO_TEXT: kind = .text
    case CURLINFO_HEADER_IN: kind = .fromServer
    case CURLINFO_HEADER_OUT: kind = .toServer
    default: kind = .other
    }
    guard kind != .other else { return 0 }
    guard kind == .toServer || session.tracer != nil else { return 0 }
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    if kind == .toServer { session.transfer?.dialogue.sent(text) }
    guard let tracer = session.tracer else { return 0 }
    for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) where !line.isEmpty {
        if let shown = tracer.redactor.filter(kind, String(line)) { tracer.sink(shown) }
    }
    return 0
}

/// CURLOPT_READFUNCTION: copies the next chunk of the message into curl's buffer.
private let readCallback: herald_curl_io_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    // The body is read only after the server's 354, so every RCPT reply is known here.
    if transfer.offset == 0 && transfer.primaryRefused { return herald_curl_readfunc_abort }
    let room = size * count
    let chunk = min(room, transfer.data.count - transfer.offset)
    if chunk > 0 {
        transfer.data.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + transfer.offset, byteCount: chunk)
        }
        transfer.offset += chunk
    }
    return chunk
}

/// CURLOPT_HEADERFUNCTION: for SMTP, each server reply line.
let headerCallback: herald_curl_io_callback = { buffer, size, count, userdata in
    let length = size * count
    guard let buffer, let userdata else { return length }
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: length), as: UTF8.self)
    // libcurl answers CURLINFO_TLS_SSL_PTR only while the connection is attached: read it here.
    if transfer.tls == nil, let handle = transfer.handle {
        transfer.tls = TLSConnectionInfo.current(of: handle, certificate: transfer.wantsCertificate)
    }
    if let reply = SMTPReply(line: line) {
        if let done = transfer.dialogue.received(reply), !transfer.acceptReply(done.command, done.reply, lines: done.lines) { return 0 }
    }
    return length
}
