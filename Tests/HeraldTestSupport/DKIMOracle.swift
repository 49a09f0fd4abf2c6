import Foundation

/// dkimpy, via `Tests/Support/dkim_verify.py`: the outside judge of Herald's DKIM signatures,
/// with the public key (derived from the private one by Python's `cryptography`) handed to it
/// through its `dnsfunc` hook instead of DNS. Also makes throwaway keys.
public enum DKIMOracle {
    public struct Report: Sendable, Decodable {
        public var file: String
        /// True when dkimpy verified the first DKIM-Signature.
        public var ok: Bool
        /// dkimpy's reason when it did not ("" when it did).
        public var error: String
        /// The DNS names dkimpy asked for.
        public var looked_up: [String]
        /// The signature's tags as dkimpy parsed them (folding removed).
        public var tags: [String: String]
        /// The header field names dkimpy hashed, in order.
        public var signed_headers: [String]
    }

    /// The kinds of key `generateKey` makes.
    public enum KeyType: String, Sendable {
        case rsa, rsa1024, ed25519
        /// P-256: a private key DKIM does not sign with.
        case ec
    }

    /// How `generateKey` writes the key.
    public enum KeyFormat: String, Sendable {
        /// `PRIVATE KEY`, what `openssl genpkey` writes.
        case pkcs8
        /// `RSA PRIVATE KEY`, what older `openssl genrsa` writes.
        case pkcs1
        /// `ENCRYPTED PRIVATE KEY`, protected by a passphrase.
        case encrypted
    }

    /// Verifies message files; `key` is the private key's PEM file (its public half is served
    /// as `selector._domainkey.domain`).
    public static func verify(_ paths: [String], key: String, domain: String, selector: String) throws -> [Report] {
        let result = try Subprocess.run(
            PackagePaths.python,
            [
                PackagePaths.path("Tests/Support/dkim_verify.py"), "verify",
                "--key", key, "--domain", domain, "--selector", selector,
            ] + paths)
        guard result.status == 0 || result.status == 1 else {
            throw SMTPTestServer.SetupFailure(description: "dkim_verify.py failed: \(result)")
        }
        return try JSONDecoder().decode([Report].self, from: Data(result.stdout.utf8))
    }

    /// Verifies message bytes by writing them to a temporary file.
    public static func verify(bytes: [UInt8], key: String, domain: String, selector: String) throws -> Report {
        let folder = TemporaryDirectory("herald-dkim")
        let path = folder.file("message.eml")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try verify([path], key: key, domain: domain, selector: selector)[0]
    }

    /// Writes a new private key to `path` (mode 0600) and returns the path.
    @discardableResult
    public static func generateKey(_ type: KeyType, format: KeyFormat = .pkcs8, at path: String) throws -> String {
        let result = try Subprocess.run(
            PackagePaths.python,
            [
                PackagePaths.path("Tests/Support/dkim_verify.py"), "genkey",
                "--type", type.rawValue, "--format", format.rawValue, "--out", path,
            ])
        guard result.status == 0 else { throw SMTPTestServer.SetupFailure(description: "dkim_verify.py genkey failed: \(result)") }
        return path
    }
}
