import Foundation
import HeraldCore
import HeraldSMTP

/// The adapters an `Application` runs with: the real ones from `live`, fakes in tests.
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
    public var probe: (SMTPEndpoint) -> SMTPProbe.Report = { SMTPProbe(endpoint: $0).run() }

    public init(output: @escaping (String) -> Void, errors: @escaping (String) -> Void, clock: any HeraldClock,
                environment: [String: String], makeTransport: @escaping (SMTPEndpoint) throws(TransportSetupError) -> MailTransport,
                progress: ((String) -> Void)? = nil) {
        self.output = output
        self.errors = errors
        self.clock = clock
        self.environment = environment
        self.makeTransport = makeTransport
        self.progress = progress
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

/// The composition root: wires the adapters into an `Application`. The commands call it with
/// the live parts (`herald send` and each daemon firing with parts their stop token can
/// stop); the in-process tests (`ApplicationTests`) call it with captured output and
/// errors, a fixed clock, a chosen environment and a `ScriptedTransport`.
public func buildApplication(_ parts: ApplicationParts = .live) -> Application {
    Application(parts: parts)
}
