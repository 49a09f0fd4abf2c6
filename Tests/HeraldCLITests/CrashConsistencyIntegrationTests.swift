import Foundation
import HeraldTestSupport
import Testing

/// The exactly-once promise under a crash at every point the delivery log is touched
/// (issue 10, "Tests"), as the ALICE and CrashMonkey studies do it: the crash-point shim
/// (`Tests/Support/crashpoint.c`), preloaded into the real `herald`, kills it with SIGKILL
/// at the K-th write, fsync or rename of the log, for every K of a 20-letter send, in each
/// way a crash can leave the log (`CrashPoint.Mode`: before the call, after it, half a
/// write, and a power loss that drops what was not fsync'd). After each crash a plain rerun
/// (no `--resend-in-doubt`) must leave every letter received exactly once by the real test
/// server, except the letters it reports in doubt by name, each received at most once; it
/// exits 0, or 75 when some are in doubt; `herald status` then reads the log and agrees.
///
/// The kill points are learnt from a run that only counts, never hard-coded: they change
/// with how the engine commits the log (batches of intents per fsync), and from run to run
/// when batch sizes follow the measured sending rate. A crashed run whose schedule made
/// fewer calls than K ends normally, which is accepted when its own count says so.
@Suite(.tags(.integration)) struct CrashConsistencyIntegrationTests {
    static let letters = 20
    /// Trials run side by side (each a crashed send, a rerun and a status).
    static let width = 3
    static let template = """
        From: Office <office@org.example>
        To: {{name}} <{{email}}>
        Subject: Letter {{number}}

        Dear {{name}}, this is letter {{number}}.
        """

    /// How one `herald` run ended.
    struct Run: Sendable, CustomStringConvertible {
        var status: Int32
        /// Killed by SIGKILL (the shim's doing), rather than exited.
        var killed: Bool
        var stdout: String
        var stderr: String

        var description: String {
            "\(killed ? "killed by SIGKILL" : "exit \(status)")\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)"
        }
    }

    /// A campaign of `letters` letters to `r1@domain` … in a folder of its own, on tmpfs
    /// (`/dev/shm`) when there is one: an fsync there costs nothing, and what a crash leaves
    /// of the log is the shim's doing (see `CrashPoint.Mode`), not the disk's.
    final class Campaign: @unchecked Sendable {
        let folder: String
        var path: String { folder + "/campaign.toml" }
        var log: String { folder + "/delivery.jsonl" }

        init(domain: String, concurrency: Int) throws {
            var isFolder: ObjCBool = false
            let memory =
                FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isFolder) && isFolder.boolValue
                && access("/dev/shm", W_OK) == 0
            let base = memory ? "/dev/shm" : NSTemporaryDirectory()
            folder = (base as NSString).appendingPathComponent("herald-crash-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let rows = (1...letters).map { "r\($0)@\(domain),Recipient \($0),\($0)\n" }
            try template.write(toFile: folder + "/letter.mustache", atomically: false, encoding: .utf8)
            try ("email,name,number\n" + rows.joined()).write(toFile: folder + "/list.csv", atomically: false, encoding: .utf8)
            try """
            name = "crash-test"
            template = "letter.mustache"
            recipients = ["list.csv"]
            log = "delivery.jsonl"
            [limits]
            concurrency = \(concurrency)
            [smtp]
            url = "smtp://127.0.0.1:9"
            """.write(toFile: path, atomically: false, encoding: .utf8)
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }

        /// Runs `herald ARGUMENTS` on this campaign. (Not `Subprocess`: its output handles stay
        /// open after the run, and the thousand runs here would pile up descriptors.)
        func herald(_ command: String, _ more: [String] = [], environment: [String: String] = [:]) throws -> Run {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: PackagePaths.herald)
            process.arguments = [command, path] + more
            // The campaign-name lock's folder: this campaign's own (tests run side by side).
            process.environment = ProcessInfo.processInfo.environment
                .merging(["XDG_RUNTIME_DIR": Subprocess.runtimeFolder(arguments: [folder], directory: nil)]) { $1 }
                .merging(environment) { $1 }
            let id = UUID().uuidString.prefix(8)
            let outPath = folder + "/out-\(id)", errPath = folder + "/err-\(id)"
            FileManager.default.createFile(atPath: outPath, contents: nil)
            FileManager.default.createFile(atPath: errPath, contents: nil)
            let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
            let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
            defer {
                try? out.close()
                try? err.close()
            }
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning && Date() < deadline { usleep(5_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            let killed = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
            return Run(
                status: process.terminationStatus, killed: killed,
                stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
        }
    }

    /// One crash and what followed it.
    struct Trial: Sendable {
        var at: Int
        var domain: String
        var crash: Run?
        /// The calls the crashed run made, when it ended normally (K was beyond its run).
        var crashCount: CrashPoint.Count?
        var rerun: Run?
        var status: Run?
        /// The rerun's `in doubt: ADDRESS <MESSAGE-ID>` lines: address → Message-ID.
        var doubts: [String: String] = [:]
        var failures: [String] = []
    }

    static func doubts(_ stderr: String) -> [String: String] {
        var found: [String: String] = [:]
        for line in stderr.split(separator: "\n") where line.hasPrefix("in doubt: ") {
            // in doubt: ADDRESS <MESSAGE-ID>[ (why)]: what to do
            let rest = line.dropFirst("in doubt: ".count)
            guard let address = rest.split(separator: " ").first else { continue }
            var messageID = "?"
            if let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
                messageID = String(rest[open...close])
            }
            found[address.lowercased()] = messageID
        }
        return found
    }

    /// Runs `body` for each item on `width` threads (the test's own task stays in charge of
    /// every expectation: the results are checked after all are done).
    static func parallelMap<T: Sendable>(_ items: [Int], width: Int, _ body: @Sendable @escaping (Int) -> T) -> [T] {
        let lock = NSLock()
        nonisolated(unsafe) var results = [T?](repeating: nil, count: items.count)
        nonisolated(unsafe) var next = 0
        DispatchQueue.concurrentPerform(iterations: min(width, items.count)) { _ in
            while true {
                let index: Int? = lock.withLock {
                    guard next < items.count else { return nil }
                    defer { next += 1 }
                    return next
                }
                guard let index else { return }
                let result = body(items[index])
                lock.withLock { results[index] = result }
            }
        }
        return results.map { $0! }
    }

    /// A send crashed at call `at`, then a plain rerun and a status of the same campaign.
    static func trial(at: Int, mode: CrashPoint.Mode, concurrency: Int, shim: CrashPoint, server: SMTPTestServer) -> Trial {
        let domain = "k\(at)-\(mode).c\(concurrency).crash.example"
        var trial = Trial(at: at, domain: domain)
        do {
            let campaign = try Campaign(domain: domain, concurrency: concurrency)
            let countFile = campaign.folder + "/crash-count"
            let crash = try campaign.herald(
                "send", ["--smtp-url", server.url],
                environment: shim.environment(
                    watching: campaign.log, at: at, mode: mode,
                    countFile: countFile))
            trial.crash = crash
            if !crash.killed { trial.crashCount = CrashPoint.count(in: countFile) }
            let rerun = try campaign.herald("send", ["--smtp-url", server.url])
            trial.rerun = rerun
            trial.doubts = doubts(rerun.stderr)
            trial.status = try campaign.herald("status", ["--json"])
        } catch {
            trial.failures.append("could not run herald: \(error)")
        }
        return trial
    }

    /// Checks one trial against the crashed run, the rerun, the status and what the server
    /// received (`received`: recipient → the Message-IDs stored for it).
    static func check(_ trial: inout Trial, received: [String: [String]]) {
        guard let crash = trial.crash, let rerun = trial.rerun, let statusRun = trial.status else { return }
        if !crash.killed {
            if let count = trial.crashCount, count.total < trial.at, crash.status == 0 {
                // K was beyond this run's calls (its batches came out differently).
            } else {
                trial.failures.append(
                    "the crashed run was not killed and did not end cleanly before call \(trial.at) "
                        + "(calls: \(trial.crashCount.map { "\($0.total)" } ?? "unknown")): \(crash)")
            }
        }
        let expected: Int32 = trial.doubts.isEmpty ? 0 : 75
        if rerun.status != expected || rerun.killed {
            trial.failures.append(
                "the rerun ended \(rerun.killed ? "killed" : "with \(rerun.status)"), expected \(expected) "
                    + "with \(trial.doubts.count) in doubt: \(rerun)")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(statusRun.stdout.utf8))) as? [String: Any] ?? [:]
        let status = object.compactMapValues { $0 as? Int }
        let agrees =
            status["total"] == letters && status["in_doubt"] == trial.doubts.count
            && status["sent"] == letters - trial.doubts.count && status["pending"] == 0
            && status["failed"] == 0 && status["deferred"] == 0
        if statusRun.status != 0 || !agrees {
            trial.failures.append(
                "herald status after the rerun does not agree (expected \(letters - trial.doubts.count) sent, "
                    + "\(trial.doubts.count) in doubt): \(statusRun)")
        }
        for number in 1...letters {
            let recipient = "r\(number)@\(trial.domain)"
            let ids = received[recipient] ?? []
            if let doubt = trial.doubts[recipient] {
                if ids.count > 1 { trial.failures.append("\(recipient) (in doubt) was received \(ids.count) times") }
                if let id = ids.first, id != doubt {
                    trial.failures.append("\(recipient) is reported in doubt as \(doubt), but the server holds \(id)")
                }
            } else if ids.count != 1 {
                trial.failures.append(
                    "\(recipient) was received \(ids.count) times and is not reported in doubt"
                        + (ids.isEmpty ? " (lost)" : " (duplicated)"))
            }
        }
        let strangers = trial.doubts.keys.filter { !$0.hasSuffix("@\(trial.domain)") }
        if !strangers.isEmpty { trial.failures.append("in doubt, but not of this campaign: \(strangers)") }
    }

    @Test(arguments: [1, 4], CrashPoint.Mode.allCases)
    func everyKillPointLeavesEachLetterSentOnceOrReportedInDoubt(concurrency: Int, mode: CrashPoint.Mode) throws {
        let started = Date()
        let shim = try CrashPoint.shared.get()
        let server = try SMTPTestServer()

        // A run that only counts: how many calls touch the log in a whole 20-letter send.
        let dryDomain = "dry.c\(concurrency).crash.example"
        let dry = try Campaign(domain: dryDomain, concurrency: concurrency)
        let countFile = dry.folder + "/crash-count"
        let counted = try dry.herald(
            "send", ["--smtp-url", server.url],
            environment: shim.environment(watching: dry.log, at: nil, countFile: countFile))
        #expect(counted.status == 0 && !counted.killed, "\(counted)")
        let count = try #require(CrashPoint.count(in: countFile), "the shim wrote no count: was it preloaded?")
        try #require(count.total > 0, "the shim saw no call on the log \(dry.log)")

        // Every kill point; for `torn` and `power` only those where they differ from `before`.
        let points = (1...count.total).filter { count.applies(mode, at: $0) }
        var trials = Self.parallelMap(points, width: Self.width) { at in
            Self.trial(at: at, mode: mode, concurrency: concurrency, shim: shim, server: server)
        }

        // What the server received, once it has taken everything a killed run left in flight.
        var messages = server.messages()
        _ = waitUntil(5) {
            usleep(200_000)
            let again = server.messages()
            defer { messages = again }
            return again.count == messages.count
        }
        var received: [String: [String]] = [:]
        for message in messages {
            received[message.recipients.first?.lowercased() ?? "?", default: []].append(message.messageID ?? "?")
        }
        let dryReceived = (1...Self.letters).map { received["r\($0)@\(dryDomain)"]?.count ?? 0 }
        #expect(dryReceived.allSatisfy { $0 == 1 }, "the counting run sends every letter once: \(dryReceived)")

        for index in trials.indices {
            Self.check(&trials[index], received: received)
        }
        for trial in trials where !trial.failures.isEmpty {
            Issue.record(
                """
                concurrency \(concurrency), crash \(mode) at call \(trial.at) of \(count.total) \
                (\(count.kind(trial.at)) in the counting run):
                \(trial.failures.joined(separator: "\n"))
                """)
        }
        let doubted = trials.flatMap { $0.doubts.keys }
        let doubtedReceived = doubted.filter { received[$0]?.isEmpty == false }
        let tornWarnings = trials.filter { $0.rerun?.stderr.contains("incomplete last line") == true }.count
        print(
            """
            crash consistency: concurrency \(concurrency), \(mode): \(count.total) kill points (\(count.kinds)), \
            \(points.count) tried, \(trials.filter { $0.crash?.killed == true }.count) killed; \
            \(trials.filter { !$0.doubts.isEmpty }.count) crashes left \(doubted.count) letters in doubt \
            (\(doubtedReceived.count) of them had reached the server; at most \
            \(trials.map(\.doubts.count).max() ?? 0) after one crash); \(tornWarnings) torn last lines; \
            \(trials.filter { !$0.failures.isEmpty }.count) failing; \
            \(String(format: "%.1f", Date().timeIntervalSince(started))) s
            """)
    }
}
