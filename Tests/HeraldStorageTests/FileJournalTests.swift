import Foundation
import HeraldCore
import HeraldStorage
import HeraldTestSupport
import Testing

/// The delivery log on disk: records go to the file the log's path names, or nowhere.
@Suite struct FileJournalTests {
    static func record(_ recipient: String, _ status: DeliveryStatus = .sent) -> DeliveryRecord {
        DeliveryRecord(time: "2026-11-29T00:00:00Z", campaign: "c", recipient: recipient, messageID: "<m@x>", status: status, attempt: 1)
    }

    /// The record as the journal writes it first in a new log: chained to the genesis value.
    static func firstInLog(_ recipient: String) -> DeliveryRecord {
        var record = record(recipient)
        record.prev = LogChain.genesis
        return record
    }

    @Test func linesAreNumberedAsInTheFile() throws {
        let folder = TemporaryDirectory("herald-journal")
        let log = folder.write("delivery.jsonl", Self.record("a@x.example").jsonLine() + "\n\n" + Self.record("b@x.example").jsonLine())
        let (records, warning) = try FileJournal(path: log).loadNumbered()
        #expect(records.map(\.line) == [1, 3])
        #expect(records.map(\.record.recipient) == ["a@x.example", "b@x.example"])
        #expect(warning == nil)
    }

    @Test func aLogMovedAwayWhileWrittenStopsTheNextAppend() throws {
        let folder = TemporaryDirectory("herald-journal")
        let log = folder.write("delivery.jsonl", "")
        let journal = FileJournal(path: log)
        _ = try journal.load()
        try journal.claim([Self.record("a@x.example")])
        try FileManager.default.moveItem(atPath: log, toPath: folder.file("delivery.jsonl.1"))
        #expect(throws: FileJournal.Failure.self) { try journal.claim([Self.record("b@x.example")]) }
        #expect(folder.read("delivery.jsonl.1") == Self.firstInLog("a@x.example").jsonLine() + "\n")
        #expect(folder.read("delivery.jsonl") == nil, "nothing is written anywhere else")
    }

    @Test func aLogReplacedWhileWrittenStopsTheNextAppend() throws {
        let folder = TemporaryDirectory("herald-journal")
        let log = folder.write("delivery.jsonl", "")
        let journal = FileJournal(path: log)
        _ = try journal.load()
        try journal.claim([Self.record("a@x.example")])
        // What `sed -i` or an editor does: a new file renamed over the old one.
        let copy = folder.write("copy.jsonl", folder.read("delivery.jsonl") ?? "")
        #expect(rename(copy, log) == 0)
        do {
            try journal.claim([Self.record("b@x.example")])
            Issue.record("an append went to a file no path names")
        } catch {
            #expect("\(error)".contains("delivery.jsonl: was moved or replaced while this run was using it"), "\(error)")
        }
        #expect(folder.read("delivery.jsonl") == Self.firstInLog("a@x.example").jsonLine() + "\n")
    }

    @Test func aLogReplacedBetweenReadingAndTheFirstAppendIsNotWritten() throws {
        let folder = TemporaryDirectory("herald-journal")
        let log = folder.write("delivery.jsonl", Self.record("a@x.example").jsonLine() + "\n")
        let journal = FileJournal(path: log)
        _ = try journal.load()
        let other = folder.write("other.jsonl", "")
        #expect(rename(other, log) == 0)
        #expect(throws: FileJournal.Failure.self) { try journal.claim([Self.record("b@x.example")]) }
        #expect(folder.read("delivery.jsonl") == "")
    }

    @Test func aSymlinkOrHardLinkToTheLogIsTheSameFile() throws {
        let folder = TemporaryDirectory("herald-journal")
        let log = folder.write("delivery.jsonl", "")
        try FileManager.default.createSymbolicLink(atPath: folder.file("link.jsonl"), withDestinationPath: log)
        try FileManager.default.linkItem(atPath: log, toPath: folder.file("hard.jsonl"))
        for path in [folder.file("link.jsonl"), folder.file("hard.jsonl")] {
            let journal = FileJournal(path: path)
            _ = try journal.load()
            try journal.claim([Self.record("a@x.example")])
            try journal.claim([Self.record("b@x.example")])
        }
        #expect(folder.read("delivery.jsonl")?.split(separator: "\n").count == 4)
    }
}
