/// A mailbox with an optional display name, as it appears in `From`, `To`, `Cc`, `Reply-To`, `Bcc`.
public struct Mailbox: Sendable, Hashable {
    public var displayName: String?
    public var address: EmailAddress

    public init(displayName: String?, address: EmailAddress) {
        self.displayName = displayName
        self.address = address
    }
}
