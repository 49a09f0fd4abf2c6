import Foundation
import HeraldCore
import HeraldStorage
import HeraldTestSupport
import Testing

/// The one way Herald creates a folder (the log's, the lock's, a preview's): 0700.
@Suite struct PrivateFolderTests {
    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }

    @Test func createsEveryMissingFolderPrivate() throws {
        let folder = TemporaryDirectory("herald-folder")
        let deep = folder.file("a/b/c")
        try PrivateFolder.create(deep)
        #expect(Self.mode(folder.file("a")) == 0o700)
        #expect(Self.mode(folder.file("a/b")) == 0o700)
        #expect(Self.mode(deep) == 0o700)
        try PrivateFolder.create(deep + "/")  // again, and with a trailing slash: nothing to do
        try PrivateFolder.create(folder.file("a/./b/../b/c"))
        #expect(Self.mode(deep) == 0o700)
    }

    @Test func leavesExistingFoldersAsTheyAre() throws {
        let folder = TemporaryDirectory("herald-folder")
        try FileManager.default.createDirectory(
            atPath: folder.file("shared"), withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o755])
        try PrivateFolder.create(folder.file("shared/herald"))
        #expect(Self.mode(folder.file("shared")) == 0o755, "an existing parent keeps its mode")
        #expect(Self.mode(folder.file("shared/herald")) == 0o700)
    }

    @Test func aFileInTheWayIsAFailureNamingIt() throws {
        let folder = TemporaryDirectory("herald-folder")
        let file = folder.write("plain", "x")
        #expect(throws: PrivateFolder.Failure(path: file, code: ENOTDIR)) { try PrivateFolder.create(file) }
        #expect(throws: PrivateFolder.Failure(path: file + "/sub", code: ENOTDIR)) { try PrivateFolder.create(file + "/sub/deeper") }
        #expect(PrivateFolder.Failure(path: file, code: ENOTDIR).description == "\(file): Not a directory")
    }

    @Test func theLogsFolderIsCreatedPrivate() throws {
        let folder = TemporaryDirectory("herald-folder")
        let journal = FileJournal(path: folder.file("var/logs/delivery.jsonl"))
        try journal.record(FileJournalTests.record("a@x.example"))
        #expect(Self.mode(folder.file("var")) == 0o700)
        #expect(Self.mode(folder.file("var/logs")) == 0o700)
    }

    @Test func aLogWhoseFolderCannotBeMadeSaysWhy() throws {
        let folder = TemporaryDirectory("herald-folder")
        let file = folder.write("plain", "x")
        let journal = FileJournal(path: file + "/logs/delivery.jsonl")
        do {
            try journal.record(FileJournalTests.record("a@x.example"))
            Issue.record("appended below a file")
        } catch {
            #expect("\(error)".contains("cannot create its folder: \(file)/logs: Not a directory"), "\(error)")
        }
    }
}
