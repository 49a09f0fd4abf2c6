import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// The log's fast reader (`DeliveryRecord.parseCanonical`) against `JSONDecoder`, the oracle it
/// stands in for: on every line it accepts it must give the decoder's record, and the lines it
/// declines must still parse (through the decoder) exactly as before.
@Suite struct DeliveryRecordParsingTests {
    static func oracle(_ line: String) -> DeliveryRecord? {
        try? JSONDecoder().decode(DeliveryRecord.self, from: Data(line.utf8))
    }

    static func canonical(_ line: String) -> DeliveryRecord? {
        var line = line
        return line.withUTF8 { DeliveryRecord.parseCanonical($0) }
    }

    /// Plain text (what the fast path reads) and now and then what it must leave to the decoder.
    static func text(_ random: inout SplitMix, hostile: Bool) -> String {
        let plain = ["a", "Z", "0", " ", "/", "é", "中", "🙂", "<m@x>", "250 2.0.0 Ok", "\u{7F}"]
        let pieces = hostile ? plain + ["\"", "\\", "\n", "\u{01}", "\u{2028}"] : plain
        return (0..<random.int(0...12)).map { _ in random.pick(pieces) }.joined()
    }

    static func record(_ random: inout SplitMix, hostile: Bool) -> DeliveryRecord {
        func maybe<T>(_ make: () -> T) -> T? { random.chance(50) ? make() : nil }
        func text() -> String { Self.text(&random, hostile: hostile) }
        return DeliveryRecord(
            time: text(), campaign: text(), recipient: text(), messageID: text(), status: random.pick(DeliveryStatus.allCases),
            attempt: random.int(-3...100_000), smtpCode: maybe { random.int(0...999) }, smtpReply: maybe { text() },
            error: maybe { text() }, templateSHA256: maybe { text() }, rowSHA256: maybe { text() }, note: maybe { text() },
            occurrence: maybe { text() }, envelope: maybe { (0..<random.int(0...3)).map { _ in text() } },
            refused: random.chance(10) ? [DeliveryOutcome.Refusal(recipient: text(), code: 550, reply: text())] : nil,
            messageSHA256: maybe { text() }, tlsVersion: maybe { text() }, tlsCipher: maybe { text() }, prev: maybe { text() },
            bounce: maybe {
                BounceFields(
                    dsnStatus: maybe { text() }, dsnRecipient: maybe { text() }, diagnosticCode: maybe { text() },
                    remoteMTA: maybe { text() }, bounceMessageID: maybe { text() }, bounceDate: maybe { text() },
                    imapUIDValidity: maybe { random.int(0...4_294_967_295) }, imapUID: maybe { random.int(0...4_294_967_295) })
            })
    }

    @Test func readsWhatTheLogWritesAsTheDecoderDoes() {
        var random = SplitMix(seed: 2026)
        var fast = 0
        for round in 0..<3_000 {
            let record = Self.record(&random, hostile: round % 3 == 0)
            let line = record.jsonLine()
            if let parsed = Self.canonical(line) {
                fast += 1
                #expect(parsed == Self.oracle(line), "\(line)")
            }
            #expect(DeliveryRecord.parse(line: line) == record)
        }
        // Most of the log's own lines take the fast path, or it would not be worth having.
        #expect(fast > 1_500)
    }

    /// Lines a person may have edited: whatever the decoder says of each, `parse` says too.
    @Test func leavesEveryOtherLineToTheDecoder() {
        let good = DeliveryRecord(
            time: "2026-12-06T05:00:00Z", campaign: "c", recipient: "a@x.example", messageID: "<1@x>",
            status: .sent, attempt: 1, smtpCode: 250, smtpReply: "250 ok"
        ).jsonLine()
        func edited(_ from: String, _ to: String) -> String { good.replacingOccurrences(of: from, with: to) }
        var lines: [String] = [good, good + " ", " " + good, edited(":", " : "), String(good.dropLast()), good + "}", "{}", "[]", "", "null"]
        for attempt in ["1.0", "01", "1e0", "\"1\"", "-", "99999999999999999999"] { lines.append(edited("\"attempt\":1", "\"attempt\":" + attempt)) }
        lines.append(edited("\"smtp_code\":250", "\"smtp_code\":null"))
        lines.append(edited("\"status\":\"sent\"", "\"status\":\"mailed\""))
        lines.append(edited("\"recipient\"", "\"recipient\":\"b@x.example\",\"recipient\""))
        lines.append(edited("{", "{\"extra\":[1,{\"a\":2}],"))
        lines.append(edited("\"c\"", "\"\\u0063\""))
        lines.append(edited(",\"time\"", ",\"time\":\"x\",\"time\""))
        lines.append(edited(",\"time\":\"2026-12-06T05:00:00Z\"", ""))
        lines.append(good.replacingOccurrences(of: "\"attempt\":1", with: "\"attempt\":-0"))
        for line in lines {
            let oracle = Self.oracle(line)
            #expect(DeliveryRecord.parse(line: line) == oracle, "\(line)")
            if let fast = Self.canonical(line) { #expect(fast == oracle, "\(line)") }
        }
        #expect(Self.canonical(good) != nil)
    }
}
