import Foundation
import HeraldCore
import HeraldTestSupport
import Logging
import Synchronization
import Testing

@testable import HeraldCLI

/// History does not slow the present: a recurring campaign fired a thousand times, in this
/// process, through the daemon's own path (`CampaignScheduler.load` for the plan, `DaemonFiring.fire` for
/// each firing, `FiringPlan.firing(after:)` for the next), reads the same few bytes of its
/// log at every firing, reaches its first letter as quickly, and does not grow.
@Suite struct RecurringHistoryTests {
    /// Accepts every letter at once, noting when the first of a firing was handed over.
    final class Stopwatch: MailTransport, @unchecked Sendable {
        private let lock = NSLock()
        private var firstLetter: Date?
        private var count = 0

        func deliver(_ message: ComposedMessage) -> DeliveryOutcome {
            lock.withLock {
                if firstLetter == nil { firstLetter = Date() }
                count += 1
                return .accepted(code: 250, reply: "250 2.0.0 Ok: queued as \(count)")
            }
        }

        /// When the first letter since the last call was handed over, and how many were.
        func take() -> (first: Date?, letters: Int) {
            lock.withLock {
                defer { firstLetter = nil; count = 0 }
                return (firstLetter, count)
            }
        }
    }

    /// The daemon's log lines, kept as JSON objects.
    final class Lines: Sendable {
        private let lines = Mutex<[[String: String]]>([])

        func append(_ line: String) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String] else { return }
            lines.withLock { $0.append(object) }
        }

        func take() -> [[String: String]] {
            lines.withLock { taken in
                defer { taken = [] }
                return taken
            }
        }
    }

    /// Resident set size in bytes (`/proc/self/statm`, second field, in pages).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func median(_ values: ArraySlice<Double>) -> Double { values.sorted()[values.count / 2] }

    @Test func aThousandFiringsReadTheSameBytesReachTheirFirstLetterAsSoonAndDoNotGrow() async throws {
        let count = 1_000, recipients = 10
        let folder = TemporaryDirectory("herald-history")
        let rows = (1...recipients).map { "reader-\($0)@history.example,Reader \($0)" }
        folder.write("list.csv", "email,name\n" + rows.joined(separator: "\n") + "\n")
        folder.write("letter.mustache", "From: Office <office@org.example>\nTo: {{name}} <{{email}}>\nSubject: Minutes\n\nDear {{name}}.\n")
        let campaign = folder.write(
            "campaigns/history.toml",
            """
            name = "history"
            template = "../letter.mustache"
            recipients = ["../list.csv"]
            log = "../history.jsonl"
            schedule = "* * * * *"

            [smtp]
            url = "smtp://127.0.0.1:2525"
            """)
        let transport = Stopwatch()
        let lines = Lines()
        let clock = SystemClock()
        let logger = Logger(label: "herald.daemon.test") { _ in HeraldLogHandler(format: .json, clock: clock, write: { lines.append($0) }) }
        let runtime = folder.path
        // Output, clock and stop hooks are the daemon's (`DaemonFiring.parts`).
        let firings = DaemonFiring(
            clock: clock, logger: logger,
            makeParts: {
                ApplicationParts(
                    output: { _ in }, errors: { _ in }, clock: SystemClock(), environment: ["XDG_RUNTIME_DIR": runtime],
                    makeTransport: { _ throws(TransportSetupError) in transport })
            })
        let scheduler = CampaignScheduler(directory: folder.file("campaigns"), firing: firings, reloads: ReloadSignal())
        let entry = try #require(scheduler.load(campaign))
        var firing = try #require(entry.queue.first)

        var bytesRead: [Int] = [], firstLetter: [Double] = [], resident: [Int] = [], reads: [String] = []
        // Off the cooperative pool, which the synchronous subprocess tests beside it can hold.
        let executor = DedicatedExecutor(label: "herald.test.history")
        for _ in 0..<count {
            _ = lines.take()
            let due = Date()
            let next = firing
            _ = await executor.run { await firings.fire(entry.path, name: entry.name, occurrence: next.occurrence, due: next.due) }
            let (first, letters) = transport.take()
            #expect(letters == recipients)
            firstLetter.append(first.map { $0.timeIntervalSince(due) } ?? .infinity)
            let fired = try #require(lines.take().first { $0["message"] == "fired" })
            #expect(fired["exit"] == "0")
            bytesRead.append(Int(fired["log_bytes_read"] ?? "") ?? -1)
            reads.append(fired["log_read"] ?? "")
            resident.append(Self.residentBytes())
            let occurrence = try #require(firing.occurrence)
            firing = try #require(FiringPlan.firing(after: occurrence, schedule: entry.schedule, now: occurrence))
        }

        let logSize = (try FileManager.default.attributesOfItem(atPath: folder.file("history.jsonl"))[.size] as? Int) ?? 0
        let early = bytesRead[1..<100], late = bytesRead[(count - 100)...]
        let lateDelay = Self.median(firstLetter[(count - 100)...]), earlyDelay = Self.median(firstLetter[1..<100])
        let growth = resident[count - 1] - resident[99]
        print(
            """
            history: \(count) firings of \(recipients) letters, log \(logSize) bytes at the end; \
            bytes read per firing: firing 1 \(bytesRead[0]) (\(reads[0])), firing 2 \(bytesRead[1]), \
            firings 2-100 at most \(early.max()!), firings \(count - 99)-\(count) at most \(late.max()!) (firing \(count): \(bytesRead[count - 1])); \
            due to first letter, median: firings 2-100 \(String(format: "%.2f", earlyDelay * 1000)) ms, \
            last 100 \(String(format: "%.2f", lateDelay * 1000)) ms; \
            RSS: after firing 1 \(resident[0] >> 10) KiB, 100 \(resident[99] >> 10) KiB, \(count) \(resident[count - 1] >> 10) KiB \
            (\(growth / (count - 100)) bytes per firing since the 100th)
            """)
        #expect(reads.dropFirst().allSatisfy { $0 == "index" }, "\(Set(reads.dropFirst()))")
        #expect(late.max()! <= early.max()!, "a late firing read more than any early one")
        #expect(late.max()! < logSize / 100, "a firing reads a small part of the log")
        // Loose: time is noisy on a shared machine, but a firing that read the whole history
        // would take many times longer by the end.
        #expect(lateDelay < earlyDelay * 3 + 0.010, "due to first letter: \(earlyDelay) s early, \(lateDelay) s late")
        // Loose too: other suites run in this process meanwhile. Reading the whole history at
        // each firing, as before the index, grew it by over 20 MB here; what remains is about
        // 2.5 KB a firing that TOMLKit keeps of each parse of the campaign file (LebJe/TOMLKit#26).
        #expect(growth < 12 << 20, "RSS grew \(growth >> 10) KiB over \(count - 100) firings")
    }
}
