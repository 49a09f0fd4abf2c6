extension SHA256 {
    /// HMAC-SHA256 (RFC 2104) of `message` under `key`: the keyed digest Message-IDs are made
    /// with, so that only the holder of the campaign's key can compute one.
    static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let blockSize = 64
        var block = key.count > blockSize ? digest(key) : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        let inner = digest(block.map { $0 ^ 0x36 } + message)
        return digest(block.map { $0 ^ 0x5C } + inner)
    }
}
