/// How many letters the pipeline claims with one sync of the log.
///
/// Every letter's intent must be durable before it is handed over, and a sync per letter
/// caps a fast server's throughput, so intents are claimed in batches. A batch is also the
/// in-doubt window of a crash: claimed letters not yet answered are reported in doubt by the
/// next run. So a batch is sized to about `seconds` (20 ms) of sending at the rate measured so far:
/// against a fast server, up to `limit` letters per sync, claimed ahead while the last batch
/// is sent; against a slow one (or under a rate ceiling), one letter per connection, claimed
/// only when a connection is free, so that no more letters are claimed than are in flight.
public struct ClaimBatch: Sendable, Equatable {
    /// Connections sending at once: the smallest batch, so that none waits on the log.
    public let connections: Int
    /// The largest batch.
    public let limit: Int
    /// The sending time a batch should cover.
    public let seconds: Double

    public init(connections: Int, limit: Int = 64, seconds: Double = 0.02) {
        self.connections = max(1, connections)
        self.limit = max(self.connections, limit)
        self.seconds = seconds
    }

    /// The next batch's size, from the letters answered so far and the seconds they took.
    public func size(answered: Int, elapsed: Double) -> Int {
        guard answered > 0, elapsed > 0 else { return connections }
        let covering = Double(answered) / elapsed * seconds
        return Int(min(Double(limit), max(Double(connections), covering.rounded(.down))))
    }

    /// Whether batches of `size` are claimed ahead of the senders: only when one covers more
    /// than a letter per connection, i.e. against a server fast enough for the sync to matter.
    public func claimsAhead(size: Int) -> Bool { size > connections }
}
