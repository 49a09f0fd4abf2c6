import Testing

@testable import HeraldCurl

/// How `check` reads the server's `SIZE` (RFC 1870): digits only, and the smallest when a
/// server announces it more than once (hostile review of issue 18: `SIZE -1` was read as a
/// limit of -1 bytes and "ok"; `SIZE 100000` then `SIZE 5000` was read as 100000).
@Suite struct SMTPProbeSizeTests {
    static func limit(_ capabilities: [String]) -> Int? {
        var report = SMTPProbe.Report()
        report.capabilities = capabilities
        return report.sizeLimit
    }

    @Test func aServerAnnouncingSizeTwiceIsHeldToTheSmaller() {
        #expect(Self.limit(["PIPELINING", "SIZE 100000", "SIZE 5000"]) == 5000)
        #expect(Self.limit(["SIZE 5000", "SIZE 100000"]) == 5000)
        #expect(Self.limit(["size 7000", "SIZE 0"]) == 7000, "SIZE 0 (no limit) does not lift another announced limit")
    }

    @Test func aValueThatIsNotDigitsIsNoLimitNeverANegativeOne() {
        #expect(Self.limit(["SIZE -1"]) == 0)
        #expect(Self.limit(["SIZE 5000x"]) == 0)
        #expect(Self.limit(["SIZE +5000"]) == 0)
        #expect(Self.limit(["SIZE 99999999999999999999999"]) == 0)
        #expect(Self.limit(["SIZE"]) == 0)
        #expect(Self.limit(["8BITMIME"]) == nil)
        #expect(Self.limit(["SIZE 05000"]) == 5000)
    }
}
