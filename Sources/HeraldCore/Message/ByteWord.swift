/// Eight bytes read as one word, and tests on all eight at once: the body's bytes are
/// mostly plain text, which the encoders can then pass eight at a time instead of one.
///
/// The tests are those of "Bit Twiddling Hacks" (Sean Eron Anderson, "determine if a word
/// has a byte less than / greater than n / equal to zero"). Each flags the high bit of
/// every byte that qualifies, and may also flag a byte above (later than) one that does,
/// never one below: so the lowest flag marks exactly the first byte that qualifies.
enum ByteWord {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The eight bytes at `offset` (any alignment), the first in the lowest bits.
    @inline(__always)
    static func load(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress.unsafelyUnwrapped + offset).loadUnaligned(as: UInt64.self))
    }

    /// Writes the eight bytes of `word` at `offset` (any alignment), the lowest bits first.
    @inline(__always)
    static func store(_ word: UInt64, _ bytes: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        UnsafeMutableRawPointer(bytes.baseAddress.unsafelyUnwrapped + offset).storeBytes(of: word.littleEndian, as: UInt64.self)
    }

    /// How many bytes of `word`, from its first, come before the first that is `a` or `b`: 8 when none is.
    @inline(__always)
    static func countBefore(_ word: UInt64, _ a: UInt8, _ b: UInt8) -> Int {
        (flagsEqual(word, a) | flagsEqual(word, b)).trailingZeroBitCount / 8
    }

    /// How many bytes of `word`, from its first, are printable ASCII or a space (0x20-0x7E)
    /// and not `excluded`: 8 when all are.
    @inline(__always)
    static func countPrintable(_ word: UInt64, excluding excluded: UInt8) -> Int {
        let below = (word &- ones &* 0x20) & ~word & highBits  // a byte under 0x20
        let above = ((word &+ ones &* (127 - 0x7E)) | word) & highBits  // a byte over 0x7E
        return (below | above | flagsEqual(word, excluded)).trailingZeroBitCount / 8
    }

    /// True when a byte of `word` is 0x80 or above (not ASCII).
    @inline(__always)
    static func containsNonASCII(_ word: UInt64) -> Bool {
        word & highBits != 0
    }

    /// The high bit of each byte of `word` that is `byte` (and perhaps of some after it).
    @inline(__always)
    private static func flagsEqual(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let v = word ^ (ones &* UInt64(byte))
        return (v &- ones) & ~v & highBits
    }
}
