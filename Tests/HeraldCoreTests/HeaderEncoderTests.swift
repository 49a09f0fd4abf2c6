import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

@Suite struct HeaderEncoderTests {
    // MARK: Helpers

    /// A complete message around the given folded header lines, for the strict oracle.
    static func message(to: String, subject: String) -> [UInt8] {
        let text =
            "From: Sender <sender@org.example>\r\n" + to + subject
            + "Date: Wed, 03 Feb 1999 00:00:00 +0000\r\nMessage-ID: <header-test@org.example>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nBody\r\n"
        return Array(text.utf8)
    }

    static func subjectMessage(_ subject: String) -> (header: String, bytes: [UInt8]) {
        let atoms = HeaderEncoder.unstructuredAtoms(subject, firstLimit: HeaderEncoder.firstLineRoom(for: "Subject"))
        let header = HeaderEncoder.fold(name: "Subject", atoms: atoms)
        return (header, message(to: "To: a@b.example\r\n", subject: header))
    }

    static func toMessage(_ mailboxes: [Mailbox]) -> (header: String, bytes: [UInt8]) {
        let atoms = HeaderEncoder.mailboxListAtoms(mailboxes, firstLimit: HeaderEncoder.firstLineRoom(for: "To"))
        let header = HeaderEncoder.fold(name: "To", atoms: atoms)
        return (header, message(to: header, subject: "Subject: names\r\n"))
    }

    static func address(_ text: String) -> EmailAddress {
        try! EmailAddress(parsing: text)
    }

    /// Decodes each encoded-word on its own with Python's `email.header.decode_header`, strictly as UTF-8:
    /// a word holding half a character makes Python fail.
    static func pythonDecodeEachWord(_ words: [String]) throws -> [String]? {
        let folder = TemporaryDirectory("herald-ew")
        let path = folder.write("words.json", String(decoding: try JSONEncoder().encode(words), as: UTF8.self))
        let code = """
            import email.header, json, sys
            out = []
            for word in json.load(open(sys.argv[1], encoding='utf-8')):
                parts = email.header.decode_header(word)
                if len(parts) != 1 or parts[0][1] != 'utf-8':
                    sys.exit('not a single utf-8 encoded-word: %r -> %r' % (word, parts))
                out.append(parts[0][0].decode('utf-8', 'strict'))
            sys.stdout.buffer.write(json.dumps(out, ensure_ascii=False).encode('utf-8'))
            """
        let result = try Subprocess.run(PackagePaths.python, ["-c", code, path])
        guard result.status == 0 else {
            Issue.record("python refused the words: \(result)")
            return nil
        }
        return try JSONDecoder().decode([String].self, from: Data(result.stdout.utf8))
    }

    /// Every (display name, address) of a folded `To:` header, read by Python's address parser,
    /// plus the parser's defects.
    static func pythonReadAddresses(_ header: String) throws -> (mailboxes: [[String]], defects: [String]) {
        let folder = TemporaryDirectory("herald-to")
        let path = folder.file("header.txt")
        try Data(header.utf8).write(to: URL(fileURLWithPath: path))
        let code = """
            import email.parser, email.policy, json, sys
            msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(open(sys.argv[1], 'rb').read() + b'\\r\\n')
            to = msg['To']
            out = {'mailboxes': [[a.display_name, a.addr_spec] for a in to.addresses],
                   'defects': [str(d) for d in to.defects] + [str(d) for d in msg.defects]}
            sys.stdout.buffer.write(json.dumps(out, ensure_ascii=False).encode('utf-8'))
            """
        let result = try Subprocess.run(PackagePaths.python, ["-c", code, path])
        guard result.status == 0 else {
            Issue.record("python failed: \(result)")
            return ([], [])
        }
        struct Output: Decodable { var mailboxes: [[String]]; var defects: [String] }
        let output = try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8))
        return (output.mailboxes, output.defects)
    }

    static func headerLines(_ folded: String) -> [String] {
        var lines = folded.components(separatedBy: "\r\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    // MARK: encodedWords

    /// Whichever of Q and B is shorter wins (worked out by hand: Q costs 1 per safe byte and 3 per
    /// other byte, B costs 4 per 3 bytes).
    @Test(arguments: [
        // Q 19 characters, B 20.
        ("Hubert Védrine", ["=?utf-8?q?Hubert_V=C3=A9drine?="]),
        // Q 14, B 16.
        ("Ministère", ["=?utf-8?q?Minist=C3=A8re?="]),
        // Q 44, B 52; specials that end a phrase are never left bare (RFC 2047 §5 rule 3).
        ("Re: Deputy Prime Minister (Luxembourg)", ["=?utf-8?q?Re=3A_Deputy_Prime_Minister_=28Luxembourg=29?="]),
        // Q 25, B 28: '_', '=' and '?' are escaped, the space becomes '_'.
        ("x_1=2?3 abcdefghijk", ["=?utf-8?q?x=5F1=3D2=3F3_abcdefghijk?="]),
        // Q 10, B 12.
        ("tab\there", ["=?utf-8?q?tab=09here?="]),
    ])
    func encodesQExactlyWhenItIsShorter(text: String, expected: [String]) {
        #expect(HeaderEncoder.encodedWords(text) == expected)
    }

    @Test(arguments: [
        "EU–中国",  // Q 29, B 16
        "Grüße",  // Q 15, B 12
        "Ελληνική Δημοκρατία",  // Q 109, B 52
        "中华人民共和国外交部",  // Q 90, B 40
        "\"(x),.:;<>@[\\]",  // Q 37, B 20
        "\r\n\t",  // Q 9, B 4
    ])
    func usesBWhenItIsShorterAndPythonDecodesIt(text: String) throws {
        let words = HeaderEncoder.encodedWords(text)
        #expect(words.count == 1, "\(words)")
        #expect(words.allSatisfy { $0.hasPrefix("=?utf-8?b?") && $0.hasSuffix("?=") }, "\(words)")
        let decoded = try #require(try Self.pythonDecodeEachWord(words))
        #expect(decoded.joined() == text)
    }

    @Test func emptyTextIsOneEmptyWord() {
        let words = HeaderEncoder.encodedWords("")
        #expect(words == ["=?utf-8?q??="] || words == ["=?utf-8?b??="])
    }

    @Test(arguments: [("Subject", 69), ("To", 74), ("X-Sixteen-Chars!", 60), ("Reply-To", 68)])
    func firstLineRoomIsWhatFollowsNameColonSpace(name: String, room: Int) {
        #expect(HeaderEncoder.firstLineRoom(for: name) == room)
    }

    static let longTexts: [String] = [
        String(repeating: "é", count: 200),
        String(repeating: "中华人民共和国", count: 12),
        String(repeating: "🇪🇺🙂", count: 30),
        String(repeating: "a", count: 47) + "é" + String(repeating: "b", count: 47) + "€" + String(repeating: "c", count: 45) + "😀",
        "Offener Brief – Menschenrechtsdialog EU–China, 8. Februar 1999: Übersetzung, Ελληνικά, Ďurišová-Kráľová, Schüssel, Védrine",
        String(repeating: "= ? _ ", count: 40),
        String(repeating: "Deputy Prime Minister, ", count: 8),
    ]

    @Test(arguments: longTexts, [75, 69, 40, 24])
    func wordsStayWithinLimitsAndPythonDecodesEachOneWhole(text: String, firstLimit: Int) throws {
        let words = HeaderEncoder.encodedWords(text, firstLimit: firstLimit)
        #expect(words.count > 1, "this text is long enough to need several words")
        #expect(words[0].utf8.count <= firstLimit, "first word \(words[0].utf8.count): \(words[0])")
        let qAlphabet = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/=_".utf8)
        let bAlphabet = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=".utf8)
        for word in words {
            #expect(word.utf8.count <= 75, "\(word.utf8.count): \(word)")
            let inner = word.utf8.dropFirst(10).dropLast(2)
            if word.hasPrefix("=?utf-8?q?") {
                #expect(inner.allSatisfy { qAlphabet.contains($0) }, "\(word)")
            } else {
                #expect(word.hasPrefix("=?utf-8?b?"), "\(word)")
                #expect(inner.allSatisfy { bAlphabet.contains($0) } && inner.count % 4 == 0, "\(word)")
            }
            #expect(word.hasSuffix("?="))
        }
        let decoded = try #require(try Self.pythonDecodeEachWord(words))
        #expect(decoded.joined() == text)
    }

    /// A single grapheme cluster can be longer than any encoded-word: "e" with 30 combining acute
    /// accents is one `Character` of 61 UTF-8 bytes (84 characters in B, 183 in Q). Splitting between
    /// its scalars would be safe (RFC 2047 §5 only forbids splitting a multi-octet character), but the
    /// encoder only splits between Swift `Character`s.
    @Test(arguments: [
        "e" + String(repeating: "\u{301}", count: 30),
        "Zalgo: " + String(repeating: "a" + String(repeating: "\u{336}\u{301}", count: 12), count: 3),
    ])
    func hugeGraphemeClustersStillGiveShortWords(text: String) throws {
        let words = HeaderEncoder.encodedWords(text)
        for word in words {
            #expect(word.utf8.count <= 75, "\(word.utf8.count): \(word)")
        }
        let decoded = try #require(try Self.pythonDecodeEachWord(words))
        #expect(decoded.joined() == text)
    }

    // MARK: unstructuredAtoms

    @Test(arguments: [
        ("Hello world", ["Hello", "world"]),
        ("Le Ministère des Affaires", ["Le", "=?utf-8?q?Minist=C3=A8re?=", "des", "Affaires"]),
        ("tab\there", ["=?utf-8?q?tab=09here?="]),
        ("100% \"quoted\" (parens) <angles> _x_ ?y?", ["100%", "\"quoted\"", "(parens)", "<angles>", "_x_", "?y?"]),
    ])
    func splitsUnstructuredValues(value: String, expected: [String]) {
        #expect(HeaderEncoder.unstructuredAtoms(value) == expected)
    }

    @Test func adjacentWordsThatNeedEncodingShareOneRun() throws {
        let atoms = HeaderEncoder.unstructuredAtoms("Ministère étrangère")
        #expect(atoms.count == 1, "\(atoms)")
        #expect(try Self.pythonDecodeEachWord(atoms)?.joined() == "Ministère étrangère")
    }

    @Test func wordThatLooksLikeAnEncodedWordIsEncoded() throws {
        let atoms = HeaderEncoder.unstructuredAtoms("a =?utf-8?q?x?= b")
        try #require(atoms.count == 3, "\(atoms)")
        #expect(atoms[0] == "a" && atoms[2] == "b")
        #expect(atoms[1] != "=?utf-8?q?x?=")
        #expect(try Self.pythonDecodeEachWord([atoms[1]]) == ["=?utf-8?q?x?="])
    }

    @Test func unstructuredAtomsAreSevenBitWithoutLineBreaks() {
        let hostile = "Hi\r\nBcc: victim@x.example\r\n\r\nInjected body é"
        let joined = HeaderEncoder.unstructuredAtoms(hostile).joined(separator: " ")
        #expect(joined.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }, "\(joined.debugDescription)")
    }

    @Test func longASCIIWordIsEncodedSoItCanBeFolded() {
        let url = "https://www.amnesty.example/en/documents/asa17/001/1999/en/open-letter-to-the-governments-of-the-eu"
        let atoms = HeaderEncoder.unstructuredAtoms("See \(url)")
        #expect(atoms.first == "See")
        #expect(atoms.count > 2)
        #expect(atoms.dropFirst().allSatisfy { $0.hasPrefix("=?utf-8?") && $0.utf8.count <= 75 })
    }

    @Test func firstLimitAppliesOnlyToAnEncodedRunThatComesFirst() {
        let long = String(repeating: "é", count: 60)
        let first = HeaderEncoder.unstructuredAtoms(long, firstLimit: 30)
        #expect(first[0].utf8.count <= 30)
        #expect(first.dropFirst().allSatisfy { $0.utf8.count <= 75 })
        let later = HeaderEncoder.unstructuredAtoms("Re: " + long, firstLimit: 30)
        #expect(later[0] == "Re:")
        #expect(later[1].utf8.count > 30, "a run after a plain word may use a whole line")
    }

    // MARK: phraseAtoms and mailboxListAtoms

    @Test(arguments: [
        ("Joschka Fischer", ["Joschka", "Fischer"]),
        ("Jozias  van   Aartsen", ["Jozias", "van", "Aartsen"]),
        ("Jacques Poos, Deputy Prime Minister", ["\"Jacques Poos, Deputy Prime Minister\""]),
        ("Dr. A. N. Other", ["\"Dr. A. N. Other\""]),
        ("O'Brien \"The Boss\" \\ Jr.", ["\"O'Brien \\\"The Boss\\\" \\\\ Jr.\""]),
        ("Ministère des Affaires", ["=?utf-8?q?Minist=C3=A8re?=", "des", "Affaires"]),
    ])
    func phraseAtomsForDisplayNames(name: String, expected: [String]) {
        #expect(HeaderEncoder.phraseAtoms(name) == expected)
    }

    @Test func nonASCIINameWithCommaEncodesTheComma() throws {
        let atoms = HeaderEncoder.phraseAtoms("Védrine, Hubert")
        try #require(atoms.count == 2, "\(atoms)")
        #expect(atoms[1] == "Hubert")
        #expect(!atoms[0].contains(","))
        #expect(try Self.pythonDecodeEachWord([atoms[0]]) == ["Védrine,"])
    }

    @Test func phraseAtomsCarryNoLineBreaks() {
        let joined = HeaderEncoder.phraseAtoms("Ann\r\nBcc: victim@x.example").joined(separator: " ")
        #expect(joined.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }, "\(joined.debugDescription)")
    }

    @Test func mailboxListAtomsSeparateMailboxesWithCommas() {
        let atoms = HeaderEncoder.mailboxListAtoms([
            Mailbox(displayName: "Anna Lindh", address: Self.address("minister@ud.sweden.example")),
            Mailbox(displayName: nil, address: Self.address("cc@x.example")),
            Mailbox(displayName: "", address: Self.address("empty@x.example")),
            Mailbox(displayName: "Poos, Jacques", address: Self.address("ministre@mae.luxembourg.example")),
        ])
        #expect(
            atoms == [
                "Anna", "Lindh", "<minister@ud.sweden.example>,", "cc@x.example,", "empty@x.example,",
                "\"Poos, Jacques\"", "<ministre@mae.luxembourg.example>",
            ])
    }

    // MARK: fold

    @Test func shortHeaderIsOneLine() {
        #expect(HeaderEncoder.fold(name: "Subject", atoms: ["Hi", "there"]) == "Subject: Hi there\r\n")
    }

    @Test(arguments: [0, 1, 5, 13, 40, 200])
    func foldingKeepsLinesShortAndUnfoldsToTheSameText(count: Int) {
        let atoms = (0..<count).map { index in String(repeating: "w", count: 1 + (index * 7) % 23) }
        let folded = HeaderEncoder.fold(name: "X-Long-Header", atoms: atoms)
        #expect(folded.hasSuffix("\r\n"))
        let lines = Self.headerLines(folded)
        #expect(lines.first?.hasPrefix("X-Long-Header:") == true)
        for line in lines {
            #expect(line.utf8.count <= 78, "\(line.utf8.count): \(line)")
            #expect(!line.allSatisfy { $0 == " " }, "whitespace-only line")
        }
        for line in lines.dropFirst() {
            #expect(line.hasPrefix(" ") && !line.hasPrefix("  "), "continuation starts with exactly one space: \(line)")
        }
        // Unfolding (RFC 5322 §2.2.3: remove CRLF before WSP) gives the header on one line.
        let unfolded = String(decoding: Array(folded.utf8).dropLast(2), as: UTF8.self).replacingOccurrences(of: "\r\n", with: "")
        let expected = (["X-Long-Header:"] + atoms).joined(separator: " ")
        #expect(unfolded == expected)
    }

    @Test func anAtomLongerThanALineStaysWholeOnItsOwnLine() {
        let long = String(repeating: "x", count: 100)
        let folded = HeaderEncoder.fold(name: "Subject", atoms: ["short", long, "tail"])
        #expect(folded == "Subject: short\r\n \(long)\r\n tail\r\n")
        // The first atom is never pushed off the header name's line.
        #expect(HeaderEncoder.fold(name: "Subject", atoms: [long]) == "Subject: \(long)\r\n")
    }

    /// Sized with `firstLineRoom`, an encoded run that starts the value still fits on the header's first line.
    @Test(arguments: ["Subject", "To", "X-Sixteen-Chars!", "X-Campaign-Description"])
    func firstEncodedWordFitsOnTheFirstLine(name: String) {
        let atoms = HeaderEncoder.unstructuredAtoms(
            String(repeating: "人权 é ", count: 30),
            firstLimit: HeaderEncoder.firstLineRoom(for: name))
        let lines = Self.headerLines(HeaderEncoder.fold(name: name, atoms: atoms))
        #expect(lines.count > 1)
        #expect(lines[0].hasPrefix("\(name): =?utf-8?"))
        #expect(lines.allSatisfy { $0.utf8.count <= 78 }, "\(lines)")
    }

    // MARK: Python reads back what Herald wrote

    static let subjects: [String] = [
        "Hello",
        "Hubert Védrine",
        "Open letter before the EU–China human rights dialogue, 8 February 1999",
        String(repeating: "é", count: 200),
        {
            let base =
                "Offener Brief – Menschenrechtsdialog EU–China am 8. Februar 1999; Ελληνική Δημοκρατία; 中华人民共和国外交部; "
                + "Ďurišová-Kráľová, Schüssel, Védrine, Pangalos, Poos; «Lettre ouverte» – Übersetzung folgt. Mit freundlichen Grüßen"
            return String(base.prefix(200))
        }(),
        "Re: =?utf-8?q?not_an_encoded_word?= really",
        "Two  spaces and Védrine  Schüssel",
        "tab\there",
        "100% = \"quoted\" (parens) <angles> [brackets] _underscore_ ?question?",
        "See https://www.amnesty.example/en/documents/asa17/001/1999/en/open-letter-to-the-governments-of-the-eu please",
        "🇪🇺 🇨🇳 human rights 人权 dialogue",
    ]

    @Test(arguments: subjects)
    func pythonDecodesTheSubjectBackExactly(subject: String) throws {
        let (header, bytes) = Self.subjectMessage(subject)
        for line in Self.headerLines(header) {
            #expect(line.utf8.count <= 78, "\(line.utf8.count): \(line)")
        }
        let report = try EmailOracle.check(bytes: bytes)
        #expect(report.ok, "\(report.problems)\n\(header)")
        #expect(report.subject == subject, "\n\(header)")
    }

    static let displayNames: [String] = [
        "Hubert Védrine",
        "Wolfgang Schüssel",
        "Jacques Poos, Deputy Prime Minister",
        "O'Brien \"The Boss\" \\ Jr.",
        "back\\slash",
        "Joschka Fischer",
        "Dr. A. N. Other",
        "Tarja Halonen (Finland)",
        "Ελληνική Δημοκρατία",
        "Ministère des Affaires étrangères",
        "EU–China Dialogue",
        "Védrine, Hubert",
        "Mr. Védrine <the minister>",
        "中华人民共和国外交部",
        "Žofia Ďurišová-Kráľová, Ministerka zahraničných vecí a európskych záležitostí",
    ]

    @Test(arguments: displayNames)
    func pythonDecodesTheDisplayNameBackExactly(name: String) throws {
        let address = Self.address("ministre@diplomatie.france.example")
        let (header, bytes) = Self.toMessage([Mailbox(displayName: name, address: address)])
        let report = try EmailOracle.check(bytes: bytes)
        #expect(report.ok, "\(report.problems)\n\(header)")
        #expect(report.to_display_name == name, "\n\(header)")
        #expect(report.to_address == address.description)
    }

    /// Herald quotes an ASCII name that contains "=?", but Python (like many mail readers) decodes
    /// encoded-words even inside quoted strings, so the reader sees a different name; `unstructuredAtoms`
    /// already encodes such words for this reason.
    @Test(arguments: ["=?utf-8?q?Admin?=", "Support =?utf-8?q?Team?= desk"])
    func displayNameThatLooksLikeAnEncodedWordStaysLiteral(name: String) throws {
        let address = Self.address("a@b.example")
        let (header, bytes) = Self.toMessage([Mailbox(displayName: name, address: address)])
        let report = try EmailOracle.check(bytes: bytes)
        #expect(report.ok, "\(report.problems)\n\(header)")
        #expect(report.to_display_name == name, "\n\(header)")
    }

    /// A run of non-ASCII words too long for one encoded-word is cut wherever the room runs out,
    /// often inside a word. Python's address parser keeps the folding space between two encoded-words
    /// of a display name (RFC 2047 §6.2 says to drop it), so the reader sees a word broken in two:
    /// "Ελληνική Δημοκρατία Υπο υργείο Εξωτερικών". Cutting runs at spaces would keep every word whole
    /// for both kinds of decoder (at worst a doubled space), hence the whitespace-insensitive comparison.
    @Test(arguments: [
        "Ελληνική Δημοκρατία Υπουργείο Εξωτερικών",
        "Υπουργείο Εξωτερικών της Ελληνικής Δημοκρατίας, Αθήνα",
        "Министерство иностранных дел Российской Федерации",
    ])
    func longNonASCIIDisplayNameKeepsItsWordsWhole(name: String) throws {
        let address = Self.address("a@b.example")
        let (header, bytes) = Self.toMessage([Mailbox(displayName: name, address: address)])
        let report = try EmailOracle.check(bytes: bytes)
        #expect(report.ok, "\(report.problems)\n\(header)")
        let words = report.to_display_name.split(whereSeparator: \.isWhitespace)
        #expect(words == name.split(whereSeparator: \.isWhitespace), "\n\(header)")
    }

    @Test func pythonReadsEveryMailboxOfAFoldedList() throws {
        let mailboxes = [
            Mailbox(displayName: "Wolfgang Schüssel", address: Self.address("minister@bmaa.austria.example")),
            Mailbox(displayName: "Jacques Poos, Deputy Prime Minister", address: Self.address("ministre@mae.luxembourg.example")),
            Mailbox(displayName: nil, address: Self.address("minister@um.denmark.example")),
            Mailbox(displayName: "Hubert Védrine", address: Self.address("ministre@diplomatie.france.example")),
            Mailbox(displayName: "O'Brien \"The Boss\" \\ Jr.", address: Self.address("ob@x.example")),
            Mailbox(displayName: "Ελληνική Δημοκρατία", address: Self.address("minister@mfa.greece.example")),
        ]
        let (header, bytes) = Self.toMessage(mailboxes)
        #expect(Self.headerLines(header).count > 1, "this list is long enough to fold")
        #expect(Self.headerLines(header).allSatisfy { $0.utf8.count <= 78 }, "\(header)")
        let report = try EmailOracle.check(bytes: bytes)
        #expect(report.ok, "\(report.problems)")
        let read = try Self.pythonReadAddresses(header)
        #expect(read.defects.isEmpty, "\(read.defects)")
        #expect(read.mailboxes.map { $0[0] } == mailboxes.map { $0.displayName ?? "" })
        #expect(read.mailboxes.map { $0[1] } == mailboxes.map(\.address.description))
    }

    /// What the template author writes, parsed and encoded, reaches Python unchanged.
    @Test func parsedListRoundTripsThroughTheEncoder() throws {
        let written = #""Poos, Jacques" <ministre@mae.luxembourg.example>, Hubert Védrine <ministre@diplomatie.france.example>, "say \"hi\"" <q@x.example>"#
        let mailboxes = try Mailbox.parseList(written)
        let (header, _) = Self.toMessage(mailboxes)
        let read = try Self.pythonReadAddresses(header)
        #expect(read.defects.isEmpty, "\(read.defects)")
        #expect(
            read.mailboxes == [
                ["Poos, Jacques", "ministre@mae.luxembourg.example"],
                ["Hubert Védrine", "ministre@diplomatie.france.example"],
                ["say \"hi\"", "q@x.example"],
            ])
    }
}
