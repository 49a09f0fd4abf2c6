import Foundation
import HeraldTestSupport
import Testing

/// `ApplicationParts` is the one place an adapter is made: no other file of the commands or
/// the daemon constructs the file journal, a lock, the suppression file, libcurl's transport,
/// probe or IMAP mailbox (they reach them through the parts' factories), so a command run
/// in-process over in-memory parts touches none of them.
@Suite struct CompositionRootTests {
    static let adapters = ["FileJournal", "CampaignLock", "CampaignFileLock", "SuppressionFile", "CurlTransport", "SMTPProbe", "CurlIMAPMailbox"]

    @Test func noFileOfHeraldCLIButApplicationPartsConstructsAnAdapter() throws {
        let root = PackagePaths.path("Sources/HeraldCLI")
        let files = try #require(FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") })
        #expect(files.contains("Application/ApplicationParts.swift"), "\(files)")
        // A constructor call: the type's name, not part of a longer name, then `(` (`Type(` or `Type.init(`).
        let pattern = try NSRegularExpression(pattern: "(?<![A-Za-z0-9_.])(\(Self.adapters.joined(separator: "|")))(\\.init)?\\(")
        var found: [String] = []
        for file in files where file != "Application/ApplicationParts.swift" {
            let text = try String(contentsOfFile: (root as NSString).appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                // Comments name the types freely.
                guard !line.drop(while: { $0 == " " }).hasPrefix("//") else { continue }
                let code = String(line)
                if pattern.firstMatch(in: code, range: NSRange(code.startIndex..., in: code)) != nil { found.append("\(file):\(number + 1): \(line)") }
            }
        }
        #expect(found.isEmpty, "adapters constructed outside ApplicationParts:\n\(found.joined(separator: "\n"))")
        let parts = try String(contentsOfFile: (root as NSString).appendingPathComponent("Application/ApplicationParts.swift"), encoding: .utf8)
        for adapter in Self.adapters where !["CampaignLock", "CampaignFileLock"].contains(adapter) {
            #expect(parts.contains("\(adapter)("), "ApplicationParts makes \(adapter)")
        }
    }
}
