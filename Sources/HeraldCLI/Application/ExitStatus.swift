import HeraldCore

/// Process exit statuses, following sysexits(3) as mail tools do. A contract for cron jobs and scripts.
public enum ExitStatus: Int32, Sendable {
    /// Done: every recipient has its letter (or was already done).
    case ok = 0
    /// Some recipients were refused permanently; see `herald status`.
    case someFailed = 1
    /// The command line was wrong.
    case usage = 64
    /// Recipient data, template or delivery log is wrong; nothing was sent.
    case dataError = 65
    /// A file the campaign names does not exist.
    case noInput = 66
    /// The SMTP server could not be reached or would not talk (TLS failure included).
    case unavailable = 69
    /// Writing the delivery log failed.
    case ioError = 74
    /// Temporary: some letters are deferred or in doubt, or another sender holds the campaign. Rerun later.
    case tempFail = 75
    /// The server refused the credentials.
    case noPermission = 77
    /// The campaign file is wrong.
    case config = 78

    init(_ kind: Diagnostic.Kind) {
        switch kind {
        case .badData: self = .dataError
        case .missingInput: self = .noInput
        case .badConfig: self = .config
        }
    }
}
