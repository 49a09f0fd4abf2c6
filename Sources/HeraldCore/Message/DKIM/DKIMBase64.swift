/// Base64 (RFC 4648 §4, with padding) for DKIM's tags: `bh=`, `b=`, and the key's `p=`.
///
/// Small and on bytes, because a signature is encoded for every letter; also decodes a PEM
/// block's body, once per campaign.
enum DKIMBase64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// `bytes` in base64, padded with `=` to a multiple of four characters.
    static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            out.append(alphabet[Int(group >> 18 & 0x3F)])
            out.append(alphabet[Int(group >> 12 & 0x3F)])
            out.append(second == nil ? UInt8(ascii: "=") : alphabet[Int(group >> 6 & 0x3F)])
            out.append(third == nil ? UInt8(ascii: "=") : alphabet[Int(group & 0x3F)])
        }
        return out
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
