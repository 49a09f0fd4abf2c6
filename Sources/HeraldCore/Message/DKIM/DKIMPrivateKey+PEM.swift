/// Reading a PEM file's block and just enough DER to tell an RSA key from an Ed25519 one:
/// so a key of the wrong kind is named as such, not reported as unreadable.
extension DKIMPrivateKey {
    /// A PEM block: its label (`PRIVATE KEY`) and its DER bytes.
    struct PEMBlock {
        var label: String
        var der: [UInt8]
    }

    /// The key algorithms a PKCS #8 `AlgorithmIdentifier` may name, as far as DKIM cares.
    enum PKCS8Algorithm {
        case rsa, ed25519, other
    }

    /// rsaEncryption, 1.2.840.113549.1.1.1 (RFC 8017), as DER content bytes.
    static let rsaEncryptionOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
    /// id-Ed25519, 1.3.101.112 (RFC 8410).
    static let ed25519OID: [UInt8] = [0x2B, 0x65, 0x70]

    /// The first PEM block of `text` whose label ends in `KEY` or is `CERTIFICATE`, decoded;
    /// text around it (openssl's "Bag Attributes", comments) is ignored.
    static func pemBlock(_ text: String) throws(Problem) -> PEMBlock {
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
        var label: String?
        var body = ""
        for line in lines {
            let trimmed = line.trimmingSpaces
            if label == nil {
                if trimmed.hasPrefix("-----BEGIN "), trimmed.hasSuffix("-----") {
                    label = String(trimmed.dropFirst(11).dropLast(5))
                }
                continue
            }
            if trimmed == "-----END \(label!)-----" {
                guard let der = DKIMBase64.decode(body), !der.isEmpty else {
                    throw Problem(description: "the \(label!) block is not valid base64 (damaged?); generate the key again")
                }
                return PEMBlock(label: label!, der: der)
            }
            if trimmed.contains(":") { continue }  // RFC 1421 headers (Proc-Type, DEK-Info)
            body += trimmed
        }
        if let label { throw Problem(description: "the \(label) block has no END line (truncated?)") }
        throw Problem(description: "is not a PEM file (no -----BEGIN …----- line); Herald reads keys as written by `openssl genpkey`")
    }

    /// The algorithm a PKCS #8 `PrivateKeyInfo` names; nil when `der` is not one.
    ///
    /// `SEQUENCE { INTEGER version, SEQUENCE { OBJECT IDENTIFIER algorithm, … }, OCTET STRING key, … }`
    static func pkcs8Algorithm(_ der: [UInt8]) -> PKCS8Algorithm? {
        var outer = DER(der[...])
        guard var info = outer.element(tag: 0x30), info.content(tag: 0x02) != nil,
            var identifier = info.element(tag: 0x30), let oid = identifier.content(tag: 0x06)
        else { return nil }
        if oid.elementsEqual(rsaEncryptionOID) { return .rsa }
        if oid.elementsEqual(ed25519OID) { return .ed25519 }
        return .other
    }

    /// The 32-byte seed of a PKCS #8 Ed25519 key (RFC 8410 §7: the private key is an OCTET
    /// STRING holding an OCTET STRING of 32 bytes); nil for anything else.
    static func pkcs8Ed25519Seed(_ der: [UInt8]) -> [UInt8]? {
        var outer = DER(der[...])
        guard var info = outer.element(tag: 0x30), info.content(tag: 0x02) != nil,
            var identifier = info.element(tag: 0x30), let oid = identifier.content(tag: 0x06), oid.elementsEqual(ed25519OID),
            let wrapped = info.content(tag: 0x04)
        else { return nil }
        var inner = DER(wrapped)
        guard let seed = inner.content(tag: 0x04), seed.count == 32 else { return nil }
        return Array(seed)
    }

    /// A reader of DER's tag-length-value elements, definite lengths only (DER has no other).
    struct DER {
        var rest: ArraySlice<UInt8>

        init(_ bytes: ArraySlice<UInt8>) { rest = bytes }

        /// The content of the next element when its tag is `tag`, advancing past it; nil (and
        /// nothing consumed) for another tag or a length that overruns the bytes.
        mutating func element(tag: UInt8) -> DER? {
            content(tag: tag).map { DER($0) }
        }

        /// The content bytes of the next element when its tag is `tag`, advancing past it.
        mutating func content(tag: UInt8) -> ArraySlice<UInt8>? {
            var index = rest.startIndex
            guard index < rest.endIndex, rest[index] == tag else { return nil }
            index += 1
            guard index < rest.endIndex else { return nil }
            var length = Int(rest[index])
            index += 1
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard count >= 1, count <= 4, rest.endIndex - index >= count else { return nil }
                length = 0
                for _ in 0..<count {
                    length = length << 8 | Int(rest[index])
                    index += 1
                }
            }
            guard rest.endIndex - index >= length else { return nil }
            let content = rest[index..<index + length]
            rest = rest[(index + length)...]
            return content
        }
    }
}
