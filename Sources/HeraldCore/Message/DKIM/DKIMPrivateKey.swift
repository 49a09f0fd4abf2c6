import Crypto
import Foundation
import _CryptoExtras

/// A DKIM signing key, parsed once per campaign from its PEM file.
///
/// Accepts what `openssl genpkey` and `openssl genrsa` write, unencrypted: `PRIVATE KEY`
/// (PKCS #8, RSA or Ed25519) and `RSA PRIVATE KEY` (PKCS #1). RSA keys must have at least
/// 1,024 bits (RFC 8301; 2,048 is what to generate). The key never leaves this value: no
/// description, no problem message carries any of its bytes.
public struct DKIMPrivateKey: Sendable {
    enum Material: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case ed25519(Ed25519Key)
    }

    /// swift-crypto 3.12 does not mark `Curve25519.Signing.PrivateKey` `Sendable` (its RSA key
    /// is). The key is an immutable value, set once and only read when signing (BoringSSL's
    /// `ED25519_sign` takes it as a const input), so sharing it between sender threads is safe.
    final class Ed25519Key: @unchecked Sendable {
        let key: Curve25519.Signing.PrivateKey

        init(_ key: Curve25519.Signing.PrivateKey) { self.key = key }
    }

    let material: Material

    /// Why a PEM file is not a key Herald can sign with; the message says what to do.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The algorithm this key signs with.
    public var algorithm: DKIMSettings.Algorithm {
        switch material {
        case .rsa: .rsaSHA256
        case .ed25519: .ed25519SHA256
        }
    }

    /// The key's size in bits: the modulus for RSA, 256 for Ed25519.
    public var bits: Int {
        switch material {
        case .rsa(let key): key.keySizeInBits
        case .ed25519: 256
        }
    }

    /// Parses a PEM private key and checks that it is of the kind `algorithm` signs with.
    ///
    /// - Throws: `Problem`: no PEM block, an encrypted key, a public key or certificate, a
    ///   key of another kind than `algorithm` needs, an RSA key under 1,024 bits, bytes that
    ///   are not a key.
    public init(pem: String, algorithm: DKIMSettings.Algorithm) throws(Problem) {
        let block = try Self.pemBlock(pem)
        let kind: DKIMSettings.Algorithm
        switch block.label {
        case "RSA PRIVATE KEY":
            kind = .rsaSHA256
        case "PRIVATE KEY":
            switch Self.pkcs8Algorithm(block.der) {
            case .rsa: kind = .rsaSHA256
            case .ed25519: kind = .ed25519SHA256
            case .other:
                throw Problem(
                    description:
                        "holds a private key of a kind DKIM does not sign with (neither RSA nor Ed25519); generate one with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`"
                )
            case nil: throw Problem(description: "the PRIVATE KEY block is not a PKCS #8 key (damaged or truncated?); generate the key again")
            }
        case "ENCRYPTED PRIVATE KEY":
            throw Problem(
                description:
                    "the key is encrypted with a passphrase, which Herald cannot ask for; write an unencrypted copy readable only by the sender (`openssl pkey -in KEY -out KEY.plain`, then chmod 600)"
            )
        case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
            throw Problem(description: "holds a \(block.label.lowercased()), not a private key; name the private key file (its public half goes in DNS)")
        case "EC PRIVATE KEY":
            throw Problem(description: "holds an elliptic-curve (ECDSA) key, which DKIM does not sign with; use an RSA or an Ed25519 key")
        default:
            throw Problem(description: "holds a PEM block \"\(block.label)\", not a private key")
        }
        guard kind == algorithm else {
            let wanted = algorithm == .rsaSHA256 ? "an RSA key" : "an Ed25519 key"
            let found = kind == .rsaSHA256 ? "an RSA key" : "an Ed25519 key"
            throw Problem(
                description:
                    "holds \(found), but algorithm \"\(algorithm.rawValue)\" signs with \(wanted); set algorithm = \"\(kind.rawValue)\", or name \(wanted)'s file"
            )
        }
        switch kind {
        case .rsaSHA256:
            let key: _RSA.Signing.PrivateKey
            do { key = try _RSA.Signing.PrivateKey(unsafeDERRepresentation: block.der) } catch {
                throw Problem(description: "is not a readable RSA private key, or one under 1024 bits (RFC 8301 forbids them); generate a 2048-bit key")
            }
            material = .rsa(key)
        case .ed25519SHA256:
            guard let seed = Self.pkcs8Ed25519Seed(block.der),
                let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
            else {
                throw Problem(description: "is not a readable Ed25519 private key; generate one with `openssl genpkey -algorithm ed25519`")
            }
            material = .ed25519(Ed25519Key(key))
        }
    }

    /// The public half as the `p=` tag of the DNS record: the SubjectPublicKeyInfo (DER) for
    /// RSA, the 32 raw bytes for Ed25519 (RFC 8463 §4.2), in base64.
    public var publicKeyBase64: String {
        switch material {
        case .rsa(let key): String(decoding: DKIMBase64.encode([UInt8](key.publicKey.derRepresentation)), as: UTF8.self)
        case .ed25519(let box): String(decoding: DKIMBase64.encode([UInt8](box.key.publicKey.rawRepresentation)), as: UTF8.self)
        }
    }

    /// The TXT record to publish at `selector._domainkey.domain`.
    public var dnsRecord: String { "v=DKIM1; k=\(algorithm.keyType); p=\(publicKeyBase64)" }

    /// Signs the SHA-256 digest of the data a DKIM signature covers: RSASSA-PKCS1-v1_5 over it
    /// for rsa-sha256, PureEdDSA over its 32 bytes for ed25519-sha256 (RFC 8463 §3).
    func sign(digest: Crypto.SHA256.Digest) throws -> [UInt8] {
        switch material {
        case .rsa(let key):
            return [UInt8](try key.signature(for: digest, padding: .insecurePKCS1v1_5).rawRepresentation)
        case .ed25519(let box):
            return [UInt8](try box.key.signature(for: Array(digest)))
        }
    }
}
