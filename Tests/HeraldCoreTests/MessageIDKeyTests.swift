import Foundation
import Testing

@testable import HeraldCore

/// Keyed Message-IDs: HMAC-SHA256 (checked against RFC 4231) under the campaign's secret,
/// stable for the same key and inputs, unrelated to the unkeyed hash anyone can compute.
@Suite struct MessageIDKeyTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func hmacMatchesRFC4231() {
        // Test case 2.
        #expect(
            Self.hex(SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than the block is hashed first.
        #expect(
            Self.hex(
                SHA256.hmac(
                    key: [UInt8](repeating: 0xAA, count: 131),
                    message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func aKeyedIDIsStableButNotTheUnkeyedOne() throws {
        let key = try #require(MessageIDKey(bytes: Array(0..<32)))
        let other = try #require(MessageIDKey(bytes: Array(1...32)))
        let keyed = MessageID.make(campaign: "c1", recipientKey: "a@x.example", domain: "org.example", key: key)
        let unkeyed = MessageID.make(campaign: "c1", recipientKey: "a@x.example", domain: "org.example")
        #expect(keyed == MessageID.make(campaign: "c1", recipientKey: "a@x.example", domain: "ORG.example", key: key))
        #expect(keyed != unkeyed)
        #expect(keyed != MessageID.make(campaign: "c1", recipientKey: "a@x.example", domain: "org.example", key: other))
        #expect(keyed != MessageID.make(campaign: "c1", recipientKey: "b@x.example", domain: "org.example", key: key))
        #expect(keyed != MessageID.make(campaign: "c1", recipientKey: "a@x.example", domain: "org.example", occurrence: "2026-12-01T09:00:00Z", key: key))
        let input = Array("c1".utf8) + [0] + Array("a@x.example".utf8)
        #expect(keyed == "<\(Self.hex(Array(SHA256.hmac(key: Array(0..<32), message: input).prefix(16)))).herald@org.example>")
        #expect(VERP.token(ofMessageID: keyed) != nil, "VERP tokens come from the keyed ID")
    }

    @Test func theKeyIsNeverShownAndReadsBackFromItsFile() throws {
        let key = MessageIDKey.random()
        #expect(key != MessageIDKey.random())
        let text = key.fileText
        #expect(text.count == 65 && text.hasSuffix("\n"))
        #expect(MessageIDKey(fileText: text) == key)
        #expect(MessageIDKey(fileText: "  " + text.uppercased() + "\n") == key)
        #expect(MessageIDKey(fileText: String(text.dropFirst(2))) == nil)
        #expect(MessageIDKey(fileText: "zz" + text.dropFirst(2)) == nil)
        let digits = String(text.dropLast())
        for shown in ["\(key)", String(reflecting: key), "\([key])"] { #expect(!shown.contains(digits), "\(shown)") }
        #expect(MessageIDKey(bytes: [1, 2, 3]) == nil)
    }
}
