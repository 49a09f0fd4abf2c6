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

    /// The highest `messages_per_second` (and `messages_per_minute`) a campaign may set.
    ///
    /// The rate pacer (``RatePacer``) keeps times as `Date`s: a `Double` of seconds since 2001,
    /// whose step is 2⁻²³ s (about 0.12 µs) from 2001+2²⁹ s (2018) to 2001+2³⁰ s (2035). A
    /// million a second is an interval of 1 µs, about eight such steps, and still spaces
    /// hand-overs; ten million would be an interval of one step or less, which adding to a time
    /// rounds to one step or to nothing, so the ceiling would silently become another rate or none.
    public static let maxRate: Double = 1_000_000

    /// The longest interval between two hand-overs a campaign may set: one day (a rate of at
    /// least 1/86400 a second, 1/1440 a minute).
    ///
    /// Why: the wait for a hand-over's turn is a deadline that the clock and the stop path turn
    /// into nanoseconds; an interval of about 9.2·10⁹ s overflows them (`1e-10` a second crashed
    /// `send` after its first letter). A day is far inside that and far beyond any useful ceiling.
    public static let maxInterval: Double = 86_400

    public init(
        concurrency: Int, maxMessagesPerConnection: Int, messagesPerSecond: Double? = nil,
        messagesPerMinute: Double? = nil
    ) {
        self.concurrency = concurrency
        self.maxMessagesPerConnection = maxMessagesPerConnection
        self.messagesPerSecond = messagesPerSecond
        self.messagesPerMinute = messagesPerMinute
    }
}
