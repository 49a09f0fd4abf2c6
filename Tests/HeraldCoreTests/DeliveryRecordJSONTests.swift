import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// The hand-written log encoder against `JSONEncoder` (sorted keys, slashes unescaped), the
/// oracle it replaced: byte-identical lines on a random corpus of hostile values.
@Suite struct DeliveryRecordJSONTests {
    static func oracle(_ record: DeliveryRecord) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(record), as: UTF8.self)
    }

    /// Text with what a JSON encoder must get right: quotes, backslashes, slashes, every
    /// control character, DEL, non-ASCII letters, emoji.
    static func text(_ random: inout SplitMix) -> String {
        let pieces =
            ["a", "Z", "0", " ", "\"", "\\", "/", "\u{7F}", "é", "Ł", "中", "🙂", "\r\n", "<m@x>", "\u{2028}", "\u{FEFF}"]
            + (0..<32).map { String(UnicodeScalar(UInt8($0))) }
        return (0..<random.int(0...12)).map { _ in random.pick(pieces) }.joined()
    }

    @Test func matchesJSONEncoderByteForByte() throws {
        var random = SplitMix(seed: 1999)
        for _ in 0..<2_000 {
            func maybe<T>(_ make: () -> T) -> T? { random.chance(50) ? make() : nil }
            let record = DeliveryRecord(
                time: Self.text(&random), campaign: Self.text(&random), recipient: Self.text(&random),
                messageID: Self.text(&random), status: random.pick(DeliveryStatus.allCases), attempt: random.int(-3...100_000),
                smtpCode: maybe { random.int(0...999) }, smtpReply: maybe { Self.text(&random) }, error: maybe { Self.text(&random) },
                templateSHA256: maybe { Self.text(&random) }, rowSHA256: maybe { Self.text(&random) }, note: maybe { Self.text(&random) },
                occurrence: maybe { Self.text(&random) }, envelope: maybe { (0..<random.int(0...3)).map { _ in Self.text(&random) } },
                refused: maybe {
                    (0..<random.int(0...2)).map { _ in
                        DeliveryOutcome.Refusal(recipient: Self.text(&random), code: random.int(400...599), reply: Self.text(&random))
                    }
                },
                messageSHA256: maybe { Self.text(&random) }, tlsVersion: maybe { Self.text(&random) },
                tlsCipher: maybe { Self.text(&random) }, prev: maybe { Self.text(&random) },
                bounce: maybe {
                    BounceFields(
                        dsnStatus: maybe { Self.text(&random) }, dsnRecipient: maybe { Self.text(&random) },
                        diagnosticCode: maybe { Self.text(&random) }, remoteMTA: maybe { Self.text(&random) },
                        bounceMessageID: maybe { Self.text(&random) }, bounceDate: maybe { Self.text(&random) },
                        imapUIDValidity: maybe { random.int(0...4_294_967_295) }, imapUID: maybe { random.int(0...4_294_967_295) })
                })

            let line = record.jsonLine()
            #expect(line == (try Self.oracle(record)))
            #expect(DeliveryRecord.parse(line: line) == record)
        }
    }
}
