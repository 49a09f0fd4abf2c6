/// What one read of the delivery log found besides the records it folded.
public struct LogRead: Sendable {
    /// A torn last line was skipped: print this warning.
    public var warning: String?
    /// The greatest occurrence any record of the log names (occurrences sort as strings);
    /// nil when none does. Known without reading the records, from the index.
    public var latestOccurrence: String?
    /// Bytes read from the log and its index: what the read cost, deterministic, where
    /// time is not.
    public var bytesRead: Int
    /// Why the whole log was scanned instead of read through its index (no index yet, a log
    /// that changed since it was written, a damaged index …); nil when the index served.
    public var scanReason: String?
}
