/// Why a journal could not be locked or read, sorted by what the operator does next: each
/// case is one exit status of the commands (75, 74, 65).
public enum JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another process holds the campaign: rerun later (75).
    case busy(String)
    /// The journal (or its lock) cannot be opened, read or written (74).
    case unavailable(String)
    /// A damaged record, or a record of another campaign: the journal cannot be trusted as it is (65).
    case damaged(String)

    public var description: String {
        switch self {
        case .busy(let message), .unavailable(let message), .damaged(let message): message
        }
    }
}
