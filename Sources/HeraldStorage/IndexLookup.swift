/// What the index says about the log for one read: where the runs of the occurrences asked
/// for are, and what its writer needs to go on appending.
///
/// Read from the end: the header, then entries back to the first whose `latest` sorts
/// before every occurrence asked for (and one more, to check that one's chain), so a
/// firing of a new occurrence reads two lines however long the history. Nothing in it is
/// trusted that was not checked: the header must name this log (device, inode, length) and
/// this campaign, every entry read must follow the one before it, the last must start
/// before the log's end. The runs themselves are checked as the log is read (`FileJournal`).
struct IndexLookup {
    /// A run of records of one occurrence: bytes `range` of the log.
    struct Run: Equatable {
        var occurrence: String?
        var range: Range<Int>
    }

    /// Why the index cannot serve a read; the log is then scanned whole.
    struct Untrusted: Error, CustomStringConvertible {
        var description: String
    }

    /// The runs of the occurrences asked for, in log order.
    var runs: [Run]
    /// The index's last entry; nil when the log is empty.
    var last: IndexEntry?
    var header: IndexHeader

    /// Reads the index at `path` for the log `log`, `logLength` bytes long, of `campaign`.
    /// - Parameter bytesRead: increased by the bytes read from the index.
    static func read(
        path: String, log: FileID, logLength: Int, campaign: String, occurrences: Set<String?>,
        bytesRead: inout Int
    ) -> Result<IndexLookup, Untrusted> {
        guard let file = PositionalFile(path: path) else { return .failure(Untrusted(description: "there is no index yet")) }
        defer { bytesRead += file.bytesRead }
        guard let size = file.status().map({ Int($0.st_size) }) else { return .failure(Untrusted(description: "the index cannot be read")) }
        let headerLength = IndexHeader.length(campaign: campaign)
        guard case .success(let first) = file.read(at: 0, count: headerLength), let header = IndexHeader.parse(first[...]) else {
            return .failure(Untrusted(description: "the index's header is damaged or of another campaign"))
        }
        guard header.campaign == campaign, header.log == log else {
            return .failure(Untrusted(description: "the index describes another log file"))
        }
        guard header.logLength == logLength else {
            return .failure(Untrusted(description: "the log is \(logLength) bytes long, the index describes its first \(header.logLength)"))
        }
        guard header.indexLength <= size else {
            return .failure(Untrusted(description: "the index is shorter than its header says"))
        }
        // Entries exactly when the log has records.
        guard header.indexLength >= headerLength, (header.indexLength > headerLength) == (logLength > 0) else {
            return .failure(Untrusted(description: "the index's header is damaged or of another campaign"))
        }
        do {
            let entries = try readBack(file, from: headerLength, to: header.indexLength, occurrences: occurrences)
            guard entries.last.map({ $0.offset < logLength }) ?? true else {
                return .failure(Untrusted(description: "the index's last entry is beyond the log's end"))
            }
            var runs: [Run] = []
            for (index, entry) in entries.enumerated() where occurrences.contains(entry.occurrence) {
                let end = index + 1 < entries.count ? entries[index + 1].offset : logLength
                // `follows` has put the offsets in order; checked again where a range is made of them.
                guard entry.offset < end else { return .failure(Untrusted(description: "the index's entries are damaged")) }
                runs.append(Run(occurrence: entry.occurrence, range: entry.offset..<end))
            }
            return .success(IndexLookup(runs: runs, last: entries.last, header: header))
        } catch {
            return .failure(error)
        }
    }

    /// The entries from the end back to the stopping point (see the type), in file order,
    /// each checked against the one before it.
    private static func readBack(
        _ file: PositionalFile, from start: Int, to end: Int,
        occurrences: Set<String?>
    ) throws(Untrusted) -> [IndexEntry] {
        let damaged = Untrusted(description: "the index's entries are damaged")
        // Nil sorts first, so a reader of the nil occurrence reads every entry.
        let earliest: String?? = occurrences.contains(nil) ? .none : .some(occurrences.compactMap { $0 }.min())
        var lines = BackwardLineReader(file, from: start, to: end)
        var newestFirst: [IndexEntry] = []
        var stopping = false
        while true {
            let line: (offset: Int, bytes: ArraySlice<UInt8>)?
            do { line = try lines.previous() } catch { throw damaged }
            guard let line else {
                // The start of the index: the earliest entry read is the first.
                guard newestFirst.last.map({ $0.follows(nil) }) ?? true else { throw damaged }
                break
            }
            guard let entry = IndexEntry.parse(line.bytes) else { throw damaged }
            if let later = newestFirst.last, !later.follows(entry) { throw damaged }
            newestFirst.append(entry)
            if stopping { break }
            if case .some(let earliest?) = earliest, IndexEntry.sortsBefore(entry.latest, earliest) {
                // Nothing before this entry is asked for; one more line checks this one's chain.
                stopping = true
            }
        }
        return newestFirst.reversed()
    }
}
