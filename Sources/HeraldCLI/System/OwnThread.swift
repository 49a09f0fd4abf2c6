import Foundation

/// Runs blocking work on a new thread of its own and suspends the calling task until it returns.
///
/// Herald's runs block: libcurl's `curl_easy_perform`, fsync of the delivery log, waits on a
/// `StopToken`, file reads. Swift's cooperative pool has about one thread per core, and a
/// task that blocks one of them holds up every other task (the signal listeners, the
/// ServiceGroup), so blocking work never runs there: each run (one command, or the daemon's
/// schedule loop with its firings) gets a thread, awaited through a continuation.
///
/// The stack is 8 MiB, the main thread's usual size, since the work used to run on the main thread.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: work()) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
