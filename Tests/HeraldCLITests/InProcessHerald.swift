import Foundation
import HeraldCore
import HeraldCurl
import HeraldTestSupport

@testable import HeraldCLI

/// Herald's commands run in this process through `buildApplication(_:)` over in-memory
/// adapters: a `MemoryJournal` per delivery log path, a `ScriptedTransport` on the campaign's
/// journal, a `MemoryMailbox`, and a suppression list in memory (or the real file, for a test
/// of the file's own promises). The campaign's inputs (campaign file, template, lists) are real
/// files in a temporary folder; nothing else touches the disk, no server is started.
///
/// Each command returns what a subprocess would: its exit status, its stdout and its stderr.
final class InProcessHerald {
    /// What one command printed and returned.
    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    static let now = Date(timeIntervalSince1970: 1_795_942_800)  // 2026-11-29T09:00:00Z

    let folder: TemporaryDirectory
    /// The campaign file the commands are given.
    let campaign: String
    var environment: [String: String] = [:]
    let mailbox = MemoryMailbox()
    /// Keep the suppression list in the real file beside the log (`SuppressionFile`) instead of memory.
    var realSuppressionFile = false
    /// The mailbox factory's failure, to see how `bounces` reports a mailbox it cannot open.
    var mailboxSetupError: BounceMailboxError?
    /// The endpoints the mailbox was opened with.
    private(set) var mailboxEndpoints: [CurlIMAPMailbox.Endpoint] = []
    /// A stop requested: the commands' `shouldStop` says so.
    var stopRequested = false
    private var journals: [String: MemoryJournal] = [:]
    private var suppressionLists: [String: MemorySuppressionList] = [:]
    private var output: [String] = []
    private var errors: [String] = []

    /// Writes the campaign's files; `campaignText` is the campaign file (its `log` relative to the folder).
    init(label: String = "herald-inprocess", campaignText: String, files: [String: String]) {
        folder = TemporaryDirectory(label)
        for (name, text) in files { folder.write(name, text) }
        campaign = folder.write("campaign.toml", campaignText)
    }

    /// The campaign's log path (the campaign file says `log = "delivery.jsonl"`), or another in the folder.
    func logPath(_ name: String = "delivery.jsonl") -> String { folder.file(name) }

    /// The journal of a log path: one per path, made on first use, as the live parts make a file journal.
    func journal(_ path: String? = nil) -> MemoryJournal {
        let key = Self.key(path ?? logPath())
        if let journal = journals[key] { return journal }
        let journal = MemoryJournal(location: path ?? logPath())
        journals[key] = journal
        return journal
    }

    /// The in-memory suppression list beside a log path.
    func suppressionList(_ path: String? = nil) -> MemorySuppressionList {
        let key = Self.key(((path ?? logPath()) as NSString).deletingLastPathComponent)
        if let list = suppressionLists[key] { return list }
        let list = MemorySuppressionList(location: (key as NSString).appendingPathComponent("suppressed.txt"))
        suppressionLists[key] = list
        return list
    }

    /// Seeds the campaign's journal with JSON lines, as a log written earlier would hold them.
    func seed(_ lines: [String], log: String? = nil) {
        journal(log).seed(lines.compactMap { DeliveryRecord.parse(line: $0) })
    }

    private static func key(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    /// The parts: captured output, a fixed clock, this harness's environment (its own runtime
    /// folder for the name lock), and the in-memory adapters.
    func parts() -> ApplicationParts {
        let runtime = folder.path + ".run"
        mkdir(runtime, 0o700)
        return ApplicationParts(
            output: { [unowned self] in output.append($0) },
            errors: { [unowned self] in errors.append($0) },
            clock: MockClock(now: Self.now),
            environment: environment.merging(["XDG_RUNTIME_DIR": runtime]) { given, _ in given },
            makeTransport: { [unowned self] _ in ScriptedTransport(journal: journal()) },
            openJournal: { [unowned self] in journal($0) },
            openSuppressionList: { [unowned self] path in
                realSuppressionFile ? ApplicationParts.liveSuppressionList(besideLog: path) : suppressionList(path)
            },
            makeMailbox: { [unowned self] endpoint throws(BounceMailboxError) in
                mailboxEndpoints.append(endpoint)
                if let mailboxSetupError { throw mailboxSetupError }
                return mailbox
            })
    }

    /// Runs one command on an application built from `parts()`, as `herald` would run it.
    func run(allowDuplicates: Bool = false, _ command: (Application) -> ExitStatus) -> Result {
        output = []
        errors = []
        let application = buildApplication(parts())
        application.allowDuplicates = allowDuplicates
        let status = command(application)
        return Result(status: status.rawValue, stdout: output.map { $0 + "\n" }.joined(), stderr: errors.map { $0 + "\n" }.joined())
    }

    func validate() -> Result { run { $0.validate(campaign: campaign) } }
    func preview(out: String? = nil) -> Result { run { [campaign] in $0.preview(campaign: campaign, outDirectory: out) } }
    func send(_ options: Application.SendOptions = .init()) async -> Result {
        output = []
        errors = []
        let status = await buildApplication(parts()).send(campaign: campaign, options: options)
        return Result(status: status.rawValue, stdout: output.map { $0 + "\n" }.joined(), stderr: errors.map { $0 + "\n" }.joined())
    }
    func status(json: Bool = false, log: String? = nil) -> Result { run { [campaign] in $0.status(campaign: campaign, logPath: log, json: json) } }
    func resolve(_ recipient: String, as outcome: DeliveryStatus, log: String? = nil) -> Result {
        run { [campaign] in $0.resolve(campaign: campaign, recipient: recipient, as: outcome, logPath: log) }
    }
    func bounces(log: String? = nil) -> Result {
        run { [campaign, unowned self] in $0.bounces(campaign: campaign, logPath: log, shouldStop: { self.stopRequested }) }
    }
    func suppressedList(log: String? = nil) -> Result { run { [campaign] in $0.suppressedList(campaign: campaign, logPath: log) } }
    func suppressedRemove(_ address: String, log: String? = nil) -> Result {
        run { [campaign] in $0.suppressedRemove(campaign: campaign, address: address, logPath: log) }
    }
}
