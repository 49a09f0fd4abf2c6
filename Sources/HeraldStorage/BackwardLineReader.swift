/// The lines of a byte range of a file, back to front, read in small chunks from the end:
/// how the index is read, since what a firing needs is at its end.
///
/// Every line of the range must end with a newline, except, when the reader is made with
/// `lastLineMayBeUnterminated`, the range's last one (a log's last record written without its
/// newline); `previous()` returns the line before the ones already returned, without its
/// newline, or nil once the range's start is reached.
struct BackwardLineReader {
    /// The range does not end with a newline: it is not made of whole lines.
    struct Unterminated: Error {}

    private let file: PositionalFile
    private let start: Int
    private let chunk: Int
    /// Bytes read and not yet returned: the file's bytes from `end - buffer.count` to `end`.
    private var buffer: [UInt8] = []
    private var end: Int
    /// True until the range's last byte has been read and checked for its newline.
    private var atRangeEnd = true
    private let lastLineMayBeUnterminated: Bool

    init(_ file: PositionalFile, from start: Int, to end: Int, chunk: Int = 512, lastLineMayBeUnterminated: Bool = false) {
        self.file = file
        self.start = start
        self.end = end
        self.chunk = chunk
        self.lastLineMayBeUnterminated = lastLineMayBeUnterminated
    }

    /// The previous line and the offset of its first byte; nil at the start of the range.
    mutating func previous() throws -> (offset: Int, bytes: ArraySlice<UInt8>)? {
        guard end > start else { return nil }
        while true {
            let bufferStart = end - buffer.count
            if !buffer.isEmpty {
                if atRangeEnd {
                    atRangeEnd = false
                    if buffer.last != UInt8(ascii: "\n") {
                        guard lastLineMayBeUnterminated else { throw Unterminated() }
                        // Read as if the newline were there: one byte past the range's end,
                        // which moves no line's offset.
                        buffer.append(UInt8(ascii: "\n"))
                        end += 1
                    }
                }
                if let newline = buffer.dropLast().lastIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer[(newline + 1)..<(buffer.count - 1)]
                    let offset = bufferStart + newline + 1
                    buffer.removeLast(buffer.count - newline - 1)
                    end = offset
                    return (offset, line)
                }
                if bufferStart == start {
                    let line = buffer[..<(buffer.count - 1)]
                    buffer = []
                    end = start
                    return (start, line)
                }
            }
            let count = min(chunk, bufferStart - start)
            let before = try file.read(at: bufferStart - count, count: count).get()
            guard before.count == count else { throw Unterminated() }
            buffer.insert(contentsOf: before, at: 0)
        }
    }
}
