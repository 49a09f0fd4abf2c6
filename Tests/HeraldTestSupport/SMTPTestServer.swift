import Foundation

/// A real SMTP server (aiosmtpd, `Tests/Support/smtp_server.py`) on a free loopback port,
/// storing every message it accepts, with optional fault injection.
public final class SMTPTestServer: @unchecked Sendable {
    /// One message as the server stored it.
    public struct Received: Sendable {
        public var data: [UInt8]
        public var mailFrom: String
        public var recipients: [String]
        public var messageID: String?
        public var connection: Int
        public var file: String

        /// The body: everything after the first blank line.
        public var body: [UInt8] { Received.split(data).body }

        /// Splits raw message bytes at the first blank line.
        public static func split(_ bytes: [UInt8]) -> (headers: [UInt8], body: [UInt8]) {
            let separator: [UInt8] = [13, 10, 13, 10]
            guard bytes.count >= 4 else { return (bytes, []) }
            for index in 0...(bytes.count - 4) where Array(bytes[index..<index + 4]) == separator {
                return (Array(bytes[..<index]), Array(bytes[(index + 4)...]))
            }
            return (bytes, [])
        }
    }

    public let store: TemporaryDirectory
    public let port: Int
    private let running: Subprocess.Running

    /// Starts the server; `faults` are extra smtp_server.py arguments, e.g. `["--rcpt-reply", "a@b.example=550"]`.
    public init(faults: [String] = [], port requestedPort: Int = 0) throws {
        store = TemporaryDirectory("herald-smtp")
        let ready = store.file("port")
        let mailbox = store.file("mailbox")
        try FileManager.default.createDirectory(atPath: mailbox, withIntermediateDirectories: true)
        running = try Subprocess.start(
            PackagePaths.python,
            [
                PackagePaths.path("Tests/Support/smtp_server.py"), "--store", mailbox,
                "--ready-file", ready, "--port", "\(requestedPort)",
            ] + faults)
        let deadline = Date().addingTimeInterval(20)
        var found: Int?
        while Date() < deadline {
            if let text = try? String(contentsOfFile: ready, encoding: .utf8), let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                found = value
                break
            }
            if !running.process.isRunning { break }
            usleep(20_000)
        }
        guard let found else {
            let result = running.wait(timeout: 1)
            throw SetupFailure(description: "the test SMTP server did not start: \(result)")
        }
        port = found
    }

    public struct SetupFailure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public var url: String { "smtp://127.0.0.1:\(port)" }
    public var mailbox: String { store.file("mailbox") }

    /// Every accepted message, in arrival order.
    public func messages() -> [Received] {
        guard let index = try? String(contentsOfFile: (mailbox as NSString).appendingPathComponent("index.jsonl"), encoding: .utf8) else { return [] }
        return index.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let file = object["file"] as? String,
                let data = FileManager.default.contents(atPath: (mailbox as NSString).appendingPathComponent(file))
            else { return nil }
            return Received(
                data: [UInt8](data), mailFrom: object["mail_from"] as? String ?? "",
                recipients: object["rcpt_tos"] as? [String] ?? [],
                messageID: object["message_id"] as? String, connection: object["connection"] as? Int ?? 0,
                file: (mailbox as NSString).appendingPathComponent(file))
        }
    }

    /// Client connections the server has seen.
    public func connections() -> Int {
        guard let data = FileManager.default.contents(atPath: (mailbox as NSString).appendingPathComponent("stats.json")),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return 0 }
        return object["connections"] as? Int ?? 0
    }

    public func stop() {
        if running.process.isRunning {
            running.signal(SIGTERM)
            _ = running.wait(timeout: 10)
        }
    }

    deinit { stop() }
}

/// A loopback port with nothing listening on it (bound, then released).
public func unusedLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
