import Foundation
import HeraldTestSupport
import Testing

/// Memory does not grow with the recipient list: the lists are streamed, never held.
@Suite(.tags(.integration)) struct MemoryIntegrationTests {
    /// The peak resident memory of `herald validate` on a campaign of `rows` rows, in KiB.
    static func peakKiB(rows: Int) throws -> Int {
        let folder = TemporaryDirectory("herald-memory")
        let csv = "email,name,city\n" + (1...rows).map { "reader.\($0)@many.example,Reader Number \($0),Brussels" }.joined(separator: "\n") + "\n"
        let campaign = folder.write(
            "campaign.toml",
            """
            name = "memory"
            template = "\(folder.write("letter.mustache", "From: Office <office@org.example>\nTo: {{name}} <{{email}}>\nSubject: For {{name}} in {{city}}\n\nDear {{name}},\nA letter to {{city}}.\n"))"
            recipients = ["\(folder.write("list.csv", csv))"]
            log = "delivery.jsonl"
            [smtp]
            url = "smtp://127.0.0.1:9"
            """)
        // GNU time's %M: the child's peak resident set, in KiB.
        let result = try Subprocess.run("/usr/bin/time", ["-f", "%M", PackagePaths.herald, "validate", campaign])
        #expect(result.status == 0, "\(result)")
        return Int(result.stderr.split(separator: "\n").last ?? "") ?? -1
    }

    @Test func validatingSixTimesTheRowsTakesNoMoreMemory() throws {
        let small = try Self.peakKiB(rows: 1_000)
        let large = try Self.peakKiB(rows: 6_000)
        #expect(small > 0 && large > 0)
        // Holding the rows cost about 2 KiB each before they were streamed: 10 MiB more here.
        #expect(large - small < 3 * 1024, "peak \(small) KiB at 1,000 rows, \(large) KiB at 6,000")
    }
}
