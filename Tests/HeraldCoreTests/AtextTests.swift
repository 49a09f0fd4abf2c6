import Testing

@testable import HeraldCore

/// RFC 5322 `atext`, kept once (`Atext.set`): what an address's local part may hold
/// and what a display-name word may hold unquoted are the same characters.
@Suite struct AtextTests {
    @Test func theSetIsRFC5322s() {
        let expected = Set(("abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "0123456789" + "!#$%&'*+-/=?^_`{|}~").utf8)
        #expect(Atext.set == expected)
        #expect(Atext.set.count == 81)
    }

    @Test func addressesAndDisplayNamesAgree() {
        for value in UInt8(0x21)...UInt8(0x7E) where value != UInt8(ascii: ".") && value != UInt8(ascii: "@") {
            let character = String(UnicodeScalar(value))
            let inAddress = (try? EmailAddress(parsing: "x\(character)y@x.example")) != nil
            let word = "x\(character)y"
            let unquotedInName = HeaderEncoder.phraseAtoms("Ann \(word)") == ["Ann", word]
            #expect(inAddress == Atext.set.contains(value), "\(character) in an address")
            #expect(unquotedInName == Atext.set.contains(value), "\(character) in a display name: \(HeaderEncoder.phraseAtoms("Ann \(word)"))")
        }
    }
}
