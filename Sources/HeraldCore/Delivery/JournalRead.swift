/// What one read of a journal found besides the records it folded: a warning to print and
/// what the read cost, so commands and the daemon report it whatever the journal.
public struct JournalRead: Sendable, Equatable {
    /// A torn last line was skipped (the file journal): print this warning.
    public var warning: String?
    /// The greatest occurrence any record names (occurrences sort as strings); nil when none does.
    public var latestOccurrence: String?
    /// Bytes read: what the read cost, deterministic, where time is not.
    public var bytesRead: Int
    /// Why the whole history was scanned instead of read through an index; nil when the index served.
    public var scanReason: String?

    public init(warning: String? = nil, latestOccurrence: String? = nil, bytesRead: Int = 0, scanReason: String? = nil) {
        self.warning = warning
        self.latestOccurrence = latestOccurrence
        self.bytesRead = bytesRead
        self.scanReason = scanReason
    }
}
