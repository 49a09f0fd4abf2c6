import CCurl
import Foundation

/// What libcurl's TLS session says about a connection: protocol version, cipher, and the
/// server certificate's subject and expiry.
///
/// Read from `CURLINFO_TLS_SSL_PTR` (OpenSSL's `SSL *`), which libcurl 7.88 answers only while
/// the connection is attached to the transfer: so it is read from inside a callback (the
/// header callback), never after `curl_easy_perform` returned.
public struct TLSConnectionInfo: Sendable, Equatable {
    /// `TLSv1.3`, `TLSv1.2` … as OpenSSL names it.
    public var version: String
    /// The negotiated cipher suite, e.g. `TLS_AES_256_GCM_SHA384`.
    public var cipher: String
    /// The server certificate's subject in OpenSSL's one-line form (`/O=…/CN=…`).
    public var certificateSubject: String?
    /// The server certificate's issuer, in the same form.
    public var certificateIssuer: String?
    /// The end of the certificate's validity (notAfter).
    public var certificateNotAfter: Date?

    public init(
        version: String, cipher: String, certificateSubject: String? = nil, certificateIssuer: String? = nil,
        certificateNotAfter: Date? = nil
    ) {
        self.version = version
        self.cipher = cipher
        self.certificateSubject = certificateSubject
        self.certificateIssuer = certificateIssuer
        self.certificateNotAfter = certificateNotAfter
    }

    /// The TLS state of `handle`'s connection now; nil when it is not (yet) encrypted or the
    /// TLS library is not OpenSSL. `certificate` false skips the certificate (the send path
    /// needs only version and cipher).
    static func current(of handle: UnsafeMutableRawPointer, certificate: Bool) -> TLSConnectionInfo? {
        var session: UnsafeMutablePointer<curl_tlssessioninfo>?
        guard herald_curl_getinfo_tls_session(handle, &session) == CURLE_OK, let session,
            session.pointee.backend == CURLSSLBACKEND_OPENSSL, let internals = session.pointee.internals
        else { return nil }
        let ssl = OpaquePointer(internals)
        guard SSL_is_init_finished(ssl) == 1, let version = SSL_get_version(ssl) else { return nil }
        let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? "?"
        var info = TLSConnectionInfo(version: String(cString: version), cipher: cipher)
        guard certificate, let peer = SSL_get1_peer_certificate(ssl) else { return info }
        defer { X509_free(peer) }
        info.certificateSubject = oneLine(X509_get_subject_name(peer))
        info.certificateIssuer = oneLine(X509_get_issuer_name(peer))
        var expiry = tm()
        if let notAfter = X509_get0_notAfter(peer), ASN1_TIME_to_tm(notAfter, &expiry) == 1 {
            info.certificateNotAfter = Date(timeIntervalSince1970: TimeInterval(timegm(&expiry)))
        }
        return info
    }

    private static func oneLine(_ name: OpaquePointer?) -> String? {
        guard let name else { return nil }
        var buffer = [CChar](repeating: 0, count: 512)
        guard X509_NAME_oneline(name, &buffer, Int32(buffer.count)) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
