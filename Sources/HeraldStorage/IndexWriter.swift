import HeraldCore

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps the delivery log's index (`LOG.index`) in step with the log while a run that
/// holds the campaign's lock appends to it.
///
/// The journal tells it where each record lands (`note`); a record whose occurrence differs
/// from the record before it starts a run, which becomes an entry. At each sync of the log
/// (`commit`), once the log's bytes are on disk, the new entries are appended and the
/// header is rewritten in place with the log's new length: the index never describes
/// bytes the log might lose. A crash between the two leaves a header with the old length,
/// which no reader trusts, so the next run scans the log and writes the index whole.
/// An index that was missing or untrusted is written whole (a new file renamed over the
/// old one) at the first commit. The index is a cache: nothing here throws; a failure
/// ends the writer (`FileJournal` drops it) and the next reader finds a stale header.
final class IndexWriter {
    private let path: String
    private var header: IndexHeader
    private var last: IndexEntry?
    /// Entries of runs appended to the log since the last commit.
    private var pending: [IndexEntry] = []
    /// Every earlier entry, while the file must still be written whole.
    private var rewrite: [IndexEntry]?
    /// The log's length as far as this writer knows: where the next append lands.
    private(set) var logLength: Int
    private var descriptor: Int32 = -1

    /// A writer going on from an index that was read and trusted.
    init(path: String, continuing lookup: IndexLookup) {
        self.path = path
        header = lookup.header
        last = lookup.last
        logLength = lookup.header.logLength
    }

    /// A writer that writes the index whole at its first commit, from a scan of the log.
    /// - Parameter entries: every run of the log's first `logLength` bytes, in order.
    init(path: String, campaign: String, log: FileID, entries: [IndexEntry], logLength: Int) {
        self.path = path
        header = IndexHeader(log: log, logLength: logLength, indexLength: 0, campaign: campaign)
        rewrite = entries
        last = entries.last
        self.logLength = logLength
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Notes a record about to be appended at `offset` of the log.
    /// - Returns: false when the index cannot describe it (another campaign's record, an
    ///   occurrence the index cannot hold, or an offset other than the log's end as known).
    func note(_ record: DeliveryRecord, at offset: Int) -> Bool {
        guard record.campaign == header.campaign, IndexEntry.canWrite(record.occurrence), offset >= logLength else { return false }
        // The newest entry's occurrence is the log's last record's: a run goes on while it matches.
        let newest = pending.last ?? last
        if newest == nil || newest?.occurrence != record.occurrence {
            pending.append(IndexEntry(offset: offset, occurrence: record.occurrence, after: newest))
        }
        return true
    }

    /// Notes that the log is now `length` bytes long (the records noted were appended).
    func appended(upTo length: Int) {
        logLength = length
    }

    /// Writes the new entries and the header for a log now `logLength` bytes long and synced.
    /// - Returns: false when the index could not be written; it is then stale, not wrong.
    func commit() -> Bool {
        let entries = (rewrite ?? []) + pending
        let lines = entries.flatMap(\.line)
        if rewrite != nil {
            guard writeWhole(lines) else { return false }
            rewrite = nil
        } else {
            guard openIfNeeded(), pwriteAll(lines, at: header.indexLength) else { return false }
            header.indexLength += lines.count
            header.logLength = logLength
            guard pwriteAll(header.line, at: 0) else { return false }
        }
        if let newest = entries.last { last = newest }
        pending = []
        return true
    }

    /// Writes header and entries to a new file beside the index and renames it over the index.
    private func writeWhole(_ lines: [UInt8]) -> Bool {
        let temporary = path + ".new"
        unlink(temporary)
        let fd = open(temporary, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        var written = header
        written.logLength = logLength
        written.indexLength = IndexHeader.length(campaign: header.campaign) + lines.count
        guard (written.line + lines).withUnsafeBytes({ writeAll(fd, $0) }) == nil, rename(temporary, path) == 0 else {
            close(fd)
            unlink(temporary)
            return false
        }
        if descriptor >= 0 { close(descriptor) }
        descriptor = fd
        header = written
        return true
    }

    /// Opens the index to append to it, cutting off anything after its entries.
    private func openIfNeeded() -> Bool {
        guard descriptor < 0 else { return true }
        let fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        guard ftruncate(fd, off_t(header.indexLength)) == 0 else {
            close(fd)
            return false
        }
        descriptor = fd
        return true
    }

    private func pwriteAll(_ bytes: [UInt8], at offset: Int) -> Bool {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            if count > 0 {
                done += count
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }
}
