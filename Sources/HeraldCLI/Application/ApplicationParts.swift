import Foundation
import HeraldCore
import HeraldCurl
import HeraldStorage

/// The adapters an `Application` runs with: the real ones from `live`, fakes in tests.
///
/// The one place an adapter is made: `FileJournal` (with its locks, `CampaignFileLock` and
/// `CampaignLock`, taken through the journal's `lock`), `SuppressionFile`, `CurlTransport`,
/// `SMTPProbe` and `CurlIMAPMailbox` are constructed only here, behind factories; no command
/// constructs one, and the daemon's firings and bounce polls get theirs from `live(stoppingOn:)`.
public struct ApplicationParts {
    /// Normal output (tables, progress): stdout in the real program.
    public var output: (String) -> Void
    /// Diagnostics and warnings: stderr in the real program.
    public var errors: (String) -> Void
    /// The time of records, `Date` headers and schedules, and the waits of a send (backoffs,
    /// rate slots). Live: `SystemClock`; tests: `MockClock`.
    public var clock: any HeraldClock
    /// The process environment, for `password_env`.
    public var environment: [String: String]
    /// Makes the transport for a send; called once per run, after the log is locked and the
    /// password read. Live: libcurl (`CurlTransport`); tests return a `ScriptedTransport`, or
    /// throw a `TransportSetupError` to see how a command reports it.
    public var makeTransport: (SMTPEndpoint) throws(TransportSetupError) -> MailTransport
    /// Rewrites the one progress line on a terminal (an empty string clears it); nil when
    /// output is not a terminal, so that redirected output keeps one line per letter.
    public var progress: ((String) -> Void)?
    /// Talks to a server without sending mail, for `herald check`. Live: libcurl's
    /// connect-only mode (`SMTPProbe`); the same in tests, against the real test server.
    /// The second argument receives the redacted conversation (`--verbose`), on this thread.
    public var probe: (SMTPEndpoint, _ trace: ((String) -> Void)?) -> SMTPProbe.Report
    /// The journal of a delivery log path (its records, its lock, its history): every command
    /// and the daemon reach a log only through it. Live: `FileJournal`; tests: a `MemoryJournal`
    /// per path.
    public var openJournal: (String) -> any DeliveryJournal
    /// The suppression list beside a delivery log path. Live: `SuppressionFile`
    /// (`suppressed.txt` in the log's folder); tests may keep it in memory.
    public var openSuppressionList: (String) -> any SuppressionStore
    /// Opens the bounce mailbox of a campaign's `[bounces]` for one pass. Live: libcurl's IMAP
    /// (`CurlIMAPMailbox`); tests: a mailbox in memory, or the real one against Dovecot.
    public var makeMailbox: (CurlIMAPMailbox.Endpoint) throws(BounceMailboxError) -> any BounceMailbox

    /// Parts from the given adapters; those not given are the live ones (`liveProbe`,
    /// `liveJournal`, `liveSuppressionList`, `liveMailbox`), defined here with the others,
    /// so this file is the one place an adapter is made.
    public init(
        output: @escaping (String) -> Void, errors: @escaping (String) -> Void, clock: any HeraldClock,
        environment: [String: String], makeTransport: @escaping (SMTPEndpoint) throws(TransportSetupError) -> MailTransport,
        progress: ((String) -> Void)? = nil,
        probe: @escaping (SMTPEndpoint, _ trace: ((String) -> Void)?) -> SMTPProbe.Report = ApplicationParts.liveProbe,
        openJournal: @escaping (String) -> any DeliveryJournal = ApplicationParts.liveJournal,
        openSuppressionList: @escaping (String) -> any SuppressionStore = ApplicationParts.liveSuppressionList,
        makeMailbox: @escaping (CurlIMAPMailbox.Endpoint) throws(BounceMailboxError) -> any BounceMailbox = ApplicationParts.liveMailbox
    ) {
        self.output = output
        self.errors = errors
        self.clock = clock
        self.environment = environment
        self.makeTransport = makeTransport
        self.progress = progress
        self.probe = probe
        self.openJournal = openJournal
        self.openSuppressionList = openSuppressionList
        self.makeMailbox = makeMailbox
    }

    /// libcurl's connect-only probe (`SMTPProbe`).
    public static func liveProbe(_ endpoint: SMTPEndpoint, _ trace: ((String) -> Void)?) -> SMTPProbe.Report { SMTPProbe(endpoint: endpoint).run(trace: trace) }
    /// The delivery log as a file (`FileJournal`).
    public static func liveJournal(_ logPath: String) -> any DeliveryJournal { FileJournal(path: logPath) }
    /// `suppressed.txt` in the log's folder (`SuppressionFile`).
    public static func liveSuppressionList(besideLog logPath: String) -> any SuppressionStore { SuppressionFile(besideLog: logPath) }
    /// libcurl's IMAP (`CurlIMAPMailbox`).
    public static func liveMailbox(_ endpoint: CurlIMAPMailbox.Endpoint) throws(BounceMailboxError) -> any BounceMailbox {
        try CurlIMAPMailbox(endpoint: endpoint)
    }

    /// stdout, stderr (unwritable lines dropped), the system clock, the real environment and
    /// libcurl. A send is stopped by cancelling its task (`herald send`'s ServiceGroup, the
    /// daemon's shutdown), not through the parts.
    public static var live: ApplicationParts {
        ApplicationParts(
            // A line that cannot be written (closed pipe, closed descriptor) is dropped: never a crash mid-send.
            output: { StandardStreams.output($0) },
            errors: { StandardStreams.error($0) },
            clock: SystemClock(),
            environment: ProcessInfo.processInfo.environment,
            makeTransport: { endpoint throws(TransportSetupError) in try CurlTransport(endpoint: endpoint) },
            // Carriage return and erase-line: the line is rewritten in place.
            progress: isatty(1) == 1 ? { StandardStreams.write("\r\u{1B}[2K" + $0, to: 1) } : nil
        )
    }
}

/// The composition root: wires the adapters into an `Application`. The commands and each
/// daemon firing call it with the live parts (a send stops when its task is cancelled); the
/// in-process tests call it with captured output and errors, a mock clock, a chosen
/// environment and a `ScriptedTransport` (`ApplicationTests`, over real log files), or with
/// every adapter in memory (`InProcessHerald`: journal, transport, mailbox, suppression list).
public func buildApplication(_ parts: ApplicationParts = .live) -> Application {
    Application(parts: parts)
}
