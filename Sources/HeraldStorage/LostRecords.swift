import Foundation

/// A log that no longer holds what an earlier check (`LOG.chain`) or the index (`LOG.index`)
/// recorded of it: a shorter copy, an emptied or missing file, or one whose records up to that
/// point were replaced. What is left may chain, but letters it no longer records would go again.
public struct LostRecords: Sendable, Error, CustomStringConvertible {
    public enum Kind: Sendable { case missing, shorter, replaced }
    public var kind: Kind
    public var log: String
    /// The log's length now (0 when missing).
    public var length: Int
    /// The length and lines recorded when it was last checked.
    public var checkedLength: Int
    public var checkedLines: Int
    /// The file that recorded it (`LOG.chain` or `LOG.index`).
    public var recordedIn: String

    public var description: String {
        let then = "\(checkedLength) bytes, \(checkedLines) lines when last checked (\(recordedIn))"
        let what: String
        switch kind {
        case .missing: what = "the log is missing, but it was \(then): its records were removed"
        case .shorter: what = "the log is shorter than when it was last checked (\(length) bytes now, \(then)): records were removed"
        case .replaced:
            what =
                "the log's first \(checkedLength) bytes are not the \(checkedLines) lines last checked (\(recordedIn)): records were removed, edited or re-chained"
        }
        return "\(log): \(what); restore it, or run herald verify-log \(log) --accept-broken-chain (or delete \(recordedIn)) to start again"
    }
}
