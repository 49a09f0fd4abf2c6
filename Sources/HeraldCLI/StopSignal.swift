import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT/SIGTERM turned into a flag the send loop polls between messages, so the
/// message in flight finishes and its outcome is written before the process exits.
public enum StopSignal {
    private static let requested = Atomic<Bool>(false)

    /// True once SIGINT or SIGTERM has arrived.
    public static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Installs the handlers; call once, before sending.
    public static func install() {
        signal(SIGINT, stopHandler)
        signal(SIGTERM, stopHandler)
        unblock([SIGINT, SIGTERM])
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
