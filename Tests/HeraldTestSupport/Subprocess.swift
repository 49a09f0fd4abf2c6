import Foundation

/// Runs child processes for integration tests: the real `herald` binary and Python helpers.
public enum Subprocess {
    public struct Result: Sendable, CustomStringConvertible {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        public var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
    }

    /// Starts a process with stdout/stderr captured into files (pipes can fill and block).
    public final class Running: @unchecked Sendable {
        public let process: Process
        let outPath: String
        let errPath: String
        /// The parent's ends of the child's stdout and stderr, closed once it exits (a test
        /// that runs hundreds of processes would otherwise run out of descriptors).
        let handles: [FileHandle]

        init(process: Process, outPath: String, errPath: String, handles: [FileHandle]) {
            self.process = process
            self.outPath = outPath
            self.errPath = errPath
            self.handles = handles
        }

        public var pid: Int32 { process.processIdentifier }

        /// Waits for exit, at most `timeout` seconds (then kills it and records status -9).
        public func wait(timeout: TimeInterval = 120) -> Result {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            for handle in handles { try? handle.close() }
            let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
            return Result(status: process.terminationStatus, stdout: out, stderr: err)
        }

        public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

        /// What the process wrote to stderr so far (it may still be running).
        public func stderrSoFar() -> String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
    }

    /// Starts `executable` (a path, or a name looked up on PATH) with `arguments`.
    public static func start(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        directory: String? = nil
    ) throws -> Running {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        var env = ProcessInfo.processInfo.environment
        if executable == PackagePaths.herald || arguments.contains(PackagePaths.herald) {
            // Herald locks a campaign's name in the runtime folder: tests run side by side with
            // campaigns of one name, so each test's runs share a folder of their own.
            env["XDG_RUNTIME_DIR"] = runtimeFolder(arguments: arguments, directory: directory)
        }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let id = UUID().uuidString.prefix(8)
        let outPath = (NSTemporaryDirectory() as NSString).appendingPathComponent("herald-out-\(id)")
        let errPath = (NSTemporaryDirectory() as NSString).appendingPathComponent("herald-err-\(id)")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let handles = [FileHandle(forWritingAtPath: outPath), FileHandle(forWritingAtPath: errPath)].compactMap { $0 }
        process.standardOutput = handles.first
        process.standardError = handles.last
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            for handle in handles { try? handle.close() }
            throw error
        }
        return Running(process: process, outPath: outPath, errPath: errPath, handles: handles)
    }

    /// The runtime folder for a `herald` run (started directly or through a shell or script):
    /// beside the test's temporary folder that the
    /// first argument (or the working folder) lies in, so the runs of one test meet each
    /// other's campaign-name locks and those of other tests do not; a new one otherwise.
    public static func runtimeFolder(arguments: [String], directory: String?) -> String {
        let temporary = (NSTemporaryDirectory() as NSString).standardizingPath + "/"
        // Nothing inside the package (the herald binary, a campaign of the repository) is the
        // test's folder: a checkout under /tmp (as CI's fresh clone may be) put every run started
        // through a script in one shared folder, and parallel tests of one campaign name met.
        let package = (PackagePaths.root as NSString).standardizingPath + "/"
        let within = (arguments + [directory].compactMap { $0 }).first {
            $0.hasPrefix(temporary) && !$0.hasPrefix(package) && $0 != PackagePaths.herald
        }
        let name = within.map { String($0.dropFirst(temporary.count).split(separator: "/").first ?? "x") } ?? "herald-\(UUID().uuidString.prefix(8))"
        let folder = temporary + name + ".run"
        mkdir(folder, 0o700)
        return folder
    }

    /// Runs to completion.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        directory: String? = nil, timeout: TimeInterval = 120
    ) throws -> Result {
        try start(executable, arguments, environment: environment, directory: directory).wait(timeout: timeout)
    }

    /// Runs the built `herald` binary.
    public static func herald(
        _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        timeout: TimeInterval = 120
    ) throws -> Result {
        try run(PackagePaths.herald, arguments, environment: environment, directory: directory, timeout: timeout)
    }
}
