import CCurl
import Foundation
import HeraldCore

/// The bounce mailbox over libcurl's IMAP: the same library as the SMTP transport, one
/// connection for the whole pass (libcurl keeps it open between transfers on one handle).
///
/// Each operation is one libcurl transfer: a listing is `UID SEARCH ALL` and `UID FETCH 1:*
/// (FLAGS)` (`CURLOPT_CUSTOMREQUEST`) on the folder's URL, whose SELECT gives UIDVALIDITY
/// and the server's capabilities through the header callback; a message is fetched by the
/// URL `…/FOLDER;UIDVALIDITY=v;UID=n`, so libcurl itself refuses it when UIDVALIDITY changed;
/// a move is `UID MOVE` (RFC 6851), or `UID COPY` + `UID STORE +FLAGS (\Deleted)` + `EXPUNGE`
/// on a server without MOVE, after `CREATE` of the folder. TLS as `BounceSettings` says:
/// `imaps://`, or STARTTLS required with the certificate verified, plaintext only to loopback.
public final class CurlIMAPMailbox: BounceMailbox {
    /// Where and as whom to log in; the password is read by the caller from its source.
    public struct Endpoint: Sendable {
        public var url: IMAPURL
        public var username: String
        public var password: String
        public var caFile: String?
        public var responseTimeout = 120

        public init(url: IMAPURL, username: String, password: String, caFile: String? = nil) {
            self.url = url
            self.username = username
            self.password = password
            self.caFile = caFile
        }
    }

    /// The handle, its error buffer and the set-up shared with the SMTP adapters.
    private let easy: CurlEasy
    private var handle: UnsafeMutableRawPointer { easy.handle }
    private let endpoint: Endpoint
    /// What the server said it can do (from CAPABILITY after login).
    private var capabilities: Set<String> = []

    public init(endpoint: Endpoint) throws(BounceMailboxError) {
        do {
            easy = try CurlEasy()
        } catch {
            throw BounceMailboxError(.unavailable, error.description)
        }
        self.endpoint = endpoint
        do { try configure() } catch { throw BounceMailboxError(.unavailable, error.description) }
    }

    private func configure() throws(CurlEasy.SetupError) {
        // imaps:// is TLS from the start; imap:// must upgrade (STARTTLS), except to loopback.
        // The certificate is always verified.
        let level = endpoint.url.isLoopback && !endpoint.url.secure ? CURLUSESSL_TRY : CURLUSESSL_ALL
        try easy.configure(
            connectTimeout: 30, responseTimeout: endpoint.responseTimeout,
            security: CurlEasy.Security(level: level, verify: true, caFile: endpoint.caFile),
            username: endpoint.username, password: endpoint.password)
        try easy.set(CURLOPT_WRITEFUNCTION, callback: collectCallback, "WRITEFUNCTION")
        try easy.set(CURLOPT_HEADERFUNCTION, callback: collectCallback, "HEADERFUNCTION")
    }

    // MARK: BounceMailbox

    public func list() throws(BounceMailboxError) -> MailboxListing {
        let search = try perform(url: folderURL(), command: "UID SEARCH ALL")
        guard let uidValidity = Self.uidValidity(in: search.header) else {
            throw BounceMailboxError(.refused, "\(endpoint.url): the server named no UIDVALIDITY when the folder was selected")
        }
        capabilities = Self.capabilities(in: search.header)
        var uids: [Int] = []
        for line in Self.lines(search.body) where line.uppercased().hasPrefix("* SEARCH") {
            uids += line.dropFirst("* SEARCH".count).split(separator: " ").compactMap { Int($0) }
        }
        uids.sort()
        guard !uids.isEmpty else { return MailboxListing(uidValidity: uidValidity, messages: []) }
        let flags = try perform(url: folderURL(), command: "UID FETCH 1:* (FLAGS)", step: "UID FETCH 1:* (FLAGS) (listing the flags)")
        var seen = Set<Int>()
        for line in Self.lines(flags.body) {
            // `* 3 FETCH (UID 7 FLAGS (\Seen))`, the items in either order.
            let upper = line.uppercased()
            guard upper.hasPrefix("* "), upper.contains(" FETCH "), let range = upper.range(of: "UID ") else { continue }
            let digits = upper[range.upperBound...].prefix { $0.isNumber }
            if let uid = Int(digits), upper.contains("\\SEEN") { seen.insert(uid) }
        }
        if let changed = Self.uidValidity(in: flags.header), changed != uidValidity {
            throw BounceMailboxError(.uidValidityChanged, "\(endpoint.url): UIDVALIDITY changed from \(uidValidity) to \(changed) during the run; run again")
        }
        return MailboxListing(uidValidity: uidValidity, messages: uids.map { ($0, seen.contains($0)) })
    }

    public func fetch(_ position: MailboxPosition) throws(BounceMailboxError) -> [UInt8] {
        try perform(
            url: folderURL() + ";UIDVALIDITY=\(position.uidValidity);UID=\(position.uid)", command: nil,
            step: "UID FETCH \(position.uid) BODY[] (fetching the message)"
        ).body
    }

    public func markUnseen(_ position: MailboxPosition) throws(BounceMailboxError) {
        _ = try perform(url: folderURL(), command: "UID STORE \(position.uid) -FLAGS.SILENT (\\Seen)", uidValidity: position.uidValidity)
    }

    public func move(_ uids: [Int], uidValidity: Int, to folder: String) throws(BounceMailboxError) {
        guard !uids.isEmpty else { return }
        let quoted = "\"\(folder)\""
        do {
            _ = try perform(url: endpoint.url.root, command: "CREATE \(quoted)")
        } catch  where error.kind == .refused {
            // Already there ([ALREADYEXISTS]); a folder that truly cannot be made fails the move below.
        }
        let set = uids.map(String.init).joined(separator: ",")
        if capabilities.isEmpty || capabilities.contains("MOVE") {
            _ = try perform(url: folderURL(), command: "UID MOVE \(set) \(quoted)", uidValidity: uidValidity)
        } else {
            _ = try perform(url: folderURL(), command: "UID COPY \(set) \(quoted)", uidValidity: uidValidity)
            _ = try perform(url: folderURL(), command: "UID STORE \(set) +FLAGS.SILENT (\\Deleted)", uidValidity: uidValidity)
            _ = try perform(url: folderURL(), command: capabilities.contains("UIDPLUS") ? "UID EXPUNGE \(set)" : "EXPUNGE", uidValidity: uidValidity)
        }
    }

    // MARK: Transfers

    private func folderURL() -> String {
        endpoint.url.root + endpoint.url.folder
    }

    /// One transfer: `command` as a custom request on `url` (nil: fetch what the URL names).
    /// With `uidValidity`, the folder's UIDVALIDITY seen at this select must be that one.
    /// `step` names the transfer in a failure (default: the command's first two words).
    private func perform(
        url: String, command: String?, uidValidity: Int? = nil,
        step: String? = nil
    ) throws(BounceMailboxError) -> (body: [UInt8], header: [UInt8]) {
        let collected = IMAPCollected()
        easy.clearError()
        try set(CURLOPT_URL, url, "URL")
        if let command {
            try set(CURLOPT_CUSTOMREQUEST, command, "CUSTOMREQUEST")
        } else {
            try check(herald_curl_setopt_pointer(handle, CURLOPT_CUSTOMREQUEST, nil), "CUSTOMREQUEST")
        }
        let sink = CollectTarget(collected: collected, header: false)
        let headerSink = CollectTarget(collected: collected, header: true)
        let sinkRef = Unmanaged.passRetained(sink), headerRef = Unmanaged.passRetained(headerSink)
        defer { sinkRef.release(); headerRef.release() }
        try check(herald_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkRef.toOpaque()), "WRITEDATA")
        try check(herald_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, headerRef.toOpaque()), "HEADERDATA")
        let result = curl_easy_perform(handle)
        if result != CURLE_OK {
            throw failure(
                result, step: step ?? command.map { $0.split(separator: " ").prefix(2).joined(separator: " ") } ?? "UID FETCH",
                header: collected.header)
        }
        if let uidValidity, let seen = Self.uidValidity(in: collected.header), seen != uidValidity {
            throw BounceMailboxError(.uidValidityChanged, "\(endpoint.url): UIDVALIDITY changed from \(uidValidity) to \(seen) during the run; run again")
        }
        return (collected.body, collected.header)
    }

    /// The failure of one transfer, named by the step that failed: reaching the server, TLS,
    /// the login, selecting the folder, or the command itself (one transfer runs all of them
    /// on a new connection, so the command alone would misname a connect failure).
    private func failure(_ result: CURLcode, step: String, header: [UInt8]) -> BounceMailboxError {
        let detail = easy.errorDetail
        let summary = String(cString: curl_easy_strerror(result))
        let text = easy.errorText(result)
        let what = "\(step): "
        let answer = Self.refusal(in: header)
        let server = "\(endpoint.url.host)\(endpoint.url.port.map { ":\($0)" } ?? "")"
        switch result {
        case CURLE_COULDNT_RESOLVE_HOST:
            return BounceMailboxError(.unavailable, "\(endpoint.url): resolving \(endpoint.url.host) failed: \(text)")
        case CURLE_COULDNT_CONNECT:
            return BounceMailboxError(.unavailable, "\(endpoint.url): connecting to \(server) failed: \(text)")
        case CURLE_OPERATION_TIMEDOUT where header.isEmpty,
            CURLE_GOT_NOTHING where header.isEmpty, CURLE_RECV_ERROR where header.isEmpty, CURLE_WEIRD_SERVER_REPLY where header.isEmpty:
            return BounceMailboxError(.unavailable, "\(endpoint.url): connecting to \(server) failed (no IMAP greeting): \(text)")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            return BounceMailboxError(.unavailable, "\(endpoint.url): TLS with \(server) failed: \(text)")
        case CURLE_LOGIN_DENIED where detail.hasPrefix("Select failed"):
            // libcurl reports a refused SELECT as a denied login; it is the folder that is wrong.
            return BounceMailboxError(
                .refused, "\(endpoint.url): SELECT \(endpoint.url.folder): the server refused the folder (\(answer ?? text)); check [bounces] url")
        case CURLE_LOGIN_DENIED:
            return BounceMailboxError(
                .authentication,
                "\(endpoint.url): the IMAP server refused user \(endpoint.username)'s login (\(answer ?? text)); check [bounces] username and the password's source"
            )
        case CURLE_REMOTE_FILE_NOT_FOUND where detail.contains("UIDVALIDITY") || summary.contains("UIDVALIDITY"):
            return BounceMailboxError(.uidValidityChanged, "\(endpoint.url): UIDVALIDITY changed during the run; run again")
        case CURLE_QUOTE_ERROR, CURLE_REMOTE_FILE_NOT_FOUND, CURLE_REMOTE_ACCESS_DENIED:
            return BounceMailboxError(.refused, "\(endpoint.url): \(what)\(answer ?? text)")
        case CURLE_USE_SSL_FAILED:
            return BounceMailboxError(.unavailable, "\(endpoint.url): the server did not offer STARTTLS, and TLS is required off loopback (\(text))")
        default:
            return BounceMailboxError(.unavailable, "\(endpoint.url): \(what)\(text)")
        }
    }

    private func set(_ option: CURLoption, _ value: String, _ name: String) throws(BounceMailboxError) {
        do { try easy.set(option, value, name) } catch { throw BounceMailboxError(.unavailable, error.description) }
    }

    private func check(_ code: CURLcode, _ name: String) throws(BounceMailboxError) {
        do { try easy.check(code, name) } catch { throw BounceMailboxError(.unavailable, error.description) }
    }

    // MARK: Reading responses

    static func lines(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
    }

    /// The server's own refusal in a transfer's lines: the last tagged `NO` or `BAD` answer
    /// (`A004 NO [TRYCREATE] Mailbox doesn't exist: X`), never a tagged `OK` such as the
    /// `LOGOUT`'s that libcurl may read after the failing command; nil when there is none.
    static func refusal(in header: [UInt8]) -> String? {
        lines(header).last { line in
            let words = line.split(separator: " ", maxSplits: 2)
            guard words.count >= 2, let tag = words.first, tag != "*", tag != "+" else { return false }
            let status = words[1].uppercased()
            return status == "NO" || status == "BAD"
        }
    }

    /// `* OK [UIDVALIDITY 1795957540] …` from a SELECT or EXAMINE; the last one wins.
    static func uidValidity(in header: [UInt8]) -> Int? {
        var found: Int?
        for line in lines(header) {
            guard let range = line.uppercased().range(of: "[UIDVALIDITY ") else { continue }
            let digits = line.uppercased()[range.upperBound...].prefix { $0.isNumber }
            if let value = Int(digits) { found = value }
        }
        return found
    }

    /// The words of the last `* CAPABILITY` line (after login the server lists more).
    static func capabilities(in header: [UInt8]) -> Set<String> {
        guard let line = lines(header).last(where: { $0.uppercased().hasPrefix("* CAPABILITY ") }) else { return [] }
        return Set(line.uppercased().split(separator: " ").dropFirst(2).map(String.init))
    }
}

/// One transfer's response: the body (a fetched message, a custom command's untagged lines)
/// and the header lines (every server line libcurl read, SELECT's included).
private final class IMAPCollected {
    var body: [UInt8] = []
    var header: [UInt8] = []
}

/// Where one callback appends: the body or the header lines of a transfer.
private final class CollectTarget {
    let collected: IMAPCollected
    let header: Bool
    init(collected: IMAPCollected, header: Bool) {
        self.collected = collected
        self.header = header
    }
}

/// CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION: append the bytes to the transfer's buffer.
private let collectCallback: herald_curl_io_callback = { buffer, size, count, userdata in
    let length = size * count
    guard let buffer, let userdata else { return length }
    let target = Unmanaged<CollectTarget>.fromOpaque(userdata).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
    if target.header { target.collected.header.append(contentsOf: bytes) } else { target.collected.body.append(contentsOf: bytes) }
    return length
}
