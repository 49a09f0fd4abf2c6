import CCurl

/// The libcurl Herald runs with, for `herald --version`: TLS behaviour (STARTTLS, verification,
/// the TLS library) depends on it, so a report of a TLS problem should name it.
public enum CurlVersion {
    /// libcurl's own version line, `curl_version()`, e.g. `libcurl/7.88.1 OpenSSL/3.0.17 zlib/1.2.13 …`.
    public static var description: String {
        guard let text = curl_version() else { return "libcurl (version unknown)" }
        return String(cString: text)
    }
}
