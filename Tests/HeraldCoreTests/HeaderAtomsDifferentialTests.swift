import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Compares the byte-level `HeaderEncoder` (display names, unstructured text, address lists,
/// folding) with the String implementation it replaced (`LegacyHeaderEncoder`), on thousands
/// of generated values: among them the characters where `String`'s idea of a character and
/// Foundation's differ from a byte's (combining marks and joiners after a space, a quote or
/// `=?`, prepended marks, regional indicators, CR LF).
@Suite struct HeaderAtomsDifferentialTests {
    static let pieces = [
        "Pierre", "Sané", "Secretary", "General", "of", "Amnesty", "International", "O'Brien", "x", "1999",
        " ", " ", " ", "  ", ",", ".", "\"", "\\", "=?", "?=", "=", "?", "_", "(", ")", "<", ">", "@", ";", ":",
        "Ødegård", "Ďurišová-Kráľová", "Ελληνική", "人权", "🙂", "🇪🇺", "🇪", "👨‍👩‍👧‍👦", "–", "€",
        "e\u{301}", "\u{301}", "\u{308}", "\u{FE0F}", "\u{200D}", "\u{903}", "\u{600}", "\u{1F3FB}", "\u{E000}",
        "\t", "\r", "\n", "\r\n", "\u{7F}", "\u{0}",
        String(repeating: "x", count: 70), String(repeating: "é", count: 40), " \u{301}" + String(repeating: "\u{301}", count: 30),
    ]

    static let texts: [String] = {
        var random = SplitMix(seed: 2047)
        var texts = [
            "", " ", "  ", "a", "\"", "=?utf-8?q?x?=", "a =?x b", "=?\u{FE0F}", "=?\u{200D}", "\u{600}=?", "a \u{301}b",
            "\" \u{301}\"", String(repeating: "a ", count: 40), String(repeating: "Word", count: 20),
        ]
        for _ in 0..<4_000 {
            var text = ""
            for _ in 0..<random.int(1...14) { text += random.pick(pieces) }
            texts.append(text)
        }
        return texts
    }()

    static let firstLimits = [HeaderEncoder.maxEncodedWord, 70, 60, 30, 12, 0]

    @Test func phraseAtomsMatchTheOldEncoder() {
        var differing: [String] = []
        for (index, text) in Self.texts.enumerated() {
            let firstLimit = Self.firstLimits[index % Self.firstLimits.count]
            if HeaderEncoder.phraseAtoms(text, firstLimit: firstLimit) != LegacyHeaderEncoder.phraseAtoms(text, firstLimit: firstLimit) {
                differing.append(text)
            }
        }
        #expect(differing.isEmpty, "\(differing.count) differ, first: \(differing.first.map { Array($0.unicodeScalars) } ?? [])")
    }

    @Test func unstructuredAtomsMatchTheOldEncoder() {
        var differing: [String] = []
        for (index, text) in Self.texts.enumerated() {
            let firstLimit = Self.firstLimits[index % Self.firstLimits.count]
            if HeaderEncoder.unstructuredAtoms(text, firstLimit: firstLimit) != LegacyHeaderEncoder.unstructuredAtoms(text, firstLimit: firstLimit) {
                differing.append(text)
            }
        }
        #expect(differing.isEmpty, "\(differing.count) differ, first: \(differing.first.map { Array($0.unicodeScalars) } ?? [])")
    }

    @Test func addressHeadersFoldAsBefore() throws {
        var random = SplitMix(seed: 5322)
        let addresses = try ["a@x.example", "ann.o-brien@ministry.example", "josé@bücher.example", "x@y.example"].map(EmailAddress.init(parsing:))
        var differing: [[Mailbox]] = []
        for _ in 0..<2_000 {
            let mailboxes = (0..<random.int(1...4)).map { _ in
                Mailbox(displayName: random.chance(20) ? nil : random.pick(Self.texts), address: random.pick(addresses))
            }
            let name = random.pick(["To", "Cc", "Reply-To", "X-A-Rather-Long-Header-Name"])
            let room = HeaderEncoder.firstLineRoom(for: name)
            let atoms = HeaderEncoder.mailboxListAtoms(mailboxes, firstLimit: room)
            let old = LegacyHeaderEncoder.mailboxListAtoms(mailboxes, firstLimit: room)
            if atoms != old || HeaderEncoder.fold(name: name, atoms: atoms) != LegacyHeaderEncoder.fold(name: name, atoms: old) {
                differing.append(mailboxes)
            }
        }
        #expect(differing.isEmpty, "\(differing.count) differ, first: \(String(describing: differing.first))")
    }

    @Test func foldingMatchesTheOldFolder() {
        var random = SplitMix(seed: 2822)
        var differing: [[String]] = []
        for _ in 0..<3_000 {
            let atoms = (0..<random.int(0...12)).map { _ in
                random.pick(["a", "word,", "", "=?utf-8?q?x?=", String(repeating: "y", count: random.int(1...90)), "\"q r\""])
            }
            let name = random.pick(["Subject", "X", String(repeating: "N", count: 70)])
            if HeaderEncoder.fold(name: name, atoms: atoms) != LegacyHeaderEncoder.fold(name: name, atoms: atoms) { differing.append(atoms) }
        }
        #expect(differing.isEmpty, "\(differing.count) differ, first: \(String(describing: differing.first))")
    }

    /// The byte test for `atext` that the encoder's loops use agrees with the set.
    @Test func atextTestMatchesTheSet() {
        #expect((UInt8.min...UInt8.max).allSatisfy { Atext.contains($0) == Atext.set.contains($0) })
    }
}
