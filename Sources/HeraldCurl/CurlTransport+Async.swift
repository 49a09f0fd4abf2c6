import HeraldCore
import NIOPosix

extension CurlTransport {
    /// Hands one message to the server without blocking Swift's cooperative pool: the blocking
    /// libcurl transfer (`deliver(_:)`, unchanged) runs on this transport's own thread.
    ///
    /// Contract (`MailTransport`): returns when the transfer is over, with its outcome; the
    /// proof (`lastHandOver`) is set before it returns. Cancellation does not cut the transfer
    /// short: a stop lets the letter in flight finish (libcurl's own timeouts bound it). The
    /// transport's thread starts at the first call and stops when the transport goes.
    public func deliver(_ message: ComposedMessage) async -> DeliveryOutcome {
        if !deliveryThreadStarted {
            deliveryThread.start()
            deliveryThreadStarted = true
        }
        let handle = Exclusive(self)
        let pool = deliveryThread
        return await withCheckedContinuation { continuation in
            pool.submit { state in
                guard case .active = state else {
                    continuation.resume(returning: .unavailable(error: "not handed over: the connection's thread was shut down"))
                    return
                }
                continuation.resume(returning: handle.transport.deliver(message))
            }
        }
    }
}

/// Carries a transport (a libcurl easy handle and its buffers) to its delivery thread.
///
/// `@unchecked Sendable` because the handle is used by exactly one thread at a time: the task
/// that owns the transport awaits the transfer on the delivery thread and touches the
/// transport again only after it resumed, so the two never overlap.
private final class Exclusive: @unchecked Sendable {
    let transport: CurlTransport

    init(_ transport: CurlTransport) { self.transport = transport }
}
