/// The seam between `herald bounces` and the mailbox it reads: list, fetch, put back as it
/// was, move away. The real one is `CurlIMAPMailbox` (HeraldCurl, libcurl's IMAP); tests of
/// the run's logic may use a mailbox in memory.
///
/// Contract: `list` opens the folder and names its UIDVALIDITY, which every later call is
/// tied to (a changed UIDVALIDITY is a failure, never a different message); `move` only ever
/// gets UIDs whose records are durable in the log.
public protocol BounceMailbox: AnyObject {
    /// The folder's UIDVALIDITY and its messages' UIDs in ascending order, each with whether
    /// it was already seen (`\Seen`).
    func list() throws(BounceMailboxError) -> MailboxListing
    /// The whole message at that position.
    func fetch(_ position: MailboxPosition) throws(BounceMailboxError) -> [UInt8]
    /// Clears `\Seen` again on a message that was unseen before it was fetched and is left
    /// where it is (fetching marks it seen).
    func markUnseen(_ position: MailboxPosition) throws(BounceMailboxError)
    /// Moves the messages to `folder`, creating the folder when it is missing.
    func move(_ uids: [Int], uidValidity: Int, to folder: String) throws(BounceMailboxError)
}

/// What `list` found in the folder.
public struct MailboxListing: Sendable, Equatable {
    public var uidValidity: Int
    public var messages: [(uid: Int, seen: Bool)]

    public init(uidValidity: Int, messages: [(uid: Int, seen: Bool)]) {
        self.uidValidity = uidValidity
        self.messages = messages
    }

    public static func == (lhs: MailboxListing, rhs: MailboxListing) -> Bool {
        lhs.uidValidity == rhs.uidValidity && lhs.messages.map(\.uid) == rhs.messages.map(\.uid)
            && lhs.messages.map(\.seen) == rhs.messages.map(\.seen)
    }
}

/// A mailbox operation that failed, with the server's or libcurl's words (never the password).
public struct BounceMailboxError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server refused the username or password (exit 77).
        case authentication
        /// The server could not be reached, TLS failed, or the connection broke (exit 69).
        case unavailable
        /// The folder's UIDVALIDITY changed during the run: its UIDs mean other messages now (exit 75).
        case uidValidityChanged
        /// The server answered a command with NO or BAD (exit 69).
        case refused
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
