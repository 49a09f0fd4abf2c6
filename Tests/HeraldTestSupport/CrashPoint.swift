import Foundation

/// The crash-point shim (`Tests/Support/crashpoint.c`), compiled into a temporary folder:
/// preloaded into a child process, it counts the calls that touch one file (write, writev,
/// pwrite, fsync, fdatasync, rename) and kills the process with SIGKILL at the K-th.
public final class CrashPoint: @unchecked Sendable {
    /// Where the K-th call dies.
    public enum Mode: String, CaseIterable, Sendable, CustomStringConvertible {
        /// Before the call: the write never happened.
        case before
        /// After the call: the write reached the file (the page cache), then the process died.
        case after
        /// A write performs only the first half of its bytes, then the process dies (a torn
        /// line); at a sync or rename, as `before`.
        case torn
        /// Before the call, and the file is cut back to its length at the last fsync, as a
        /// power loss drops what only reached the page cache: an intent handed out before
        /// its fsync is lost. Where nothing is unsynced, as `before`.
        case power

        public var description: String { rawValue }
    }

    /// What one process did, from the count file: how many calls, and one letter per call
    /// (w write, v writev, p pwrite, s fsync, d fdatasync, r rename), upper case when the
    /// file then held bytes written since its last sync.
    public struct Count: Sendable {
        public var total: Int
        public var kinds: String

        private func letter(_ number: Int) -> Character? {
            guard number >= 1, number <= kinds.count else { return nil }
            return kinds[kinds.index(kinds.startIndex, offsetBy: number - 1)]
        }

        /// Whether `mode` at call `number` leaves a state no `before` or `after` crash does:
        /// `torn` only at a write, `power` only where unsynced bytes would be lost.
        public func applies(_ mode: Mode, at number: Int) -> Bool {
            guard let letter = letter(number) else { return false }
            switch mode {
            case .before, .after: return true
            case .torn: return "wvp".contains(letter.lowercased())
            case .power: return letter.isUppercase
            }
        }

        /// "fsync", "write" … for call `number` (1-based).
        public func kind(_ number: Int) -> String {
            guard let letter = letter(number) else { return "beyond the run" }
            let unsynced = letter.isUppercase ? ", unsynced bytes in the file" : ""
            switch letter.lowercased() {
            case "w": return "write" + unsynced
            case "v": return "writev" + unsynced
            case "p": return "pwrite" + unsynced
            case "s": return "fsync" + unsynced
            case "d": return "fdatasync" + unsynced
            case "r": return "rename" + unsynced
            default: return "?"
            }
        }
    }

    private let folder: TemporaryDirectory
    /// The compiled shared object.
    public let library: String

    /// The shim, compiled once per test process (its folder removed at exit).
    public static let shared: Result<CrashPoint, any Error> = {
        let compiled = Result { try CrashPoint() }
        if case .success = compiled { atexit { CrashPoint.removeShared() } }
        return compiled
    }()

    private static func removeShared() {
        if case .success(let shim) = shared { try? FileManager.default.removeItem(atPath: shim.folder.path) }
    }

    /// Compiles the shim with the system's `cc` into a temporary folder of its own.
    public init() throws {
        folder = TemporaryDirectory("herald-crashpoint")
        library = folder.file("crashpoint.so")
        let compiled = try Subprocess.run(
            "cc",
            [
                "-shared", "-fPIC", "-O2", "-o", library,
                PackagePaths.path("Tests/Support/crashpoint.c"), "-ldl",
            ])
        guard compiled.status == 0, FileManager.default.fileExists(atPath: library) else {
            throw SMTPTestServer.SetupFailure(description: "cannot compile Tests/Support/crashpoint.c: \(compiled)")
        }
    }

    /// The environment that preloads the shim watching `file`: kill at call `at` (nil: only
    /// count), and with `countFile`, append the number of calls there at a normal exit.
    public func environment(watching file: String, at: Int?, mode: Mode = .before, countFile: String? = nil) -> [String: String] {
        var environment = ["LD_PRELOAD": library, "HERALD_CRASH_LOG": file, "HERALD_CRASH_MODE": mode.rawValue]
        if let at { environment["HERALD_CRASH_AT"] = "\(at)" }
        if let countFile { environment["HERALD_CRASH_COUNT_FILE"] = countFile }
        return environment
    }

    /// The count a process appended to `countFile` (the largest, should helper processes
    /// that touched nothing have added lines of 0); nil when none did.
    public static func count(in countFile: String) -> Count? {
        guard let text = try? String(contentsOfFile: countFile, encoding: .utf8) else { return nil }
        let counts = text.split(separator: "\n").compactMap { line -> Count? in
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard let total = parts.first.flatMap({ Int($0) }) else { return nil }
            return Count(total: total, kinds: parts.count > 1 ? String(parts[1]) : "")
        }
        return counts.max { $0.total < $1.total }
    }
}
