/// The secret that makes a campaign's Message-IDs unguessable: 32 random bytes, kept in a
/// private file beside the delivery log (`LOG.key`) and mixed into every Message-ID with
/// HMAC-SHA256 (``MessageID/make(campaign:recipientKey:domain:occurrence:key:)``).
///
/// Without it a Message-ID is a hash of the campaign name and the row's address, which
/// anyone who knows both can compute, and so forge a bounce that suppresses that row. The
/// bytes are never shown: `description` names the key, not its value.
public struct MessageIDKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The length of a key, in bytes.
    public static let length = 32

    let bytes: [UInt8]

    /// A key from exactly ``length`` bytes; nil for another length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.length else { return nil }
        self.bytes = bytes
    }

    /// A new key from the system's cryptographic random source (`getrandom`).
    public static func random() -> MessageIDKey {
        var generator = SystemRandomNumberGenerator()
        return MessageIDKey(bytes: (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) })!
    }

    /// The key as the file holds it: 64 lowercase hex digits and a newline.
    public var fileText: String {
        var hex: [UInt8] = []
        SHA256.appendHex(bytes[...], to: &hex)
        return String(decoding: hex, as: UTF8.self) + "\n"
    }

    /// Reads ``fileText``: 64 hex digits, surrounding white space ignored; nil for anything else.
    public init?(fileText: String) {
        let digits = Array(fileText.trimmingSpacesAndNewlines.utf8)
        guard digits.count == 2 * Self.length else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.length)
        func nibble(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x61...0x66: byte - 0x61 + 10
            case 0x41...0x46: byte - 0x41 + 10
            default: nil
            }
        }
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.bytes = bytes
    }

    public var description: String { "MessageIDKey(\(Self.length) bytes, not shown)" }
    public var debugDescription: String { description }
}

extension String {
    fileprivate var trimmingSpacesAndNewlines: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }
}
