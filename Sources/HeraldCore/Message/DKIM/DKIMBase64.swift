/// Base64 (RFC 4648 §4, with padding) for DKIM's tags: `bh=`, `b=`, and the key's `p=`.
///
/// Encoding is `Base64Lines`' (one encoder for the project), unbroken; decoding, strict, reads
/// a PEM block's body, once per campaign.
enum DKIMBase64 {
    /// `bytes` in base64, padded with `=` to a multiple of four characters, unbroken.
    static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        Array(bytes).withUnsafeBytes { Base64Lines.encode($0, lineLength: nil) }
    }

    /// The bytes of base64 `text` (whitespace ignored); nil for any other character, a
    /// misplaced `=` or a length that is not a whole number of groups.
    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var group: UInt32 = 0
        var count = 0
        var padding = 0
        for byte in text.utf8 {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                value = 0
            case 0x20, 0x09, 0x0D, 0x0A: continue
            default: return nil
            }
            if padding > 0 && byte != UInt8(ascii: "=") { return nil }  // data after padding
            group = group << 6 | value
            count += 1
            if count == 4 {
                out.append(UInt8(group >> 16 & 0xFF))
                if padding < 2 { out.append(UInt8(group >> 8 & 0xFF)) }
                if padding < 1 { out.append(UInt8(group & 0xFF)) }
                group = 0
                count = 0
                if padding > 0 { break }
            }
        }
        guard count == 0, padding <= 2 else { return nil }
        return out
    }
}
