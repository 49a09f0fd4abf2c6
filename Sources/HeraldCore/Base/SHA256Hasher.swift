import CHeraldCrypto

/// An incremental SHA-256 (OpenSSL's EVP interface), for inputs too large, or too spread
/// out, to hold at once: a recipient list read in chunks, the review manifest's lines.
///
/// Contract: `update` any number of times, then `finalizeHex` once; the digest equals
/// ``SHA256/hex(_:)`` of all the bytes given, in order.
public final class SHA256Hasher {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL could not allocate a digest context") }
        self.context = context
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds bytes.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Adds an array's bytes.
    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds a slice's bytes.
    public func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds a string's UTF-8 bytes.
    public func update(_ text: String) {
        update(Array(text.utf8))
    }

    /// The digest as 64 lowercase hex digits; the hasher is spent.
    public func finalizeHex() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        var hex: [UInt8] = []
        SHA256.appendHex(digest[..<Int(length)], to: &hex)
        return String(decoding: hex, as: UTF8.self)
    }
}
