import Foundation
import Testing

@testable import HeraldCLI

/// The preview record, written letter by letter: whole, or cut short by a crash, it lists
/// every file the preview started.
@Suite struct PreviewMarkerTests {
    @Test func aRecordWrittenLetterByLetterReadsBack() throws {
        let folder = NSTemporaryDirectory() + "herald-marker-\(UUID().uuidString)"
        let target = try PreviewWriter.inspect(folder, campaign: "c\"q")
        let session = try PreviewWriter.Session(target, campaign: "c\"q")
        try session.add(.init(name: "1-a@x.example.eml", bytes: Array("a".utf8)))
        try session.add(.init(name: "2-b@x.example.eml", bytes: Array("b".utf8)))
        let torn = try #require(FileManager.default.contents(atPath: folder + "/" + PreviewWriter.markerName))
        // Cut short (no closing): still read, naming both files.
        #expect(PreviewWriter.Marker.read(torn) == .init(campaign: "c\"q", files: ["1-a@x.example.eml", "2-b@x.example.eml"]))
        try session.finish()
        let whole = try #require(FileManager.default.contents(atPath: folder + "/" + PreviewWriter.markerName))
        #expect(try JSONDecoder().decode(PreviewWriter.Marker.self, from: whole) == .init(campaign: "c\"q", files: ["1-a@x.example.eml", "2-b@x.example.eml"]))
        // The next preview of the campaign clears them.
        #expect(try PreviewWriter.inspect(folder, campaign: "c\"q").earlier == ["1-a@x.example.eml", "2-b@x.example.eml"])
        try? FileManager.default.removeItem(atPath: folder)
    }
}
