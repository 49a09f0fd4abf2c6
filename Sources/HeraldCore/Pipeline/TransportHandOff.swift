import Synchronization

/// Holds a run's transports until its connection tasks take them, one owner each.
///
/// Why: a transport is not `Sendable` (one connection, used by one task at a time); taking it
/// out of here gives the caller sole ownership, which the compiler can follow into the task
/// that owns the connection from then on.
final class TransportHandOff: Sendable {
    private let transports: Mutex<[(any MailTransport)?]>

    init(_ transports: sending [any MailTransport]) {
        self.transports = Mutex(transports.map { $0 })
    }

    /// How many transports are still held.
    var count: Int { transports.withLock { $0.count { $0 != nil } } }

    /// The transport of connection `index`, leaving none in its place; nil once taken.
    func take(_ index: Int) -> sending (any MailTransport)? {
        transports.withLock { held -> sending (any MailTransport)? in
            guard held.indices.contains(index) else { return nil }
            let transport = held[index]
            held[index] = nil
            return transport
        }
    }
}
