import Testing

@testable import HeraldCore

@Suite struct EmailAddressTests {
    /// The case of a problem without its detail text, so tables can name the expected one.
    enum ProblemKind: String, Sendable {
        case empty, controlCharacter, nonASCII, missingAt, multipleAt, invalidLocalPart, invalidDomain, tooLong
    }

    static func kind(of problem: EmailAddress.Problem) -> ProblemKind {
        switch problem {
        case .empty: return .empty
        case .controlCharacter: return .controlCharacter
        case .nonASCII: return .nonASCII
        case .missingAt: return .missingAt
        case .multipleAt: return .multipleAt
        case .invalidLocalPart: return .invalidLocalPart
        case .invalidDomain: return .invalidDomain
        case .tooLong: return .tooLong
        }
    }

    /// Parses `text`, returning the problem (or nil when it is accepted).
    static func problem(_ text: String) -> EmailAddress.Problem? {
        do {
            _ = try EmailAddress(parsing: text)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Accepted

    @Test(arguments: [
        ("minister@bmaa.austria.example", "minister", "bmaa.austria.example"),
        ("foreign.secretary@fco.united-kingdom.example", "foreign.secretary", "fco.united-kingdom.example"),
        ("o'brien@x.example", "o'brien", "x.example"),
        ("user+tag@x.example", "user+tag", "x.example"),
        ("!#$%&'*+-/=?^_`{|}~@x.example", "!#$%&'*+-/=?^_`{|}~", "x.example"),
        ("a@b.c", "a", "b.c"),
        ("x@1.2.3.4", "x", "1.2.3.4"),
        ("x@a-b.c-d.example", "x", "a-b.c-d.example"),
        ("Minister@Diplomatie.France.EXAMPLE", "Minister", "Diplomatie.France.EXAMPLE"),
    ])
    func acceptsDotAtomAddresses(text: String, local: String, domain: String) throws {
        let address = try EmailAddress(parsing: text)
        #expect(address.localPart == local)
        #expect(address.domain == domain)
        #expect(address.description == text)
    }

    @Test func acceptsTheLengthLimitsExactly() throws {
        let local64 = String(repeating: "l", count: 64)
        let label63 = String(repeating: "d", count: 63)
        let address = try EmailAddress(parsing: "\(local64)@\(label63).example")
        #expect(address.localPart.utf8.count == 64)
        // 63 + 1 + 190 = 254 characters in total: the longest path an SMTP server must accept.
        let domain190 = [String(repeating: "a", count: 63), String(repeating: "b", count: 63), String(repeating: "c", count: 62)]
            .joined(separator: ".")
        #expect(domain190.utf8.count == 190)
        let longest = "\(String(repeating: "l", count: 63))@\(domain190)"
        #expect(longest.utf8.count == 254)
        #expect(try EmailAddress(parsing: longest).description == longest)
    }

    // MARK: Refused

    @Test(arguments: [
        ("", ProblemKind.empty),
        ("a@b.example\r\nRCPT TO:<victim@x.example>", .controlCharacter),
        ("a@b.example\n", .controlCharacter),
        ("a\t@b.example", .controlCharacter),
        ("a\u{0}@b.example", .controlCharacter),
        ("a@b.exa\u{7F}mple", .controlCharacter),
        ("jo★sé@x.example", .nonASCII),
        ("a@b.example\u{2028}", .controlCharacter),
        ("a@b.example\u{85}", .controlCharacter),
        ("a@bü★cher.example", .invalidDomain),
        ("a\u{00A0}b@b.example", .nonASCII),
        ("ab.example", .missingAt),
        ("Jacques Poos", .missingAt),
        ("a@b@c.example", .multipleAt),
        ("@b.example", .invalidLocalPart),
        (".a@b.example", .invalidLocalPart),
        ("a.@b.example", .invalidLocalPart),
        ("a..b@b.example", .invalidLocalPart),
        ("a b@x.example", .invalidLocalPart),
        ("\"a\"@x.example", .invalidLocalPart),
        ("a(comment)@x.example", .invalidLocalPart),
        ("<a@x.example>", .invalidLocalPart),
        ("a,b@x.example", .invalidLocalPart),
        ("a@", .invalidDomain),
        ("a@localhost", .invalidDomain),
        ("a@b..example", .invalidDomain),
        ("a@.b.example", .invalidDomain),
        ("a@b.example.", .invalidDomain),
        ("a@-b.example", .invalidDomain),
        ("a@b-.example", .invalidDomain),
        ("a@b_c.example", .invalidDomain),
        ("a@[127.0.0.1]", .invalidDomain),
        ("a@b.example>", .invalidDomain),
        ("a@b example.org", .invalidDomain),
    ])
    func refusesWithTheRightProblem(text: String, expected: ProblemKind) throws {
        let problem = try #require(Self.problem(text), "\"\(text.debugDescription)\" was accepted")
        #expect(Self.kind(of: problem) == expected, "\(text.debugDescription): \(problem)")
    }

    @Test func refusesOverlongParts() throws {
        let local65 = String(repeating: "l", count: 65)
        let p1 = try #require(Self.problem("\(local65)@x.example"))
        #expect(Self.kind(of: p1) == .tooLong)
        #expect(p1.description.contains("65"))

        let label64 = String(repeating: "d", count: 64)
        let p2 = try #require(Self.problem("a@\(label64).example"))
        #expect(Self.kind(of: p2) == .tooLong)
        #expect(p2.description.contains("63"))

        // 256-character domain made of legal labels.
        let domain256 = [63, 63, 63, 62, 1].map { String(repeating: "d", count: $0) }.joined(separator: ".")
        #expect(domain256.utf8.count == 256)
        let p3 = try #require(Self.problem("a@\(domain256)"))
        #expect(Self.kind(of: p3) == .tooLong)

        // Each part within its own limit, but 255 characters in all.
        let domain190 = [String(repeating: "a", count: 63), String(repeating: "b", count: 63), String(repeating: "c", count: 62)]
            .joined(separator: ".")
        let text = "\(String(repeating: "l", count: 64))@\(domain190)"
        #expect(text.utf8.count == 255)
        let p4 = try #require(Self.problem(text))
        #expect(Self.kind(of: p4) == .tooLong)
        #expect(p4.description.contains("255"))
    }

    /// Every printable ASCII character, tried in the local part: only RFC 5322 `atext` (and the dot between atoms) may pass.
    @Test func localPartAllowsExactlyAtext() {
        let rfc5322Specials = Set("!#$%&'*+-/=?^_`{|}~")
        for value in UInt8(0x21)...UInt8(0x7E) {
            let character = Character(UnicodeScalar(value))
            let allowed = character.isLetter || character.isNumber || rfc5322Specials.contains(character) || character == "."
            let text = "x\(character)y@x.example"
            let accepted = Self.problem(text) == nil
            #expect(accepted == allowed, "\(text)")
        }
    }

    /// Every printable ASCII character, tried inside a domain label: only letters, digits and '-' may pass.
    @Test func domainLabelsAllowOnlyLettersDigitsAndHyphen() {
        for value in UInt8(0x21)...UInt8(0x7E) {
            let character = Character(UnicodeScalar(value))
            let allowed = character.isLetter || character.isNumber || character == "-"
            let text = "user@x\(character)y.example"
            let problem = Self.problem(text)
            if character == "." {
                #expect(problem == nil, "\(text)")  // "x.y.example" is just one more label
            } else if character == "@" {
                #expect(problem.map { Self.kind(of: $0) } == .multipleAt, "\(text)")
            } else {
                #expect((problem == nil) == allowed, "\(text): \(String(describing: problem))")
            }
        }
    }

    @Test func problemsExplainThemselves() throws {
        #expect(try #require(Self.problem("jo★sé@x.example")).description.contains("not a letter, mark or digit"))
        #expect(Self.problem("josé@x.example") == nil, "a UTF-8 local part is allowed; the server must offer SMTPUTF8")
        #expect(try EmailAddress(parsing: "josé@x.example").requiresSMTPUTF8)
        #expect(try !EmailAddress(parsing: "jose@bücher.example").requiresSMTPUTF8)
        #expect(try #require(Self.problem("a b@x.example")).description.contains("' '"))
        #expect(try #require(Self.problem("a@b_c.example")).description.contains("'_'"))
        #expect(try #require(Self.problem("a@localhost")).description.contains("localhost"))
        #expect(try #require(Self.problem("a@b.example\r\n")).description.contains("control"))
    }

    @Test func typedThrowIsTheProblem() {
        #expect(throws: EmailAddress.Problem.missingAt) { try EmailAddress(parsing: "nobody") }
        #expect(throws: EmailAddress.Problem.multipleAt) { try EmailAddress(parsing: "a@b@c.example") }
        #expect(throws: EmailAddress.Problem.empty) { try EmailAddress(parsing: "") }
    }

    // MARK: Normalization

    @Test(arguments: [
        ("Minister@Diplomatie.France.EXAMPLE", "minister@diplomatie.france.example"),
        ("minister@diplomatie.france.example", "minister@diplomatie.france.example"),
        ("Foreign.Secretary+EU@FCO.Example", "foreign.secretary+eu@fco.example"),
    ])
    func normalizedIsLowercased(text: String, expected: String) throws {
        let address = try EmailAddress(parsing: text)
        #expect(address.normalized == expected)
        #expect(address.description == text, "description keeps the spelling as written")
    }

    @Test func twoSpellingsOfOneAddressShareTheKey() throws {
        let a = try EmailAddress(parsing: "Anna.Lindh@UD.Sweden.example")
        let b = try EmailAddress(parsing: "anna.lindh@ud.sweden.EXAMPLE")
        let c = try EmailAddress(parsing: "anna.lindh2@ud.sweden.example")
        #expect(a.normalized == b.normalized)
        #expect(a.normalized != c.normalized)
    }
}
