import ArgumentParser
import Foundation
import HeraldCore
import HeraldCurl
import NIOPosix

/// The `herald` command: a list of subcommands, each a thin shell over `Application`.
///
/// Async from the root (the executable's `@main` awaits `Herald.main()`), so `send` and
/// `daemon` can run under a ServiceGroup. `send` is async throughout (libcurl on its
/// connections' own threads, see `CurlTransport+Async`). No command blocks a task of Swift's
/// cooperative pool: the other commands' work (files, fsync, libcurl's IMAP and probe) runs on
/// `NIOThreadPool.singleton`, the pool kept for blocking calls (`runBlocking`).
public struct Herald: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "Send a personalised letter to every recipient of a campaign, exactly once, over SMTP.",
        discussion:
            "Exit codes follow sysexits: 0 done, 1 some recipients failed, 64 usage, 65 bad data, 66 missing input, 69 server unavailable, 74 log not writable, 75 rerun later, 77 login refused or not approved, 78 bad campaign file.",
        version: "herald \(Herald.version)\n\(CurlVersion.description)",
        subcommands: [
            Validate.self, Preview.self, Approve.self, Check.self, Send.self, Status.self, VerifyLog.self, Resolve.self, Bounces.self, Suppressed.self,
            ScheduleCommand.self, Daemon.self,
        ]
    )

    /// Herald's release; `herald --version` prints it with libcurl's version line.
    public static let version = "0.4.0"

    public init() {}

    /// Parses the command line and runs the command, as ArgumentParser's own `main()` does,
    /// but writes its messages through ``StandardStreams``.
    ///
    /// Why: ArgumentParser echoes an unknown option or a bad value as given, so an argument
    /// built from a list or a bounce (`--as s<ESC>]0;…`) reached the terminal raw; every other
    /// line Herald writes shows control characters visibly (hostile review of issue 18, round 2).
    public static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let message = fullMessage(for: error)
            let code = exitCode(for: error)
            if !message.isEmpty {
                if code == .success { StandardStreams.output(message) } else { StandardStreams.error(message) }
            }
            Foundation.exit(code.rawValue)
        }
    }

    /// `herald` with no command: a usage error like any other, so the help goes to stderr with exit 64.
    public func run() async throws {
        StandardStreams.error(Herald.helpMessage())
        throw ExitCode(ExitStatus.usage.rawValue)
    }
}

extension ExitStatus {
    /// Ends the command with this status.
    func exit() throws -> Never {
        throw ExitCode(rawValue)
    }
}

extension Herald {
    /// Runs a command's blocking work on `NIOThreadPool.singleton` and ends the command with the
    /// exit status it returns.
    ///
    /// Why a pool thread, not the task: the work blocks (a log read and its fsync, a folder of
    /// `.eml` files, libcurl's IMAP and SMTP probe), and a blocked thread of the cooperative
    /// pool (about one per core) holds up every other task. The singleton pool is always
    /// active, so `runIfActive` throws only if it was shut down, which Herald never does.
    static func runBlocking(_ work: @escaping @Sendable () -> ExitStatus) async throws -> Never {
        try await NIOThreadPool.singleton.runIfActive(work).exit()
    }
}

struct CampaignArgument: ParsableArguments {
    @Argument(help: "The campaign file (TOML).")
    var campaign: String

    @Flag(
        name: .customLong("allow-duplicates"),
        help: "Give every row its own letter even when an address is listed twice (default: one letter, with a warning).")
    var allowDuplicates = false

    /// The application, set up for these arguments, over `parts` (the live ones by default).
    func application(_ parts: ApplicationParts = .live) -> Application {
        let application = buildApplication(parts)
        application.allowDuplicates = allowDuplicates
        return application
    }
}

extension Herald {
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the campaign, its template, its recipient lists and its log; send nothing.")

        @OptionGroup var arguments: CampaignArgument

        func run() async throws {
            try await Herald.runBlocking { arguments.application().validate(campaign: arguments.campaign) }
        }
    }

    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every message exactly as it would be sent, one .eml per recipient; no network.")

        @OptionGroup var arguments: CampaignArgument

        @Option(name: .long, help: "Folder for the .eml files (default: preview/<campaign name>/).")
        var out: String?

        func run() async throws {
            try await Herald.runBlocking { arguments.application().preview(campaign: arguments.campaign, outDirectory: out) }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Talk to the campaign's SMTP server as a send would (TLS, AUTH, SIZE, SMTPUTF8) without sending mail.")

        @OptionGroup var arguments: CampaignArgument

        @Option(name: .customLong("smtp-url"), help: "Check this smtp:// or smtps:// server instead of the campaign's.")
        var smtpURL: String?

        @Flag(name: .long, help: "Show the SMTP conversation on stderr (credentials are always redacted).")
        var verbose = false

        func run() async throws {
            try await Herald.runBlocking {
                arguments.application().check(
                    campaign: arguments.campaign,
                    options: Application.CheckOptions(smtpURL: smtpURL, verbose: verbose))
            }
        }
    }

    struct VerifyLog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-log",
            abstract: "Check the delivery log's hash chain; report the first record that breaks it.")

        @Argument(help: "The delivery log (JSON Lines).")
        var log: String

        @Flag(
            name: .customLong("accept-broken-chain"),
            help:
                "Record that you checked this broken log records every letter sent: herald send and the daemon then go on from here (a warning), and verify-log without the flag still reports the break."
        )
        var acceptBrokenChain = false

        func run() async throws {
            try await Herald.runBlocking { buildApplication().verifyLog(log, acceptBrokenChain: acceptBrokenChain) }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Record an approval of the campaign's current inputs (the manifest hash herald preview printed); the daemon sends a require_approval campaign only once approved."
        )

        @OptionGroup var arguments: CampaignArgument

        @Argument(help: "The manifest hash to approve.")
        var hash: String

        @Option(name: .long, help: "The reviewed preview folder, to name what changed when the hash differs (default: preview/<campaign name>/).")
        var preview: String?

        func run() async throws {
            try await Herald.runBlocking { arguments.application().approve(campaign: arguments.campaign, hash: hash, previewFolder: preview) }
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send every letter the delivery log does not record as sent or failed.")

        @OptionGroup var arguments: CampaignArgument

        @Option(name: .customLong("smtp-url"), help: "Use this smtp:// or smtps:// server instead of the campaign's.")
        var smtpURL: String?

        @Option(name: .long, help: "Use this delivery log instead of the campaign's.")
        var log: String?

        @Flag(
            name: .customLong("resend-in-doubt"),
            help: "Also resend letters whose outcome is unknown after a crash (same Message-ID).")
        var resendInDoubt = false

        @Flag(
            name: .customLong("allow-changed"),
            help: "Go on although the template or a pending recipient's row changed since sending started.")
        var allowChanged = false

        @Flag(name: .long, help: "Show the SMTP conversation on stderr (credentials are always redacted).")
        var verbose = false

        @Flag(name: .long, help: "Print no line per letter and no progress line: only problems and the summary.")
        var quiet = false

        @Option(
            name: .long,
            help:
                "The manifest hash approved (herald preview prints it); checked against the current inputs before anything is sent. Required by require_approval = true."
        )
        var approve: String?

        @Option(name: .long, help: "The reviewed preview folder, to name what changed when --approve's hash differs (default: preview/<campaign name>/).")
        var preview: String?

        @Flag(
            name: .customLong("accept-broken-chain"),
            help:
                "Send although the delivery log's hash chain is broken (records removed or edited): only after checking that the log records every letter sent. Recorded beside the log; herald verify-log still reports the break."
        )
        var acceptBrokenChain = false

        @Flag(
            name: .customLong("new-log"),
            help: "Start a new delivery log on purpose although this campaign was last sent to another log that records letters (its letters are sent again).")
        var newLog = false

        /// Sends under a ServiceGroup (`SendService`): SIGINT, SIGTERM and SIGHUP (unless ignored at
        /// start) cancel the run; the letters in flight finish and are logged, exit 75.
        func run() async throws {
            var options = Application.SendOptions(
                smtpURL: smtpURL, logPath: log, resendInDoubt: resendInDoubt,
                allowChanged: allowChanged)
            options.verbose = verbose
            options.quiet = quiet
            options.approve = approve
            options.previewFolder = preview
            options.acceptBrokenChain = acceptBrokenChain
            options.newLog = newLog
            try await SendService.send(campaign: arguments.campaign, allowDuplicates: arguments.allowDuplicates, options: options).exit()
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an operator's decision for a letter in doubt: it was sent, or it failed.")

        enum Outcome: String, ExpressibleByArgument, CaseIterable {
            case sent, failed
        }

        @OptionGroup var arguments: CampaignArgument

        @Option(name: .long, help: "The recipient's address.")
        var recipient: String

        @Option(name: .customLong("as"), help: "What happened: sent or failed.")
        var outcome: Outcome

        @Option(name: .long, help: "Use this delivery log instead of the campaign's.")
        var log: String?

        func run() async throws {
            try await Herald.runBlocking {
                arguments.application().resolve(
                    campaign: arguments.campaign, recipient: recipient,
                    as: outcome == .sent ? .sent : .failed, logPath: log)
            }
        }
    }

    struct Bounces: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read the campaign's bounce mailbox ([bounces]) once: record bounced and delayed letters, move what was recorded.")

        @OptionGroup var arguments: CampaignArgument

        @Option(name: .long, help: "Use this delivery log instead of the campaign's.")
        var log: String?

        func run() async throws {
            try await Herald.runBlocking {
                arguments.application().bounces(campaign: arguments.campaign, logPath: log)
            }
        }
    }

    struct Suppressed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or edit the suppression list beside the campaign's log (addresses with a permanent bounce).",
            subcommands: [List.self, Remove.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the suppressed addresses with when and why.")

            @OptionGroup var arguments: CampaignArgument

            @Option(name: .long, help: "Use the list beside this delivery log instead of the campaign's.")
            var log: String?

            func run() async throws {
                try await Herald.runBlocking { arguments.application().suppressedList(campaign: arguments.campaign, logPath: log) }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Take an address off the suppression list.")

            @OptionGroup var arguments: CampaignArgument

            @Argument(help: "The address to take off the list.")
            var address: String

            @Option(name: .long, help: "Use the list beside this delivery log instead of the campaign's.")
            var log: String?

            func run() async throws {
                try await Herald.runBlocking {
                    arguments.application().suppressedRemove(campaign: arguments.campaign, address: address, logPath: log)
                }
            }
        }
    }

    struct ScheduleCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schedule",
            abstract: "Print the next firing times of a campaign's schedule or of a cron expression.")

        @Argument(help: "A campaign file with a schedule (or use --cron).")
        var campaign: String?

        @Option(name: .long, help: "A 5-field cron expression or macro, instead of a campaign.")
        var cron: String?

        @Option(name: .long, help: "IANA time zone for --cron (default UTC).")
        var timezone: String?

        @Option(name: .long, help: "Start after this RFC 3339 time (default now).")
        var after: String?

        @Option(name: .long, help: "How many firing times to print.")
        var count = 5

        func run() async throws {
            try await Herald.runBlocking {
                buildApplication().schedule(campaign: campaign, cron: cron, timeZone: timezone, after: after, count: count)
            }
        }
    }

    struct Daemon: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every campaign in a folder on its schedule until SIGTERM; SIGHUP reloads.")

        @Option(name: .long, help: "The folder of campaign files (*.toml).")
        var campaigns: String

        @Option(name: .customLong("log-format"), help: "text (default) or json: one line per event on stderr.")
        var logFormat: HeraldLogHandler.Format = .text

        /// Runs until SIGTERM or SIGINT has stopped it (exit 0); see `runDaemon`.
        func run() async throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: campaigns, isDirectory: &isDirectory), isDirectory.boolValue else {
                StandardStreams.error("\(campaigns): campaign folder not found")
                throw ExitCode(ExitStatus.noInput.rawValue)
            }
            try await runDaemon(directory: campaigns, format: logFormat)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each recipient's delivery state from the delivery log.")

        @OptionGroup var arguments: CampaignArgument

        @Option(name: .long, help: "Read this delivery log instead of the campaign's.")
        var log: String?

        @Flag(name: .long, help: "Print one JSON object with the counts.")
        var json = false

        @Option(name: .long, help: "One occurrence of a recurring campaign (RFC 3339, as the daemon logs it).")
        var occurrence: String?

        func validate() throws {
            if let occurrence, RFC5322Date.parseRFC3339(occurrence) == nil {
                throw ValidationError("--occurrence: \"\(occurrence)\" is not an RFC 3339 time such as 2026-12-01T09:00:00Z")
            }
        }

        func run() async throws {
            let firing = occurrence.flatMap(RFC5322Date.parseRFC3339)
            try await Herald.runBlocking {
                arguments.application().status(campaign: arguments.campaign, logPath: log, json: json, occurrence: firing)
            }
        }
    }
}
