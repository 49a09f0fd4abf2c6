/// Base64 (RFC 4648) in lines of 76 characters, each ending in CRLF, as a MIME body part's
/// `Content-Transfer-Encoding: base64` wants them (RFC 2045 §6.8); or in one unbroken run
/// (`lineLength` nil), as DKIM's `bh=`, `b=` and `p=` tags want it: Herald's one encoder.
///
/// Works on bytes; the output is ASCII. An attachment is encoded once per campaign when it
/// is shared (``AttachmentStore`` keeps the encoded lines), so this is not on every letter's path.
enum Base64Lines {
    static let lineLength = 76
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The encoding of `input` in lines of `lineLength` characters, each ending in CRLF (empty
    /// input gives no line at all), or, with `lineLength` nil, in one run without a line end.
    static func encode(_ input: UnsafeRawBufferPointer, lineLength: Int? = Self.lineLength) -> [UInt8] {
        let groups = (input.count + 2) / 3
        let characters = groups * 4
        let width = lineLength ?? Int.max
        let lines = lineLength.map { (characters + $0 - 1) / $0 } ?? 0
        return [UInt8](unsafeUninitializedCapacity: characters + 2 * lines) { out, initialized in
            var o = 0
            var column = 0
            var i = 0
            func put(_ byte: UInt8) {
                out[o] = byte
                o += 1
                column += 1
                if column == width {
                    out[o] = 0x0D
                    out[o + 1] = 0x0A
                    o += 2
                    column = 0
                }
            }
            while i + 3 <= input.count {
                let value = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                put(alphabet[Int(value >> 18 & 63)])
                put(alphabet[Int(value >> 12 & 63)])
                put(alphabet[Int(value >> 6 & 63)])
                put(alphabet[Int(value & 63)])
                i += 3
            }
            let rest = input.count - i
            if rest > 0 {
                let value = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                put(alphabet[Int(value >> 18 & 63)])
                put(alphabet[Int(value >> 12 & 63)])
                put(rest == 2 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
                put(UInt8(ascii: "="))
            }
            if column > 0 && lines > 0 {
                out[o] = 0x0D
                out[o + 1] = 0x0A
                o += 2
            }
            initialized = o
        }
    }

    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { encode($0) }
    }
}
