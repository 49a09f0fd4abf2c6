/// Quoted-printable body encoding (RFC 2045 §6.7) for text with CRLF line breaks.
///
/// Line breaks in the input stay hard CRLF breaks; long lines get soft breaks so no
/// encoded line exceeds 76 characters; trailing spaces and tabs are encoded so that
/// transport that strips them cannot change the text.
///
/// Works on UTF-8 bytes: a line is whatever lies between two CR LF pairs, every other
/// byte (a lone CR or LF included) is data. A byte is written as itself when it is
/// printable ASCII other than `=`, or a space or tab that does not end its line; any
/// other byte as `=XX` (upper-case hex). An escape is never split by a soft break.
public enum QuotedPrintable {
    public static let maxLineLength = 76

    /// Encodes UTF-8 `text` whose lines end in CRLF; the result ends in CRLF when the input does.
    public static func encode(_ text: String) -> String {
        var text = text
        let bytes = text.withUTF8 { encode($0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Encodes UTF-8 bytes whose lines end in CRLF; the result is 7-bit ASCII and ends in
    /// CRLF when the input does.
    static func encode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        // A byte gives at most 3 output bytes, and a soft break (3 more) comes only after 73
        // output bytes or more, so after 25 input bytes or more: 4 per input byte is enough,
        // also for the eight bytes a run writes ahead (where input byte j goes, with eight
        // input bytes from j on).
        [UInt8](unsafeUninitializedCapacity: 4 * input.count + 3) { buffer, initialized in
            initialized = encode(input, into: buffer)
        }
    }

    /// Writes the encoding into `out` (at least `4 * input.count + 3` bytes) and returns its length.
    @inline(__always)
    private static func encode(_ input: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let cr: UInt8 = 0x0D, lf: UInt8 = 0x0A, equals: UInt8 = 0x3D, space: UInt8 = 0x20, tab: UInt8 = 0x09
        let room = maxLineLength - 1  // an encoded line leaves room for the '=' of a soft break
        let count = input.count
        var o = 0
        var column = 0
        var i = 0
        while i < count {
            // The common case first: a run of bytes written as themselves (printable ASCII
            // but `=`, and spaces), as far as the line has room. Eight bytes are copied at
            // once and as many of them count as belong to the run; the rest are written
            // again later. A space at the run's end is left to the byte-by-byte step, which
            // knows whether it ends its line.
            let runEnd = min(count, i + room - column)
            var j = i
            while j &+ 8 <= runEnd {
                let word = ByteWord.load(input, at: j)
                ByteWord.store(word, out, at: o &+ j &- i)
                let plain = ByteWord.countPrintable(word, excluding: equals)
                j &+= plain
                if plain < 8 { break }
            }
            while j < runEnd && input[j] >= space && input[j] < 0x7F && input[j] != equals {
                out[o + j - i] = input[j]
                j += 1
            }
            if j > i && input[j - 1] == space { j -= 1 }
            o += j - i
            column += j - i
            i = j
            if i == count { break }
            // One byte, whatever it is.
            let byte = input[i]
            let literal: Bool
            if byte >= 33 && byte <= 126 && byte != equals {
                literal = true
            } else if byte == cr && i + 1 < count && input[i + 1] == lf {
                out[o] = cr  // a hard line break
                out[o + 1] = lf
                o += 2
                column = 0
                i += 2
                continue
            } else if byte == space || byte == tab {
                // Literal unless it ends its line (the input's end, or just before a CR LF).
                let endsLine = i + 1 == count || (input[i + 1] == cr && i + 2 < count && input[i + 2] == lf)
                literal = !endsLine
            } else {
                literal = false
            }
            let width = literal ? 1 : 3
            if column + width > room {
                out[o] = equals
                out[o + 1] = cr
                out[o + 2] = lf
                o += 3
                column = 0
            }
            if literal {
                out[o] = byte
            } else {
                out[o] = equals
                out[o + 1] = hexDigit(byte >> 4)
                out[o + 2] = hexDigit(byte & 0x0F)
            }
            o += width
            column += width
            i += 1
        }
        return o
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x37 + nibble  // 0-9, A-F
    }
}
