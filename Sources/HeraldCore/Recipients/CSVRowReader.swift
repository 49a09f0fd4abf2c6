#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads CSV rows (RFC 4180: `,` between fields, `"` quoting, CRLF, LF or a lone CR ending a
/// row) from a file's bytes, streamed 64 KiB at a time, or from text in memory.
///
/// Contract: the rows are the ones CSV.swift's `CSVReader` reads from the same text with its
/// default configuration (no header handling, no trimming), quirks included: a field that
/// opens with `"` runs to the matching closing quote; `""` inside it is one quote; a closing
/// quote followed by anything but `,`, a line end or the end stands for a literal quote and
/// swallows that next character; a `"` inside an unquoted field is kept as it is; a UTF-8
/// byte-order mark at the start is skipped. `CSVRowReaderDifferentialTests` holds it to that
/// on a generated corpus of hostile text. Why not the library itself: it reads a stream (or a
/// string) one Unicode scalar at a time through an `AnyIterator`, a dynamic call per scalar
/// and another per byte, and builds each field scalar by scalar; this reads bytes from a
/// buffer and makes each field's `String` once, several times faster for the same rows.
///
/// Text that is not UTF-8 ends the reading as a failure (`failed`): `RecipientReader.scan`
/// refuses such a file before it is read, so it only happens to a file changed since.
struct CSVRowReader {
    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let cr: UInt8 = 0x0D
    private static let lf: UInt8 = 0x0A
    private static let chunkSize = 1 << 16

    /// The file read, or -1 for text in memory.
    private let descriptor: Int32
    private var buffer: [UInt8]
    private var position = 0
    private var atEnd: Bool
    /// The field being read, reused from field to field.
    private var field: [UInt8] = []
    /// True once a read failed or a field was not UTF-8: the rows stop there.
    private(set) var failed = false

    /// Opens a file for reading; nil when it cannot be opened or is not a regular file (a FIFO
    /// swapped in after the list was checked is opened without waiting, then refused).
    init?(file path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { return nil }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            Glibc.close(descriptor)
            return nil
        }
        self.descriptor = descriptor
        buffer = []
        atEnd = false
        field.reserveCapacity(256)
        refill()
        skipByteOrderMark()
    }

    /// Reads rows from text in memory.
    init(text: String) {
        descriptor = -1
        buffer = Array(text.utf8)
        atEnd = true
        field.reserveCapacity(256)
        skipByteOrderMark()
    }

    /// Closes the file (a reader is used by one owner, start to end, then dropped).
    func close() {
        if descriptor >= 0 { closeDescriptor(descriptor) }
    }

    private mutating func skipByteOrderMark() {
        if buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { position = 3 }
    }

    /// Reads the next chunk of the file after the bytes consumed so far.
    private mutating func refill() {
        guard !atEnd else { return }
        position = 0
        let descriptor = self.descriptor
        var readFailed = false
        buffer = [UInt8](unsafeUninitializedCapacity: Self.chunkSize) { bytes, initialized in
            while true {
                let count = read(descriptor, bytes.baseAddress, Self.chunkSize)
                if count < 0 && errno == EINTR { continue }
                readFailed = count < 0
                initialized = max(count, 0)
                return
            }
        }
        if readFailed { failed = true }
        if buffer.isEmpty { atEnd = true }
    }

    /// The next byte without taking it; nil at the end.
    @inline(__always)
    private mutating func peek() -> UInt8? {
        if position == buffer.count {
            refill()
            if position == buffer.count { return nil }
        }
        return buffer[position]
    }

    /// The next byte, taken; nil at the end.
    @inline(__always)
    private mutating func take() -> UInt8? {
        guard let byte = peek() else { return nil }
        position += 1
        return byte
    }

    /// Reads the next row into `fields` (emptied first); nil at the end of the text or on a failure.
    ///
    /// - Returns: the line breaks inside the row's quoted fields (a CRLF counts once), so that
    ///   the caller can tell the physical line each row starts on.
    mutating func next(into fields: inout [String]) -> Int? {
        guard !failed, peek() != nil else { return nil }
        fields.removeAll(keepingCapacity: true)
        var breaks = 0
        while true {
            field.removeAll(keepingCapacity: true)
            let rowEnds: Bool
            if peek() == nil {
                rowEnds = true  // a `,` just before the end: one more empty field
            } else if peek() == Self.quote {
                position += 1
                rowEnds = readQuoted(breaks: &breaks)
            } else {
                rowEnds = readUnquoted()
            }
            guard let value = String(validating: field, as: UTF8.self) else {
                failed = true
                return nil
            }
            fields.append(value)
            if rowEnds { return failed ? nil : breaks }
        }
    }

    /// Reads an unquoted field up to its `,` (false) or the row's end (true), taking that too.
    private mutating func readUnquoted() -> Bool {
        while true {
            // The bytes up to the next `,`, CR or LF in the buffer, in one append.
            let start = position
            let end = buffer.count
            var index = start
            buffer.withUnsafeBufferPointer { bytes in
                while index < end {
                    let byte = bytes[index]
                    if byte == Self.comma || byte == Self.cr || byte == Self.lf { break }
                    index += 1
                }
            }
            if index > start { field += buffer[start..<index] }
            position = index
            // At the buffer's end: the next chunk goes on with the same field.
            if index == end { if peek() == nil { return true } else { continue } }
            let byte = buffer[position]
            position += 1
            switch byte {
            case Self.comma: return false
            case Self.cr:
                if peek() == Self.lf { position += 1 }
                return true
            default: return true  // LF
            }
        }
    }

    /// Reads a quoted field (its opening quote taken) up to the `,` (false) or row end (true)
    /// after its closing quote, counting the line breaks it holds.
    private mutating func readQuoted(breaks: inout Int) -> Bool {
        var previousCR = false
        while let byte = take() {
            guard byte == Self.quote else {
                if byte == Self.lf { if !previousCR { breaks += 1 } } else if byte == Self.cr { breaks += 1 }
                previousCR = byte == Self.cr
                field.append(byte)
                continue
            }
            previousCR = false
            switch take() {
            case nil, Self.lf?: return true
            case Self.cr?:
                if peek() == Self.lf { position += 1 }
                return true
            case Self.comma?: return false
            case Self.quote?: field.append(Self.quote)  // `""`: an escaped quote
            case let dropped?:
                // After a closing quote any other character is taken for a literal quote and
                // dropped, all of its bytes (CSV.swift's reading; `scan` refuses such text).
                field.append(Self.quote)
                if dropped >= 0xC0 {
                    while let next = peek(), next & 0xC0 == 0x80 { position += 1 }
                }
            }
        }
        return true
    }
}

/// `close(2)`, out of reach of `CSVRowReader.close()`'s name.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
