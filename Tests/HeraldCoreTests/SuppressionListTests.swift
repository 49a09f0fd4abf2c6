import Foundation
import Testing

@testable import HeraldCore

/// The suppression file's text: entries among comments and other lines, removal keeping the rest.
@Suite struct SuppressionListTests {
    static let text =
        SuppressionList.header + "a@x.example\t2026-11-29T10:00:00Z\tc\t5.1.1\tsmtp; 550 unknown\n"
        + "# a comment an operator wrote\n" + "B@Y.example\t2026-11-29T11:00:00Z\tc\t5.2.1\tdisabled\n" + "not an entry\n"

    @Test func entriesAreTheLinesWithAnAddress() {
        let list = SuppressionList(text: Self.text)
        #expect(list.entries.map(\.address) == ["a@x.example", "b@y.example"])
        #expect(list.entries[0].diagnostic == "smtp; 550 unknown" && list.entries[1].dsnStatus == "5.2.1")
        #expect(list.contains("A@x.example") && !list.contains("c@x.example"))
    }

    @Test func removingKeepsEveryOtherLineAsItWas() throws {
        let list = SuppressionList(text: Self.text)
        let text = try #require(list.removing("b@y.example"))
        #expect(text == Self.text.replacingOccurrences(of: "B@Y.example\t2026-11-29T11:00:00Z\tc\t5.2.1\tdisabled\n", with: ""))
        #expect(list.removing("nobody@x.example") == nil)
    }

    @Test func anEntrysLineHasNoTabOrBreakInsideAField() {
        let entry = SuppressionList.Entry(address: "A@X.example", time: "t", campaign: "c", dsnStatus: "5.1.1", diagnostic: "line\tone\r\ntwo")
        #expect(entry.line == "a@x.example\tt\tc\t5.1.1\tline one two")
        #expect(
            SuppressionList(text: entry.line + "\n").entries == [
                SuppressionList.Entry(
                    address: "a@x.example", time: "t", campaign: "c",
                    dsnStatus: "5.1.1", diagnostic: "line one two")
            ])
    }
}
