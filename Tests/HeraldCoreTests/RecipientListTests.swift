import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

@Suite struct RecipientListTests {
    static func parse(_ text: String, file: String = "people.csv") throws(ValidationFailure) -> RecipientList {
        try RecipientList.parse(text, file: file)
    }

    /// The diagnostics of a list that must be refused.
    static func diagnostics(_ text: String, file: String = "people.csv") -> [Diagnostic] {
        do {
            let list = try RecipientList.parse(text, file: file)
            Issue.record("accepted: \(list)")
            return []
        } catch {
            return error.diagnostics
        }
    }

    // MARK: Reading

    @Test(arguments: ["\n", "\r\n"])
    func readsColumnsAndRows(lineEnd: String) throws {
        let text =
            [
                "email,name,country", "minister@bmaa.austria.example,Wolfgang Schüssel,Austria",
                "ministre@diplomatie.france.example,Hubert Védrine,France",
            ].joined(separator: lineEnd) + lineEnd
        let list = try Self.parse(text)
        #expect(list.file == "people.csv")
        #expect(list.columns == ["email", "name", "country"])
        #expect(list.recipients.count == 2)
        #expect(list.recipients.map(\.line) == [2, 3])
        #expect(list.recipients.map(\.file) == ["people.csv", "people.csv"])
        #expect(list.recipients[0].fields == ["email": "minister@bmaa.austria.example", "name": "Wolfgang Schüssel", "country": "Austria"])
        #expect(list.recipients[1].address.description == "ministre@diplomatie.france.example")
        #expect(list.recipients[1].fields["name"] == "Hubert Védrine")
    }

    @Test func lastLineWithoutLineBreakIsRead() throws {
        let list = try Self.parse("email\na@x.example\nb@x.example")
        #expect(list.recipients.map(\.address.description) == ["a@x.example", "b@x.example"])
    }

    @Test func headerOnlyMeansNoRecipients() throws {
        let list = try Self.parse("email,name\n")
        #expect(list.columns == ["email", "name"])
        #expect(list.recipients.isEmpty)
    }

    @Test func byteOrderMarkIsNotPartOfTheFirstColumn() throws {
        let list = try Self.parse("\u{FEFF}email,name\r\na@x.example,Ann\r\n")
        #expect(list.columns == ["email", "name"])
        #expect(list.recipients.first?.fields["email"] == "a@x.example")
        #expect(list.recipients.first?.line == 2)
    }

    @Test func headerNamesAreTrimmedButValuesAreNot() throws {
        let list = try Self.parse(" email , name \n  a@x.example ,  Ann  \n")
        #expect(list.columns == ["email", "name"])
        let recipient = try #require(list.recipients.first)
        #expect(recipient.fields["name"] == "  Ann  ")
        #expect(recipient.fields["email"] == "  a@x.example ")
        #expect(recipient.address.description == "a@x.example")
    }

    @Test func quotedFieldsKeepCommasAndDoubledQuotes() throws {
        let text =
            [
                #"email,name,title"#,
                #"ministre@mae.luxembourg.example,Jacques Poos,"Deputy Prime Minister, Minister for Foreign Affairs""#,
                #"ob@x.example,"O'Brien ""The Boss""","say ""hi"", then ""bye""""#,
                #"q@x.example,"","""""#,
            ].joined(separator: "\n") + "\n"
        let list = try Self.parse(text)
        #expect(list.recipients.map(\.line) == [2, 3, 4])
        #expect(list.recipients[0].fields["title"] == "Deputy Prime Minister, Minister for Foreign Affairs")
        #expect(list.recipients[1].fields["name"] == "O'Brien \"The Boss\"")
        #expect(list.recipients[1].fields["title"] == "say \"hi\", then \"bye\"")
        #expect(list.recipients[2].fields["name"] == "")
        #expect(list.recipients[2].fields["title"] == "\"")
    }

    @Test(arguments: ["\n", "\r\n"])
    func multiLineFieldsShiftTheLinesOfLaterRows(lineEnd: String) throws {
        let lines = [
            "email,note",  // 1
            "a@x.example,\"first",  // 2
            "second",  // 3
            "third\"",  // 4
            "b@x.example,plain",  // 5
            "c@x.example,\"",  // 6
            "\"",  // 7
            "d@x.example,end",  // 8
        ]
        let list = try Self.parse(lines.joined(separator: lineEnd) + lineEnd)
        #expect(list.recipients.map(\.line) == [2, 5, 6, 8])
        #expect(list.recipients[0].fields["note"] == ["first", "second", "third"].joined(separator: lineEnd))
        #expect(list.recipients[2].fields["note"] == lineEnd)
    }

    @Test func multiLineHeaderFieldShiftsRowsToo() throws {
        let list = try Self.parse("email,\"long\ncolumn\"\na@x.example,1\n")
        #expect(list.columns == ["email", "long\ncolumn"])
        #expect(list.recipients.first?.line == 3)
    }

    @Test func blankLinesAreSkippedAndStillCounted() throws {
        let list = try Self.parse("email,name\n\na@x.example,Ann\n\n\nb@x.example,Bob\n\n")
        #expect(list.recipients.map(\.fields["name"]) == ["Ann", "Bob"])
        #expect(list.recipients.map(\.line) == [3, 6])
    }

    @Test func tenThousandCharacterFieldSurvives() throws {
        let long = String((0..<10_000).map { index in Array("Menschenrechte, \"人权\"\n – é ")[index % 26] })
        #expect(long.count == 10_000)
        let quoted = "\"" + long.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        let list = try Self.parse("email,letter,after\na@x.example,\(quoted),tail\nb@x.example,short,x\n")
        #expect(list.recipients.count == 2)
        #expect(list.recipients[0].fields["letter"] == long)
        #expect(list.recipients[0].fields["after"] == "tail")
        let breaks = long.filter { $0 == "\n" }.count
        #expect(list.recipients[1].line == 3 + breaks)
    }

    @Test func recipientKeyIsTheNormalizedAddress() throws {
        let list = try Self.parse("email\nAnna.Lindh@UD.Sweden.example\n")
        #expect(list.recipients.first?.key == "anna.lindh@ud.sweden.example")
    }

    @Test func theRepositoryListParses() throws {
        let path = PackagePaths.path("Recipients/eu-member-states-1999.csv")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let list = try RecipientList.parse(text, file: path)
        #expect(list.recipients.count == 15)
        #expect(list.recipients.map(\.line) == Array(2...16))
        let luxembourg = try #require(list.recipients.first { $0.fields["country"] == "Luxembourg" })
        #expect(luxembourg.fields["title"] == "Deputy Prime Minister, Minister for Foreign Affairs")
    }

    // MARK: Problems

    @Test func wrongFieldCountIsReportedAtTheRowsLine() throws {
        let text = "email,name\na@x.example,Ann\nb@x.example,Poos, Jacques\nc@x.example\nd@x.example,Dee\n"
        let problems = Self.diagnostics(text)
        #expect(problems.map(\.line) == [3, 4])
        #expect(problems.allSatisfy { $0.kind == .badData && $0.file == "people.csv" })
        #expect(problems[0].message.contains("3 fields") && problems[0].message.contains("2"))
        #expect(problems[1].message.contains("1 fields"))
    }

    @Test func wrongFieldCountAfterAMultiLineFieldNamesItsOwnLine() throws {
        let text = "email,note\na@x.example,\"one\ntwo\"\nb@x.example,x,extra\n"
        let problems = Self.diagnostics(text)
        #expect(problems.map(\.line) == [4])
    }

    @Test(arguments: [
        ("email,name\na@x.example,\"Ann\nb@x.example,Bob\n", 2),
        ("email,name\na@x.example,Ann\nb@x.example,Bob\nc@x.example,\"never closed\n", 4),
        ("email,name\r\na@x.example,Ann\r\n\r\nb@x.example,\"Bob\r\n", 4),
        ("email,\"name\na@x.example,Ann\n", 1),
        ("email,note\na@x.example,\"closed\"\nb@x.example,\"multi\nline\"\nc@x.example,\"open\n", 5),
    ])
    func unterminatedQuoteIsReportedWhereItOpened(text: String, line: Int) throws {
        let problems = Self.diagnostics(text)
        try #require(problems.count == 1, "\(problems)")
        #expect(problems[0].line == line)
        #expect(problems[0].kind == .badData)
        #expect(problems[0].message.contains("never closed"))
    }

    /// The quote that opens the field is on line 2; the doubled quotes on line 3 are text inside it.
    @Test
    func unterminatedQuoteWithDoubledQuotesInsideIsReportedWhereItOpened() throws {
        let text = "email,note\na@x.example,\"line one\nhe said \"\"hi\"\" and\nnever closes\n"
        let problems = Self.diagnostics(text)
        try #require(problems.count == 1, "\(problems)")
        #expect(problems[0].line == 2)
    }

    /// Text after a closing quote (`"Ann"x`) is malformed CSV. The reader then treats the rest of
    /// the file as part of the field, so the next rows silently vanish into one recipient's value.
    @Test
    func textAfterAClosingQuoteIsRefusedNotSwallowed() throws {
        let text = "email,name\na@x.example,\"Ann\"x\nb@x.example,Bob\nc@x.example,Cy\n"
        do {
            let list = try Self.parse(text)
            Issue.record("accepted \(list.recipients.count) recipient(s): \(list.recipients.map(\.fields))")
        } catch {
            #expect(error.diagnostics.first?.line == 2, "\(error.diagnostics)")
        }
    }

    @Test func missingEmailColumnIsReportedOnTheHeader() throws {
        let problems = Self.diagnostics("name,e-mail\nAnn,a@x.example\n")
        try #require(problems.count == 1)
        #expect(problems[0].line == 1)
        #expect(problems[0].field == "email")
        #expect(problems[0].kind == .badData)
    }

    @Test func emailColumnNameIsCaseSensitive() throws {
        let problems = Self.diagnostics("Email\na@x.example\n")
        #expect(problems.map(\.field) == ["email"])
    }

    @Test func duplicateColumnIsReported() throws {
        let problems = Self.diagnostics("email,name,name\na@x.example,Ann,Bob\n")
        try #require(problems.count == 1, "\(problems)")
        #expect(problems[0].line == 1)
        #expect(problems[0].field == "name")
        #expect(problems[0].message.contains("twice"))
    }

    @Test func emptyColumnNameIsReported() throws {
        let problems = Self.diagnostics("email,,name\na@x.example,x,Ann\n")
        #expect(problems.map(\.line) == [1])
        #expect(problems.first?.message.contains("empty column name") == true)
    }

    @Test(arguments: ["", "\n", "\r\n\r\nemail\na@x.example\n"])
    func missingHeaderRowIsReported(text: String) throws {
        let problems = Self.diagnostics(text)
        try #require(problems.count == 1)
        #expect(problems[0].line == 1)
        #expect(problems[0].message.contains("header"))
    }

    @Test func invalidEmailsAreAllReportedWithTheirLines() throws {
        let text = "email,name\nnot-an-address,Ann\ngood@x.example,Bob\n\"a@x.example\nBcc: b@x.example\",Cy\n,Dee\nvédrine★@x.example,Hubert\n"
        let problems = Self.diagnostics(text, file: "lists/eu.csv")
        #expect(problems.map(\.line) == [2, 4, 6, 7])
        #expect(problems.allSatisfy { $0.field == "email" && $0.kind == .badData })
        #expect(problems[0].description == "lists/eu.csv:2: email: \"not-an-address\" has no '@domain' part")
        // Control characters are shown escaped, never printed raw into a terminal.
        #expect(problems[1].description.contains("a@x.example\\nBcc: b@x.example"))
        #expect(!problems[1].description.contains("\n"))
        #expect(problems[2].description.contains("is empty"))
        #expect(problems[3].description.contains("non-ASCII"))
    }

    @Test func everyKindOfRowProblemIsReportedTogether() throws {
        let text = "email,name\nbad,Ann\nb@x.example,Bob,extra\nc@x.example,Cy\n"
        let problems = Self.diagnostics(text)
        #expect(problems.map(\.line) == [2, 3])
        #expect(problems.map(\.field) == ["email", nil])
        #expect(ValidationFailure(problems).description.components(separatedBy: "\n").count == 2)
    }

    // MARK: Diagnostic and ValidationFailure

    @Test(arguments: [
        (Diagnostic(.badData, file: "a.csv", line: 3, field: "email", "is bad"), "a.csv:3: email: is bad"),
        (Diagnostic(.badData, file: "a.csv", line: 3, "has 3 fields"), "a.csv:3: has 3 fields"),
        (Diagnostic(.missingInput, file: "/x/list.csv", "cannot be read"), "/x/list.csv: cannot be read"),
        (Diagnostic(.badConfig, file: "c.toml", field: "smtp.url", "missing"), "c.toml: smtp.url: missing"),
    ])
    func diagnosticDescriptionIsCompilerStyle(diagnostic: Diagnostic, expected: String) {
        #expect(diagnostic.description == expected)
    }

    @Test func validationFailureKindIsTheMostSerious() {
        let data = Diagnostic(.badData, file: "a.csv", "x")
        let missing = Diagnostic(.missingInput, file: "b.csv", "y")
        let config = Diagnostic(.badConfig, file: "c.toml", "z")
        #expect(ValidationFailure([data]).kind == .badData)
        #expect(ValidationFailure([data, missing, data]).kind == .missingInput)
        #expect(ValidationFailure([missing, config, data]).kind == .badConfig)
        #expect(ValidationFailure([]).kind == .badData)
        #expect(ValidationFailure([data, config]).description == "a.csv: x\nc.toml: z")
    }
}
