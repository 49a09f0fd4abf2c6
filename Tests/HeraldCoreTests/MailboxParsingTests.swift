import Testing

@testable import HeraldCore

@Suite struct MailboxParsingTests {
    /// A parsed list reduced to comparable pairs: (display name or nil, address as written).
    static func pairs(_ text: String) throws -> [(String?, String)] {
        try Mailbox.parseList(text).map { ($0.displayName, $0.address.description) }
    }

    static func failure(_ text: String) -> Mailbox.ListProblem? {
        do {
            _ = try Mailbox.parseList(text)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Single mailboxes

    @Test(
        arguments: [
            ("ministre@diplomatie.france.example", nil, "ministre@diplomatie.france.example"),
            ("<ministre@diplomatie.france.example>", nil, "ministre@diplomatie.france.example"),
            ("Hubert Védrine <ministre@diplomatie.france.example>", "Hubert Védrine", "ministre@diplomatie.france.example"),
            ("Wolfgang Schüssel<minister@bmaa.austria.example>", "Wolfgang Schüssel", "minister@bmaa.austria.example"),
            (
                "\"Jacques Poos, Deputy Prime Minister\" <ministre@mae.luxembourg.example>",
                "Jacques Poos, Deputy Prime Minister", "ministre@mae.luxembourg.example"
            ),
            ("\"O'Brien \\\"The Boss\\\" \\\\ Jr.\" <ob@x.example>", "O'Brien \"The Boss\" \\ Jr.", "ob@x.example"),
            ("\"A <B> C\" <abc@x.example>", "A <B> C", "abc@x.example"),
            ("\"\" <anon@x.example>", nil, "anon@x.example"),
            ("  \t Anna Lindh   <minister@ud.sweden.example> \t ", "Anna Lindh", "minister@ud.sweden.example"),
            ("Ελληνική Δημοκρατία <minister@mfa.greece.example>", "Ελληνική Δημοκρατία", "minister@mfa.greece.example"),
            ("\"Ďurišová, Žofia\" <z@x.example>", "Ďurišová, Žofia", "z@x.example"),
            ("Dr. J. Smith <js@x.example>", "Dr. J. Smith", "js@x.example"),
        ] as [(String, String?, String)])
    func readsOneMailbox(text: String, name: String?, address: String) throws {
        let list = try Mailbox.parseList(text)
        try #require(list.count == 1, "\(list)")
        #expect(list[0].displayName == name)
        #expect(list[0].address.description == address)
    }

    // MARK: Lists

    @Test func readsAMixedList() throws {
        let text =
            #"Robin Cook <foreign.secretary@fco.united-kingdom.example>, "Poos, Jacques" <ministre@mae.luxembourg.example>,minister@um.denmark.example , <a@b.example>"#
        let list = try Self.pairs(text)
        #expect(list.map(\.0) == ["Robin Cook", "Poos, Jacques", nil, nil])
        #expect(
            list.map(\.1) == [
                "foreign.secretary@fco.united-kingdom.example", "ministre@mae.luxembourg.example",
                "minister@um.denmark.example", "a@b.example",
            ])
    }

    @Test func commasInsideQuotesAndAnglesDoNotSplit() throws {
        let list = try Self.pairs(#""a, b, c" <x@y.example>, "\", \"" <z@y.example>"#)
        #expect(list.count == 2)
        #expect(list.first?.0 == "a, b, c")
        #expect(list.last?.0 == "\", \"")
        #expect(list.last?.1 == "z@y.example")
    }

    @Test func emptyItemsBetweenCommasAreIgnored() throws {
        let list = try Self.pairs(", a@b.example,, ,c@d.example,")
        #expect(list.map(\.1) == ["a@b.example", "c@d.example"])
    }

    @Test func escapedBackslashBeforeClosingQuoteEndsTheName() throws {
        // "x\\" is the name `x\`; the quote after the escaped backslash closes it.
        let list = try Self.pairs(#""x\\" <a@b.example>, "y" <c@d.example>"#)
        #expect(list.map(\.0) == [#"x\"#, "y"])
    }

    // MARK: Problems

    @Test(arguments: ["", "   ", " , ,\t, "])
    func nothingButSeparatorsIsEmpty(text: String) {
        #expect(Self.failure(text) == .empty)
    }

    @Test(arguments: [
        "\"Ann <ann@x.example>",
        "Ann <ann@x.example",
        "Ann ann@x.example>",
        "Ann <<ann@x.example>>",
        "Ann <ann@x.example> trailing",
        "Jo \"The Boss\" Bloggs <jo@x.example>",
        "\"Ann\" <ann@x.example>, \"Bob <bob@x.example>",
    ])
    func unbalancedQuotesOrAnglesAreRefused(text: String) throws {
        let problem = try #require(Self.failure(text), "accepted \(text)")
        guard case .unbalanced = problem else {
            Issue.record("expected .unbalanced for \(text), got \(problem)")
            return
        }
        #expect(problem.description.contains("unbalanced"))
    }

    @Test func badAddressInsideAnglesNamesTheAddress() throws {
        let problem = try #require(Self.failure("Ann <not-an-address>"))
        #expect(problem == .badAddress("not-an-address", .missingAt))
        #expect(problem.description == "address \"not-an-address\" has no '@domain' part")
    }

    @Test func badAddressInAListIsFoundEvenAfterGoodOnes() throws {
        let problem = try #require(Self.failure("a@b.example, Bob <bob@localhost>"))
        guard case .badAddress(let text, let inner) = problem, case .invalidDomain = inner else {
            Issue.record("expected invalidDomain, got \(problem)")
            return
        }
        #expect(text == "bob@localhost")
    }

    @Test func bareNameAndAddressWithoutAnglesIsRefused() throws {
        // Without angle brackets the whole item must be an address; a name before it is not one.
        let problem = try #require(Self.failure("John a@b.example"))
        guard case .badAddress(let text, let inner) = problem, case .invalidLocalPart = inner else {
            Issue.record("expected invalidLocalPart, got \(problem)")
            return
        }
        #expect(text == "John a@b.example")
    }

    @Test func headerInjectionThroughTheAddressIsRefused() throws {
        let problem = try #require(Self.failure("<a@b.example\r\nBcc: victim@x.example>"))
        #expect(problem == .badAddress("a@b.example\r\nBcc: victim@x.example", .controlCharacter))
    }

    @Test func nonLetterNonASCIIAddressIsRefusedEvenWithAGoodName() throws {
        let problem = try #require(Self.failure("Hubert Védrine <védrine★@x.example>"))
        #expect(problem == .badAddress("védrine★@x.example", .nonASCII))
    }
}
