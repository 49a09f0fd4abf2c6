/// Line-end normalisation of a letter's body, on UTF-8 bytes.
///
/// CRLF, a lone CR and a lone LF each become one CRLF; line ends at the very end are
/// dropped and exactly one CRLF is written in their place, so the result always ends in
/// one CRLF (an empty body is just CRLF). Every other byte is copied as it is.
struct NormalizedBody {
    /// The body with CRLF line ends, ending in exactly one CRLF.
    var bytes: [UInt8]
    /// True when every byte is ASCII (below 0x80).
    var isASCII: Bool
    /// The longest line's length in bytes, its CRLF not counted.
    var longestLine: Int

    init(_ text: String) {
        var text = text
        self = text.withUTF8 { NormalizedBody($0) }
    }

    init(_ input: UnsafeBufferPointer<UInt8>) {
        let cr: UInt8 = 0x0D, lf: UInt8 = 0x0A
        // Trailing CRs and LFs all go; one CRLF is written after the last line.
        var end = input.count
        while end > 0 && (input[end - 1] == cr || input[end - 1] == lf) { end -= 1 }
        var ascii = true
        var longest = 0
        // Each byte gives at most two (a lone CR or LF becomes CRLF), plus the final CRLF.
        bytes = [UInt8](unsafeUninitializedCapacity: 2 * end + 2) { out, initialized in
            var o = 0
            var lineStart = 0
            var i = 0
            var highBits: UInt64 = 0  // every byte OR-ed in: bit 7 of some byte is set unless all are ASCII
            while i < end {
                if i &+ 8 <= end {
                    // Eight bytes are copied at once, and as many as come before a line end
                    // count: the rest are written again from where the line end is dealt with.
                    let word = ByteWord.load(input, at: i)
                    ByteWord.store(word, out, at: o)
                    highBits |= word
                    let plain = ByteWord.countBefore(word, cr, lf)
                    o &+= plain
                    i &+= plain
                    if plain == 8 { continue }
                }
                let byte = input[i]
                if byte == cr || byte == lf {
                    longest = max(longest, o - lineStart)
                    out[o] = cr
                    out[o + 1] = lf
                    o += 2
                    lineStart = o
                    // CR LF is one line end; `end` never stops between them, since both are trimmed together.
                    i += byte == cr && i + 1 < end && input[i + 1] == lf ? 2 : 1
                    continue
                }
                highBits |= UInt64(byte)
                out[o] = byte
                o &+= 1
                i &+= 1
            }
            longest = max(longest, o - lineStart)
            out[o] = cr
            out[o + 1] = lf
            initialized = o + 2
            ascii = !ByteWord.containsNonASCII(highBits)
        }
        isASCII = ascii
        longestLine = longest
    }
}
