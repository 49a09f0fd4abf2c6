import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// `RecipientReader.scan`, which checks a list file's UTF-8 and quotes byte by byte, against
/// the scan it replaced (the standard library's UTF-8 parser, one scalar at a time, kept
/// here as the oracle): on generated files of valid and invalid UTF-8 (stray continuation
/// bytes, overlong forms, surrogates, code points past U+10FFFF, sequences cut short, at the
/// end too), quotes, commas and line ends, both accept the same files and refuse the others
/// with the same diagnostic, line and byte included.
@Suite struct RecipientScanDifferentialTests {
    static let pieces: [[UInt8]] = [
        Array("a".utf8), Array("bc".utf8), Array("Zoë".utf8), Array("Ελένη".utf8), Array("\u{1F600}".utf8), Array("\u{FEFF}".utf8),
        [0x2C], [0x2C], [0x22], [0x22, 0x22], [0x0D, 0x0A], [0x0A], [0x0D], Array("\"x,y\"".utf8), Array("\"a\nb\"".utf8),
        [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xC2], [0xE0, 0x80, 0x80], [0xE0, 0xA0], [0xED, 0xA0, 0x80], [0xEF, 0xBB],
        [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80], [0xFF], [0xE9], [0xF0, 0x9F, 0x98],
    ]

    /// The scan before: `Unicode.UTF8.ForwardParser` over the bytes, each scalar fed to the quote scanner.
    static func legacyScan(_ bytes: [UInt8], file: String) -> [String] {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var quotes = QuoteScanner()
        var offset = 0
        var line = 1
        var first = true
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                offset += encoded.count
                if encoded.count == 1 && encoded.first == 0x0A { line += 1 }
                if first && scalar == "\u{FEFF}" { first = false; continue }
                first = false
                if let problem = quotes.feed(scalar) { return [problem.diagnostic(file: file).description] }
            case .error:
                return [InputFile.notUTF8(file, offset: offset, line: line, byte: bytes[offset], kind: .badData).description]
            case .emptyInput:
                return quotes.finish().map { [$0.diagnostic(file: file).description] } ?? []
            }
        }
    }

    static func scan(_ path: String) -> [String] {
        do { try RecipientReader.scan(file: path) } catch { return error.diagnostics.map(\.description) }
        return []
    }

    @Test func generatedFilesAreCheckedAsBefore() {
        let folder = TemporaryDirectory()
        var random = SplitMix(seed: 1999)
        var refused = 0
        for number in 0..<3_000 {
            var bytes: [UInt8] = []
            for _ in 0..<random.int(0...30) { bytes += random.pick(Self.pieces) }
            let path = folder.file("list-\(number).csv")
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let expected = Self.legacyScan(bytes, file: path)
            #expect(Self.scan(path) == expected, "bytes: \(bytes)")
            if !expected.isEmpty { refused += 1 }
        }
        // Both kinds are met often enough to mean something.
        #expect(refused > 500 && refused < 2_900)
    }

    @Test func aSequenceAcrossTheChunkBoundaryAndABadByteBeyondIt() {
        let folder = TemporaryDirectory()
        for shift in 0..<5 {
            var bytes = Array("email\n".utf8) + [UInt8](repeating: 0x61, count: 65_536 - 6 - shift) + Array("Ελ\u{1F600}".utf8)
            let good = folder.file("good-\(shift).csv")
            FileManager.default.createFile(atPath: good, contents: Data(bytes))
            #expect(Self.scan(good) == [])
            bytes += [0x0A, 0xE9, 0x0A]
            let bad = folder.file("bad-\(shift).csv")
            FileManager.default.createFile(atPath: bad, contents: Data(bytes))
            #expect(Self.scan(bad) == Self.legacyScan(bytes, file: bad))
            #expect(Self.scan(bad).first?.contains(":3: byte") == true)
        }
    }
}
