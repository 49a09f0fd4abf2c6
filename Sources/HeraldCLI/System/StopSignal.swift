import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT/SIGTERM/SIGHUP turned into a flag the send loop polls between messages, so the
/// message in flight finishes and its outcome is written before the process exits.
///
/// For `herald send` only: the daemon keeps SIGHUP for reloading (swift-service-lifecycle)
/// and never calls `install`.
public enum StopSignal {
    private static let requested = Atomic<Bool>(false)

    /// True once SIGINT, SIGTERM or SIGHUP has arrived.
    public static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Installs the handlers; call once, before sending.
    ///
    /// SIGHUP (the terminal that started the send was closed) stops it as gently as SIGTERM,
    /// instead of killing it with a letter in doubt. A SIGHUP that was already ignored when
    /// Herald started (`nohup herald send …`) stays ignored.
    public static func install() {
        signal(SIGINT, stopHandler)
        signal(SIGTERM, stopHandler)
        var previous = sigaction()
        if sigaction(SIGHUP, nil, &previous) != 0 || !isIgnored(previous) {
            signal(SIGHUP, stopHandler)
        }
        unblock([SIGINT, SIGTERM, SIGHUP])
    }

    private static func isIgnored(_ action: sigaction) -> Bool {
        #if canImport(Glibc)
        return unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
        #else
        return false
        #endif
    }

    /// A parent (a test runner's thread, a supervisor) may have started us with these
    /// blocked; children inherit the mask, and a blocked SIGTERM would never stop a send.
    public static func unblock(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    fileprivate static func request() { requested.store(true, ordering: .relaxed) }
}

private let stopHandler: @convention(c) (Int32) -> Void = { _ in StopSignal.request() }
