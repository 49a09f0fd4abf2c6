import Foundation

/// Throwaway certificates from `Tests/Support/make_certs.py` (ca, other-ca, good, wrong-host,
/// expired) in a temporary folder, for servers that offer STARTTLS.
public final class TestCertificates: @unchecked Sendable {
    public let folder = TemporaryDirectory("herald-certs")

    public init() throws {
        let made = try Subprocess.run(PackagePaths.python, [PackagePaths.path("Tests/Support/make_certs.py"), folder.path])
        guard made.status == 0 else { throw SMTPTestServer.SetupFailure(description: "make_certs.py: \(made)") }
    }

    public func file(_ name: String) -> String { folder.file(name) }

    /// `smtp_server.py` arguments to offer STARTTLS with the certificate `name` (e.g. "good").
    public func serverArguments(_ name: String) -> [String] { ["--tls-cert", file("\(name).pem"), "--tls-key", file("\(name).key")] }
}

extension SMTPTestServer {
    /// The verbs of the commands the server received, in order (`commands.log`), e.g.
    /// `["EHLO", "STARTTLS", "EHLO", "AUTH", "QUIT"]`.
    public func commands() -> [String] {
        let text = (try? String(contentsOfFile: (mailbox as NSString).appendingPathComponent("commands.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
    }
}
