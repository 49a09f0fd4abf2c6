import CHeraldCrypto

/// SHA-256 digests, computed by OpenSSL's libcrypto.
public enum SHA256 {
    /// The digest of `bytes` as 64 lowercase hex digits.
    public static func hex<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hex: [UInt8] = []
        appendHex(digest(Array(bytes))[...], to: &hex)
        return String(decoding: hex, as: UTF8.self)
    }

    /// The digest of a string's UTF-8 bytes.
    public static func hex(_ text: String) -> String { hex(Array(text.utf8)) }

    /// The 32 bytes of the digest of `input`.
    static func digest(_ input: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        input.withUnsafeBufferPointer { buffer in
            if let algorithm = algorithm.pointer {
                var size: UInt32 = 0
                if EVP_Digest(buffer.baseAddress, buffer.count, &digest, &size, algorithm, nil) == 1 { return }
            }
            _ = CHeraldCrypto.SHA256(buffer.baseAddress, buffer.count, &digest)
        }
        return digest
    }

    /// OpenSSL's SHA-256, looked up once: its one-shot `SHA256()` looks the algorithm up
    /// again on every call, which took more than half of a Message-ID's instructions.
    private static let algorithm = Algorithm(EVP_MD_fetch(nil, "SHA256", nil))

    /// The fetched algorithm, immutable and kept for the life of the process (so shared by threads).
    private struct Algorithm: @unchecked Sendable {
        let pointer: OpaquePointer?
        init(_ pointer: OpaquePointer?) { self.pointer = pointer }
    }

    /// Appends `bytes` as lowercase hex digits, two for each.
    static func appendHex(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        out.reserveCapacity(out.count + 2 * bytes.count)
        for byte in bytes {
            out.append(digits.utf8Start[Int(byte >> 4)])
            out.append(digits.utf8Start[Int(byte & 0x0F)])
        }
    }
}
