/// The lines of a byte range of a file, front to back, read in chunks: how the delivery
/// log is scanned without holding it in memory.
///
/// A line is returned without its newline, with the offset of its first byte; the last
/// line of the range may lack a newline (`terminated` false), which at the end of the log
/// is a torn write.
struct LineReader {
    struct Line {
        /// The offset of the line's first byte in the file.
        var offset: Int
        var bytes: ArraySlice<UInt8>
        /// Whether a newline ended it within the range.
        var terminated: Bool
    }

    private let file: PositionalFile
    private let end: Int
    private let chunk: Int
    /// Bytes read and not yet returned, starting at `bufferOffset` in the file.
    private var buffer: [UInt8] = []
    private var bufferOffset: Int
    /// Where in `buffer` the next line starts.
    private var position = 0

    /// - Parameters:
    ///   - chunk: how much to read at a time; a range's last chunk stops at `end`.
    init(_ file: PositionalFile, from start: Int, to end: Int, chunk: Int = 65_536) {
        self.file = file
        self.end = end
        self.chunk = chunk
        bufferOffset = start
    }

    /// The next line; nil at the end of the range.
    mutating func next() throws(PositionalFile.Errno) -> Line? {
        var searchFrom = position
        while true {
            if let newline = buffer[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Line(offset: bufferOffset + position, bytes: buffer[position..<newline], terminated: true)
                position = newline + 1
                return line
            }
            searchFrom = buffer.count
            let loaded = bufferOffset + buffer.count
            guard loaded < end else { break }
            // Drop what was returned before reading more, so the buffer holds about one chunk.
            if position > 0 {
                buffer.removeFirst(position)
                bufferOffset += position
                searchFrom -= position
                position = 0
            }
            let more = try file.read(at: loaded, count: min(chunk, end - loaded)).get()
            if more.isEmpty { break }
            buffer.append(contentsOf: more)
        }
        guard position < buffer.count else { return nil }
        let line = Line(offset: bufferOffset + position, bytes: buffer[position...], terminated: false)
        position = buffer.count
        return line
    }
}
