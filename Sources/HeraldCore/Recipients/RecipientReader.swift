import Foundation

/// Reads a recipient list one row at a time: from a file, streamed, or from text in memory.
///
/// A campaign of 100,000 rows is read twice (checked, then sent) and never held whole:
/// memory does not grow with the list. The rules are `RecipientList`'s: a header naming the
/// columns, one of them `email`; a row with the wrong number of fields, an unterminated
/// quote or a bad address is a diagnostic naming the file and line. For a file, `scan`
/// first checks, in one streamed pass, that it is UTF-8 and that its quotes are balanced,
/// which a lenient CSV reader would otherwise turn into shifted or swallowed rows.
public final class RecipientReader {
    /// One row read: a recipient, or the problem that keeps it from being one.
    public enum Row {
        case recipient(Recipient)
        case problem(Diagnostic)
    }

    public let file: String
    public let columns: [String]
    /// Problems with the header row that still let the rows be read (a duplicate column name).
    public let headerProblems: [Diagnostic]
    /// The list's rows (nil for a list already parsed).
    private var reader: CSVRowReader?
    /// The fields of the row being read, reused from row to row.
    private var row: [String] = []
    /// The rows of a list already parsed, instead of `reader`.
    private var parsed: IndexingIterator<[Recipient]>?
    private let emailIndex: Int
    private var line: Int
    /// A hash of the last row read (its line and its fields in column order): what a row was
    /// when checked, to notice an edit before the send (the same reader kind gives the same hash).
    public private(set) var rowHash = 0

    /// Walks a list already parsed (its problems were reported when it was).
    public init(list: RecipientList) {
        file = list.file
        columns = list.columns
        headerProblems = []
        reader = nil
        parsed = list.recipients.makeIterator()
        emailIndex = 0
        line = 0
    }

    /// Opens a list and reads its header row.
    ///
    /// - Parameter text: the list's text when it is in memory; nil to stream `file` from disk.
    /// - Throws: `ValidationFailure` when the header is missing or has no `email` column, or
    ///   the file cannot be opened.
    public init(file: String, text: String? = nil) throws(ValidationFailure) {
        self.file = file
        var reader: CSVRowReader
        if let text {
            reader = CSVRowReader(text: text)  // a byte-order mark is skipped
        } else {
            guard let opened = CSVRowReader(file: file) else {
                throw ValidationFailure([Diagnostic(.missingInput, file: file, "cannot be opened")])
            }
            reader = opened
        }
        var header: [String] = []
        guard let headerBreaks = reader.next(into: &header), !(header.count == 1 && header[0].isEmpty) else {
            reader.close()
            if reader.failed { throw ValidationFailure([Diagnostic(.badData, file: file, "cannot be read as CSV: not UTF-8 text, or an I/O error")]) }
            throw ValidationFailure([Diagnostic(.badData, file: file, line: 1, "has no header row; the first line must name the columns, one of them `email`")])
        }
        let columns = header.map { $0.trimmingSpaces }
        line = 2 + headerBreaks
        var problems: [Diagnostic] = []
        var seen: Set<String> = []
        for column in columns {
            if column.isEmpty {
                problems.append(Diagnostic(.badData, file: file, line: 1, "the header row has an empty column name"))
            } else if !seen.insert(column).inserted {
                problems.append(Diagnostic(.badData, file: file, line: 1, field: column, "column appears twice in the header row"))
            }
        }
        guard let emailIndex = columns.firstIndex(of: RecipientList.emailColumn) else {
            problems.append(Diagnostic(.badData, file: file, line: 1, field: RecipientList.emailColumn, "the header row has no `email` column"))
            reader.close()
            throw ValidationFailure(problems)
        }
        self.reader = reader
        self.columns = columns
        self.emailIndex = emailIndex
        self.headerProblems = problems
    }

    deinit { reader?.close() }

    /// The next row, skipping blank lines; nil at the end of the list.
    public func next() -> Row? {
        guard reader != nil else {
            guard let recipient = parsed?.next() else { return nil }
            var hasher = Hasher()
            hasher.combine(recipient.line)
            for column in columns { hasher.combine(recipient.fields[column]) }
            rowHash = hasher.finalize()
            return .recipient(recipient)
        }
        while let breaks = reader!.next(into: &row) {
            let rowLine = line
            line += 1 + breaks
            if row.count == 1 && row[0].isEmpty { continue }  // blank line
            guard row.count == columns.count else {
                return .problem(
                    Diagnostic(
                        .badData, file: file, line: rowLine,
                        "has \(row.count) fields but the header has \(columns.count); quote fields that contain commas"))
            }
            var hasher = Hasher()
            hasher.combine(rowLine)
            for field in row { hasher.combine(Optional(field)) }
            rowHash = hasher.finalize()
            var fields: [String: String] = [:]
            fields.reserveCapacity(columns.count)
            for (column, value) in zip(columns, row) { fields[column] = value }
            do {
                let address = try EmailAddress(parsing: row[emailIndex].trimmingSpaces)
                return .recipient(Recipient(file: file, line: rowLine, fields: fields, address: address))
            } catch {
                return .problem(
                    Diagnostic(
                        .badData, file: file, line: rowLine, field: RecipientList.emailColumn,
                        "\"\(row[emailIndex].debugVisible)\" \(error)"))
            }
        }
        return nil
    }

    /// Whether the reader stopped on a read error (or text that is not UTF-8) rather than at the end of the list.
    public var failed: Bool {
        reader?.failed ?? false
    }

    /// Checks a list file in one streamed pass: UTF-8 throughout, quotes balanced.
    ///
    /// - Throws: `ValidationFailure` naming the line: the first byte that is not UTF-8, a
    ///   quote never closed, text after a closing quote; `.missingInput` when unreadable.
    public static func scan(file: String) throws(ValidationFailure) {
        // Opened without waiting and judged by what was opened: a FIFO put there after the
        // list's stat is refused, not waited on.
        let descriptor = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else {
            throw ValidationFailure([Diagnostic(.missingInput, file: file, "cannot be read (permissions?)")])
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            let what = InputFile.notRegular(info.st_mode) ?? "a folder"
            throw ValidationFailure([Diagnostic(.missingInput, file: file, "is \(what), not a regular file; save the list to a file and name that")])
        }
        var bytes = ChunkedBytes(handle: handle)
        var quotes = QuoteScanner()
        var offset = 0
        var line = 1
        // Byte by byte, not through the standard library's generic UTF-8 parser: ASCII (most
        // of a list) goes straight to the quote scanner, a longer sequence is checked here.
        while let byte = bytes.next() {
            if byte < 0x80 {
                if byte == 0x0A { line += 1 }
                if let problem = quotes.feed(Unicode.Scalar(byte)) { throw ValidationFailure([problem.diagnostic(file: file)]) }
                offset += 1
                continue
            }
            guard let (scalar, length) = Self.scalar(leading: byte, from: &bytes) else {
                throw ValidationFailure([InputFile.notUTF8(file, offset: offset, line: line, byte: bytes.byte(at: offset), kind: .badData)])
            }
            // A byte-order mark at the start is not text; any other non-ASCII scalar is text
            // to the quote scanner, like any letter.
            if !(offset == 0 && scalar == 0xFEFF), let problem = quotes.feed("\u{FFFD}") {
                throw ValidationFailure([problem.diagnostic(file: file)])
            }
            offset += length
        }
        if bytes.failed { throw ValidationFailure([Diagnostic(.missingInput, file: file, "cannot be read (an I/O error part way)")]) }
        if let problem = quotes.finish() { throw ValidationFailure([problem.diagnostic(file: file)]) }
    }

    /// The scalar a UTF-8 sequence of two to four bytes encodes, its lead byte taken, and the
    /// sequence's length; nil when it is not UTF-8 (a stray continuation byte, an overlong
    /// form, a surrogate, past U+10FFFF, or cut short), which Unicode's table 3-7 decides.
    private static func scalar(leading lead: UInt8, from bytes: inout ChunkedBytes) -> (UInt32, Int)? {
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // the second byte's range
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return nil
        }
        var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for index in 1..<length {
            guard let next = bytes.peek(), next >= (index == 1 ? low : 0x80), next <= (index == 1 ? high : 0xBF) else { return nil }
            _ = bytes.next()
            value = value << 6 | UInt32(next & 0x3F)
        }
        return (value, length)
    }
}

/// A file's bytes, read 64 KiB at a time, as an iterator for the UTF-8 parser.
private struct ChunkedBytes: IteratorProtocol {
    let handle: FileHandle
    private var chunk: [UInt8] = []
    /// The chunk before, kept so that the byte a diagnostic names is still at hand when the
    /// parser has read past it into the next chunk.
    private var previous: [UInt8] = []
    private var index = 0
    /// Bytes before the current chunk.
    private var consumed = 0
    private(set) var failed = false
    private var ended = false

    init(handle: FileHandle) {
        self.handle = handle
    }

    /// The next byte without taking it; nil at the end.
    mutating func peek() -> UInt8? {
        guard let byte = next() else { return nil }
        index -= 1
        return byte
    }

    mutating func next() -> UInt8? {
        if index == chunk.count {
            // At the end the last chunk stays, so that a diagnostic can still name its bytes.
            if ended { return nil }
            var next: [UInt8] = []
            do { next = [UInt8](try handle.read(upToCount: 1 << 16) ?? Data()) } catch { failed = true }
            if next.isEmpty {
                ended = true
                return nil
            }
            consumed += chunk.count
            previous = chunk
            chunk = next
            index = 0
        }
        defer { index += 1 }
        return chunk[index]
    }

    /// The byte at a file offset within the current or the previous chunk (for the diagnostic), 0 if gone.
    func byte(at offset: Int) -> UInt8 {
        let local = offset - consumed
        if local >= 0 && local < chunk.count { return chunk[local] }
        let earlier = local + previous.count
        return earlier >= 0 && earlier < previous.count ? previous[earlier] : 0
    }
}
