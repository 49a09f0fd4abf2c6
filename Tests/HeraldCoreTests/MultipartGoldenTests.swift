import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// One golden message per rich shape, byte for byte. Regenerate after a deliberate change with
/// HERALD_UPDATE_GOLDEN=1 and review the diff.
@Suite struct MultipartGoldenTests {
    @Test(arguments: [
        ("markdown.md", "rich-markdown.eml"),
        ("attached.mustache", "rich-attachment.eml"),
        ("attached-nonascii.mustache", "rich-attachment-non-ascii-names.eml"),
        ("both.txt", "rich-markdown-and-attachments.eml"),
    ])
    func goldenLetter(template: String, golden: String) throws {
        let message = try RichLetterFixtures.letter(template)
        let path = PackagePaths.path("Tests/HeraldCoreTests/Fixtures/\(golden)")
        if ProcessInfo.processInfo.environment["HERALD_UPDATE_GOLDEN"] == "1" {
            try Data(message.data).write(to: URL(fileURLWithPath: path))
        }
        let expected = try #require(FileManager.default.contents(atPath: path), "missing golden file \(path)")
        #expect(message.data == [UInt8](expected))
        let report = try EmailOracle.check([path])[0]
        #expect(report.ok, "\(report.problems)")
    }
}
