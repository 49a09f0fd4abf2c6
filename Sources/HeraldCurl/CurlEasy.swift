import CCurl
import Foundation

/// One libcurl easy handle with Herald's common set-up, written once for the SMTP transport, the
/// pre-flight probe and the IMAP mailbox: libcurl's process-wide initialisation, the error
/// buffer, no signals, the timeouts, TLS (level, verification, CA file), the login, and the
/// verbose trace through the debug callback.
///
/// Why one type: the three adapters must meet a server the same way (a probe that verified
/// certificates differently from the send would prove nothing), and each copy of this set-up was
/// a place for them to drift. The handle and its error buffer live exactly as long as this
/// object; like the handle, it is used from one thread at a time.
final class CurlEasy {
    /// Why a handle could not be set up; each adapter words it as its own error.
    enum SetupError: Error, CustomStringConvertible {
        /// `curl_global_init` or `curl_easy_init` failed.
        case notInitialised
        /// libcurl refused the option of this name (`CURLOPT_` left out).
        case optionRefused(String)

        var description: String {
            switch self {
            case .notInitialised: "libcurl could not be initialised"
            case .optionRefused(let name): "libcurl refused the option \(name)"
            }
        }
    }

    /// The TLS a connection must have.
    struct Security {
        /// `CURLOPT_USE_SSL`: none, STARTTLS when offered, or TLS required (implicit or STARTTLS).
        var level: curl_usessl
        /// The server's certificate and name are checked (off only for opportunistic TLS).
        var verify: Bool
        /// A CA bundle to verify against instead of the system's.
        var caFile: String?
    }

    /// The easy handle, for the adapter's own options and for `curl_easy_perform`.
    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// What the debug callback's `DEBUGDATA` points to, kept alive as long as the handle: libcurl
    /// may still trace while `curl_easy_cleanup` closes the connection.
    private var traceContext: AnyObject?

    /// libcurl's process-wide initialisation, done once before the first handle; SIGPIPE is
    /// ignored (a server closing mid-write must be an error, not the end of the process).
    private static let globalInit: Bool = {
        signal(SIGPIPE, SIG_IGN)
        // CURL_GLOBAL_ALL (SSL | WIN32): the macro does not import into Swift.
        return curl_global_init(3) == CURLE_OK
    }()

    /// A new handle with its error buffer and `NOSIGNAL` set (libcurl's timeouts must not use
    /// SIGALRM in a threaded process).
    init() throws(SetupError) {
        guard Self.globalInit, let handle = curl_easy_init() else { throw .notInitialised }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try check(herald_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "ERRORBUFFER")
        try set(CURLOPT_NOSIGNAL, 1, "NOSIGNAL")
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sets the options every Herald connection has: how long to wait for the connection and
    /// for each reply, the TLS it must have, and the login when there is one.
    func configure(
        connectTimeout: Int, responseTimeout: Int, security: Security,
        username: String?, password: String?
    ) throws(SetupError) {
        try set(CURLOPT_CONNECTTIMEOUT, connectTimeout, "CONNECTTIMEOUT")
        try set(CURLOPT_SERVER_RESPONSE_TIMEOUT, responseTimeout, "SERVER_RESPONSE_TIMEOUT")
        try set(CURLOPT_USE_SSL, Int(security.level.rawValue), "USE_SSL")
        try set(CURLOPT_SSL_VERIFYPEER, security.verify ? 1 : 0, "SSL_VERIFYPEER")
        try set(CURLOPT_SSL_VERIFYHOST, security.verify ? 2 : 0, "SSL_VERIFYHOST")
        if let caFile = security.caFile { try set(CURLOPT_CAINFO, caFile, "CAINFO") }
        if let username { try set(CURLOPT_USERNAME, username, "USERNAME") }
        if let password { try set(CURLOPT_PASSWORD, password, "PASSWORD") }
    }

    /// Routes libcurl's verbose trace to `callback` with `context` as its userdata (never to
    /// stderr): how the SMTP adapters see the commands libcurl sends, and print them with
    /// `--verbose`. The handle keeps `context` alive until it is cleaned up.
    func trace(_ callback: herald_curl_debug_callback, context: AnyObject) throws(SetupError) {
        traceContext = context
        try check(herald_curl_setopt_debug_callback(handle, callback), "DEBUGFUNCTION")
        try check(herald_curl_setopt_pointer(handle, CURLOPT_DEBUGDATA, Unmanaged.passUnretained(context).toOpaque()), "DEBUGDATA")
        try set(CURLOPT_VERBOSE, 1, "VERBOSE")
    }

    /// Sets a number option; `name` (the option without `CURLOPT_`) words a refusal.
    func set(_ option: CURLoption, _ value: Int, _ name: String) throws(SetupError) {
        try check(herald_curl_setopt_long(handle, option, value), name)
    }

    /// Sets a text option (libcurl copies the string); `name` words a refusal.
    func set(_ option: CURLoption, _ value: String, _ name: String) throws(SetupError) {
        try check(value.withCString { herald_curl_setopt_string(handle, option, $0) }, name)
    }

    /// Sets a pointer option (a callback's userdata); the caller keeps what it points to alive.
    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?, _ name: String) throws(SetupError) {
        try check(herald_curl_setopt_pointer(handle, option, pointer), name)
    }

    /// Sets a read, write or header callback.
    func set(_ option: CURLoption, callback: herald_curl_io_callback, _ name: String) throws(SetupError) {
        try check(herald_curl_setopt_io_callback(handle, option, callback), name)
    }

    /// Turns a refused `curl_easy_setopt` into ``SetupError/optionRefused(_:)``: an option
    /// libcurl does not take must stop the set-up, never leave a handle half configured.
    func check(_ code: CURLcode, _ name: String) throws(SetupError) {
        if code != CURLE_OK { throw .optionRefused(name) }
    }

    /// Empties the error buffer before a transfer, so ``errorText(_:)`` speaks of this one.
    func clearError() {
        errorBuffer[0] = 0
    }

    /// libcurl's detail for the last transfer's failure (the error buffer), when it wrote one.
    var errorDetail: String { String(cString: errorBuffer) }

    /// A transfer's failure in words: libcurl's summary of `result`, then its detail.
    func errorText(_ result: CURLcode) -> String {
        let detail = errorDetail
        let summary = String(cString: curl_easy_strerror(result))
        return detail.isEmpty ? summary : "\(summary): \(detail)"
    }
}
