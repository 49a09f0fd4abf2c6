import HeraldStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes to stdout and stderr that may have no reader any more.
///
/// Output is a courtesy; the delivery log is the record. A line that cannot be written (a
/// closed pipe, `herald send | head -1`, a closed descriptor, a full disk) is dropped, so a
/// failed print never stops a send between handing a letter over and logging its outcome.
public enum StandardStreams {
    /// Call once at process start, before any file is opened.
    ///
    /// Ignores SIGPIPE, so a reader that went away is an EPIPE error here rather than the
    /// process being killed mid-send. Points a closed stdin, stdout or stderr at /dev/null:
    /// otherwise the next file opened (the campaign lock, the delivery log) would take
    /// descriptor 1 or 2 and receive the progress lines.
    public static func prepareProcess() {
        signal(SIGPIPE, SIG_IGN)
        for descriptor: Int32 in 0...2 where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY)
            if opened >= 0 && opened != descriptor {
                dup2(opened, descriptor)
                close(opened)
            }
        }
    }

    /// Writes `text` and a newline to stdout; dropped if it cannot be written. Control
    /// characters within its lines are shown, never sent raw (`TerminalText.visibleLines`).
    public static func output(_ text: String) {
        write(TerminalText.visibleLines(text) + "\n", to: 1)
    }

    /// Writes `text` and a newline to stderr; dropped if it cannot be written. Control
    /// characters within its lines are shown, never sent raw (`TerminalText.visibleLines`).
    public static func error(_ text: String) {
        write(TerminalText.visibleLines(text) + "\n", to: 2)
    }

    /// Writes all of `text` to `descriptor`, retrying after a signal (EINTR) and after a
    /// partial write; gives up silently on any other error (EPIPE, EBADF, ENOSPC …).
    public static func write(_ text: String, to descriptor: Int32) {
        _ = Array(text.utf8).withUnsafeBytes { writeAll(descriptor, $0) }
    }
}
