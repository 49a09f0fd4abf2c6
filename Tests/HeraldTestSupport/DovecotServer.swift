import Foundation

/// A real IMAP server for the bounce tests: Debian's Dovecot (`dovecot-imapd`), started in
/// the foreground with a configuration generated into a temporary folder: one passwd-file
/// user, a maildir under the folder, plaintext login allowed, listening on a free port of
/// 127.0.0.1 (and, when asked, of a non-loopback address of this machine, to show that
/// Herald refuses plaintext IMAP there). Mail is delivered by writing maildir files.
///
/// Dovecot runs as root here and drops to its own users (`dovecot`, `dovenull`); the mail is
/// owned by `nobody` (Dovecot refuses uid 0 for mail), so the folder is world-searchable.
public final class DovecotServer: @unchecked Sendable {
    public static let binary = "/usr/sbin/dovecot"
    public static let mailUID: uid_t = 65534

    public let folder: String
    public let port: Int
    public let username = "bounces"
    public let password = "correct horse battery"
    /// A non-loopback address it also listens on, when asked for one and this machine has one.
    public let externalAddress: String?
    private let process: Subprocess.Running
    private var counter = 0

    public var url: String { "imap://127.0.0.1:\(port)/INBOX" }
    var maildir: String { (folder as NSString).appendingPathComponent("home/\(username)/Maildir") }

    /// - Parameters:
    ///   - tls: a certificate and key (PEM paths) to offer STARTTLS with; nil: plaintext only.
    ///   - capabilities: the capability list to announce after login instead of Dovecot's own
    ///     (to play a server without `MOVE`); nil: Dovecot's.
    public init(
        alsoOnExternalAddress: Bool = false, tls: (certificate: String, key: String)? = nil,
        capabilities: String? = nil
    ) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw SMTPTestServer.SetupFailure(description: "\(Self.binary) not found: install dovecot-imapd (make deps does)")
        }
        folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("herald-dovecot-\(UUID().uuidString.prefix(8))")
        for sub in ["run", "state", "home/\(username)/Maildir/new", "home/\(username)/Maildir/cur", "home/\(username)/Maildir/tmp"] {
            try FileManager.default.createDirectory(
                atPath: (folder as NSString).appendingPathComponent(sub), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o755])
        }
        chmod(folder, 0o755)
        port = try Self.freePort()
        externalAddress = alsoOnExternalAddress ? Self.externalIPv4() : nil
        let listen = ["127.0.0.1"] + (externalAddress.map { [$0] } ?? [])
        let passwd = (folder as NSString).appendingPathComponent("passwd")
        try "\(username):{PLAIN}\(password)\n".write(toFile: passwd, atomically: true, encoding: .utf8)
        chmod(passwd, 0o644)
        let config = """
            base_dir = \(folder)/run
            state_dir = \(folder)/state
            log_path = \(folder)/dovecot.log
            protocols = imap
            listen = \(listen.joined(separator: ", "))
            \(tls.map { "ssl = yes\nssl_cert = <\($0.certificate)\nssl_key = <\($0.key)" + (FileManager.default.fileExists(atPath: "/usr/share/dovecot/dh.pem") ? "\nssl_dh = </usr/share/dovecot/dh.pem" : "") } ?? "ssl = no")
            \(capabilities.map { "imap_capability = \($0)" } ?? "")
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            default_login_user = dovenull
            default_internal_user = dovecot
            mail_location = maildir:\(folder)/home/%u/Maildir
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u \(passwd)
            }
            userdb {
              driver = static
              args = uid=\(Self.mailUID) gid=\(Self.mailUID) home=\(folder)/home/%u
            }
            service imap-login {
              inet_listener imap {
                port = \(port)
              }
              inet_listener imaps {
                port = 0
              }
            }
            """
        let configPath = (folder as NSString).appendingPathComponent("dovecot.conf")
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o644)
        try Self.chownTree((folder as NSString).appendingPathComponent("home"))
        process = try Subprocess.start(Self.binary, ["-F", "-c", configPath])
        let port = self.port
        guard waitUntil(20, { Self.accepts(port: port) }) else {
            process.signal(SIGTERM)
            let log = (try? String(contentsOfFile: (folder as NSString).appendingPathComponent("dovecot.log"), encoding: .utf8)) ?? ""
            throw SMTPTestServer.SetupFailure(description: "dovecot did not start: \(process.wait(timeout: 5))\n\(log)")
        }
    }

    deinit {
        process.signal(SIGTERM)
        _ = process.wait(timeout: 10)
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Delivers a message into `INBOX` (a new maildir file, unseen), as an MTA would.
    public func deliver(_ bytes: [UInt8]) throws {
        counter += 1
        let name = "\(Int(Date().timeIntervalSince1970)).herald\(counter).test"
        let tmp = (maildir as NSString).appendingPathComponent("tmp/\(name)")
        try Data(bytes).write(to: URL(fileURLWithPath: tmp))
        chown(tmp, Self.mailUID, Self.mailUID)
        try FileManager.default.moveItem(atPath: tmp, toPath: (maildir as NSString).appendingPathComponent("new/\(name)"))
    }

    /// The messages of a folder (`INBOX` or a subfolder's name), each with whether it is seen.
    public func messages(in name: String = "INBOX") -> [(file: String, seen: Bool)] {
        let base = name == "INBOX" ? maildir : (maildir as NSString).appendingPathComponent(".\(name)")
        var found: [(String, Bool)] = []
        for sub in ["new", "cur"] {
            let path = (base as NSString).appendingPathComponent(sub)
            for file in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                let flags = file.components(separatedBy: ":2,").dropFirst().first ?? ""
                found.append(((path as NSString).appendingPathComponent(file), flags.contains("S")))
            }
        }
        return found
    }

    public var log: String {
        (try? String(contentsOfFile: (folder as NSString).appendingPathComponent("dovecot.log"), encoding: .utf8)) ?? ""
    }

    private static func chownTree(_ path: String) throws {
        chown(path, mailUID, mailUID)
        for item in FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [] {
            chown((path as NSString).appendingPathComponent(item), mailUID, mailUID)
        }
    }

    /// A port the kernel just handed out on 127.0.0.1 (closed again; taken by Dovecot at once).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw SMTPTestServer.SetupFailure(description: "no free port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// The first IPv4 address of this machine that is not loopback, if any.
    static func externalIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor?.pointee {
            defer { cursor = entry.ifa_next }
            guard let address = entry.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard getnameinfo(address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            let text = String(cString: host)
            if !text.hasPrefix("127.") { return text }
        }
        return nil
    }
}
