import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which signals ask Herald to stop, and making sure they can arrive.
///
/// `herald send` and the daemon run under a ServiceGroup that turns these signals into a
/// graceful shutdown (for a send: the cancellation of its run, see `SendService`).
enum GracefulStop {
    /// The signals that stop `herald send` after the letter in flight: SIGINT, SIGTERM and
    /// SIGHUP (the terminal that started it was closed).
    ///
    /// A SIGHUP that was already ignored when Herald started (`nohup herald send …`) stays
    /// ignored: trapping it would install a handler over the ignore the user asked for. Read
    /// this before anything traps SIGHUP.
    static func sendSignals() -> [UnixSignal] {
        isIgnored(SIGHUP) ? [.sigint, .sigterm] : [.sigint, .sigterm, .sighup]
    }

    /// Unblocks `signals` in this thread, and so in every thread started after it.
    ///
    /// A parent (a test runner's thread, a supervisor) may have started us with these
    /// blocked; children inherit the mask, and a blocked SIGTERM would never stop a send.
    static func unblock(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    /// True when `number`'s disposition is SIG_IGN.
    static func isIgnored(_ number: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(number, nil, &current) == 0 else { return false }
        #if canImport(Glibc)
            return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
        #else
            return false
        #endif
    }
}
