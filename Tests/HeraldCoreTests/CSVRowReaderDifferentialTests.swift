import CSV
import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// `CSVRowReader`, Herald's byte-level CSV reader, against CSV.swift's `CSVReader` (the
/// library it replaced on the hot path) as the oracle: on thousands of generated texts made
/// of the characters CSV gets wrong (quotes, `""`, commas, CRLF, lone CR and LF, line ends
/// inside quotes, empty fields, a byte-order mark, text after a closing quote, an unclosed
/// quote, non-ASCII text), read from memory and from a file cut into 64 KiB chunks, the
/// rows must be the same, and so must the line breaks counted inside each row.
@Suite struct CSVRowReaderDifferentialTests {
    /// The pieces a generated text is made of.
    static let pieces = [
        "a", "bc", "Zoë", "Ελένη", "\u{1F600}", " ", "\t", ",", ",", "\"", "\"\"", "\r\n", "\n", "\r",
        "\"x,y\"", "\"line\nbreak\"", "\"cr\rlf\r\n\"", "\"q\"\"q\"", "e@x.example", "", "\u{0}", "\u{301}",
    ]

    /// What CSV.swift reads from `text`: its rows, as `RecipientReader` read them before.
    static func oracle(_ text: String) throws -> [[String]] {
        var source = text
        if source.hasPrefix("\u{FEFF}") { source.removeFirst() }
        let reader = try CSVReader(string: source, hasHeaderRow: false)
        var rows: [[String]] = []
        while let row = reader.next() { rows.append(row) }
        return rows
    }

    static func rows(_ reader: inout CSVRowReader) -> (rows: [[String]], breaks: [Int]) {
        var rows: [[String]] = []
        var breaks: [Int] = []
        var fields: [String] = []
        while let count = reader.next(into: &fields) {
            rows.append(fields)
            breaks.append(count)
        }
        return (rows, breaks)
    }

    static func generated(_ count: Int, seed: UInt64) -> [String] {
        var random = SplitMix(seed: seed)
        return (0..<count).map { _ in
            var text = random.next() % 8 == 0 ? "\u{FEFF}" : ""
            for _ in 0..<Int(random.next() % 40) { text += pieces[Int(random.next() % UInt64(pieces.count))] }
            return text
        }
    }

    @Test func generatedTextReadsAsCSVSwiftReadsIt() throws {
        for text in Self.generated(5_000, seed: 10) {
            var reader = CSVRowReader(text: text)
            let read = Self.rows(&reader)
            let expected = try Self.oracle(text)
            #expect(read.rows == expected, "text: \(text.debugDescription)")
            #expect(read.breaks == expected.map { RecipientList.lineBreaks(in: $0) }, "text: \(text.debugDescription)")
            #expect(!reader.failed)
        }
    }

    @Test func aLargeFileReadInChunksReadsAsCSVSwiftReadsIt() throws {
        // Rows long enough to cross the 64 KiB chunk boundaries at every kind of place.
        let texts = Self.generated(3_000, seed: 11)
        let text = texts.joined(separator: "\r\n")
        #expect(text.utf8.count > 3 * 65_536)
        let folder = TemporaryDirectory()
        let path = folder.write("list.csv", text)
        var reader = try #require(CSVRowReader(file: path))
        defer { reader.close() }
        let read = Self.rows(&reader)
        let expected = try Self.oracle(text)
        #expect(read.rows.count == expected.count)
        #expect(read.rows == expected)
        #expect(read.breaks == expected.map { RecipientList.lineBreaks(in: $0) })
        #expect(!reader.failed)
    }

    @Test func chunkBoundariesAtEveryPlaceOfAQuotedFieldAndALineEnd() throws {
        // A row ending in CRLF, a quoted field with "" and CRLF inside, placed so that the
        // 64 KiB boundary falls on each of its bytes in turn.
        let row = "x@y.example,\"a\"\"b\r\nc\"\r\n"
        let folder = TemporaryDirectory()
        for shift in 0..<row.utf8.count + 2 {
            let padding = String(repeating: "p", count: 65_536 - shift) + "\r\n"
            let text = padding + row + row
            let path = folder.write("list-\(shift).csv", text)
            var reader = try #require(CSVRowReader(file: path))
            defer { reader.close() }
            #expect(Self.rows(&reader).rows == (try Self.oracle(text)), "shift \(shift)")
        }
    }

    @Test func textThatIsNotUTF8EndsTheReadingAsAFailure() throws {
        let folder = TemporaryDirectory()
        let path = folder.file("latin1.csv")
        try Data([0x65, 0x2C, 0x6E, 0x0A, 0x61, 0x2C, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: path))
        var reader = try #require(CSVRowReader(file: path))
        defer { reader.close() }
        var fields: [String] = []
        #expect(reader.next(into: &fields) == 0 && fields == ["e", "n"])
        #expect(reader.next(into: &fields) == nil)
        #expect(reader.failed)
    }
}
