/// FNV-1a (64-bit) over bytes: the index's check that a line reads as it was written.
///
/// Not a defence against a forger (whoever can write the index can write the log); it
/// catches the damage a cache meets: a torn or half-rewritten line, a flipped byte, a line
/// lost or pasted elsewhere (each entry's sum covers the one before, see `IndexEntry`).
enum IndexChecksum {
    static let basis: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// The sum of `bytes`, continuing from `seed`.
    static func of(_ bytes: some Sequence<UInt8>, seed: UInt64 = basis) -> UInt64 {
        var hash = seed
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* prime
        }
        return hash
    }

    /// Sixteen lowercase hexadecimal digits.
    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The value of exactly sixteen lowercase hexadecimal digits; nil for anything else.
    static func parseHex(_ text: Substring) -> UInt64? {
        guard text.utf8.count == 16, text.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return UInt64(text, radix: 16)
    }
}
