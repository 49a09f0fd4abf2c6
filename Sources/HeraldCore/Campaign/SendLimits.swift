/// How hard a send may press on the server: connections at once, messages per connection,
/// and a rate ceiling (`[limits]` in the campaign file).
///
/// Pure configuration; the dispatcher enforces it. The defaults are Herald's behaviour before
/// the table existed: one connection, reopened after 100 messages, no rate ceiling.
public struct SendLimits: Sendable, Equatable {
    /// SMTP connections at once, each on its own thread with its own transport (`concurrency`).
    public var concurrency: Int
    /// Messages sent over one connection before it is closed and a new one opened
    /// (`max_messages_per_connection`): many MTAs limit it, and expect clients to reconnect.
    public var maxMessagesPerConnection: Int
    /// Ceiling on messages handed to the server per second, over all connections (`messages_per_second`).
    public var messagesPerSecond: Double?
    /// Ceiling per minute (`messages_per_minute`); both may be given, and both hold.
    public var messagesPerMinute: Double?

    public static let `default` = SendLimits(concurrency: 1, maxMessagesPerConnection: 100)
    /// The most connections a campaign may ask for: more only queues at the server.
    public static let maxConcurrency = 64

    public init(concurrency: Int, maxMessagesPerConnection: Int, messagesPerSecond: Double? = nil,
                messagesPerMinute: Double? = nil) {
        self.concurrency = concurrency
        self.maxMessagesPerConnection = maxMessagesPerConnection
        self.messagesPerSecond = messagesPerSecond
        self.messagesPerMinute = messagesPerMinute
    }
}
