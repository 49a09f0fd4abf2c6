import Foundation

/// Python's `email` package with `policy.strict`, via `Tests/Support/check_eml.py`: the
/// outside judge of every message Herald composes.
public enum EmailOracle {
    public struct Report: Sendable, Decodable {
        public var file: String
        public var ok: Bool
        public var problems: [String]
        public var subject: String
        public var from: String
        public var to: String
        public var to_display_name: String
        public var to_address: String
        public var message_id: String
        public var transfer_encoding: String
        public var body: String
        /// The text/html part's text; "" without one.
        public var html: String
        /// Every leaf part of a multipart message, in order; empty for a single part.
        public var parts: [Part]
    }

    /// One leaf part of a multipart message.
    public struct Part: Sendable, Decodable {
        public var content_type: String
        public var charset: String
        public var transfer_encoding: String
        public var disposition: String
        public var filename: String
        public var data_base64: String

        /// The part's decoded bytes.
        public var data: [UInt8] { [UInt8](Data(base64Encoded: data_base64) ?? Data()) }
    }

    /// Checks .eml files (or folders of them).
    public static func check(_ paths: [String]) throws -> [Report] {
        let result = try Subprocess.run(PackagePaths.python, [PackagePaths.path("Tests/Support/check_eml.py")] + paths)
        guard result.status == 0 || result.status == 1 else {
            throw SMTPTestServer.SetupFailure(description: "check_eml.py failed: \(result)")
        }
        return try JSONDecoder().decode([Report].self, from: Data(result.stdout.utf8))
    }

    /// Checks message bytes by writing them to a temporary file.
    public static func check(bytes: [UInt8]) throws -> Report {
        let folder = TemporaryDirectory("herald-oracle")
        let path = folder.file("message.eml")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try check([path])[0]
    }
}
