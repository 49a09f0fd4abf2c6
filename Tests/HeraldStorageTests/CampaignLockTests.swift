import Foundation
import HeraldStorage
import HeraldTestSupport
import Testing

/// The campaign lock belongs to the log file, not to the path it was reached by. Within one
/// process two `flock`s on two open descriptions of one file conflict just as two processes'
/// do, so these run in-process.
@Suite struct CampaignLockTests {
    func expectBusy(_ path: String, _ comment: Comment) {
        do {
            let second = try CampaignLock(logPath: path, campaign: "c")
            Issue.record("a second lock was granted through \(path): \(comment)")
            withExtendedLifetime(second) {}
        } catch let busy as CampaignLock.Busy {
            #expect(busy.description == "campaign c is being sent by pid \(getpid())", comment)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func everyPathToOneLogMeetsOneLock() throws {
        let folder = TemporaryDirectory("herald-lock")
        let log = folder.write("logs/delivery.jsonl", "")
        var lock: CampaignLock? = try CampaignLock(logPath: log, campaign: "c")
        #expect(folder.read("logs/delivery.jsonl.lock") == "\(getpid())\n")

        try FileManager.default.createSymbolicLink(atPath: folder.file("link.jsonl"), withDestinationPath: log)
        try FileManager.default.createSymbolicLink(atPath: folder.file("logs-link"), withDestinationPath: folder.file("logs"))
        try FileManager.default.linkItem(atPath: log, toPath: folder.file("hard.jsonl"))
        expectBusy(log, "the same path")
        expectBusy(folder.file("link.jsonl"), "a symlink to the log")
        expectBusy(folder.file("logs-link/delivery.jsonl"), "a symlink to its folder")
        expectBusy(folder.file("logs/../logs/./delivery.jsonl"), "dots in the path")
        expectBusy(folder.file("hard.jsonl"), "a hard link: its pid comes from the kernel's lock table")
        #expect(folder.read("link.jsonl.lock") == nil && folder.read("hard.jsonl.lock") == nil, "a refused lock writes no pid file")

        withExtendedLifetime(lock) {}
        lock = nil
        #expect(folder.read("logs/delivery.jsonl.lock") == "", "the pid is cleared on release")
        let again = try CampaignLock(logPath: folder.file("link.jsonl"), campaign: "c")
        #expect(folder.read("logs/delivery.jsonl.lock") == "\(getpid())\n", "the pid file is beside the resolved log")
        withExtendedLifetime(again) {}
    }

    @Test func aMissingLogIsCreatedPrivateToBeLocked() throws {
        let folder = TemporaryDirectory("herald-lock")
        let log = folder.file("logs/delivery.jsonl")
        let lock = try CampaignLock(logPath: log, campaign: "c")
        let mode = try FileManager.default.attributesOfItem(atPath: log)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let folderMode = try FileManager.default.attributesOfItem(atPath: folder.file("logs"))[.posixPermissions] as? Int
        #expect(folderMode == 0o700)
        withExtendedLifetime(lock) {}
    }

    @Test func closingAnotherDescriptorOfTheLogKeepsTheLock() throws {
        let folder = TemporaryDirectory("herald-lock")
        let log = folder.file("delivery.jsonl")
        let lock = try CampaignLock(logPath: log, campaign: "c")
        // The journal reads and appends through descriptors of its own, opened and closed.
        let journal = FileJournal(path: log)
        _ = try journal.load()
        let other = open(log, O_RDWR)
        close(other)
        expectBusy(log, "after other descriptors of the log were closed")
        withExtendedLifetime(lock) {}
    }

    @Test func aLogMovedAwayAndReplacedStaysLockedAtItsPath() throws {
        let folder = TemporaryDirectory("herald-lock")
        let log = folder.write("delivery.jsonl", "")
        let lock = try CampaignLock(logPath: log, campaign: "c")
        try FileManager.default.moveItem(atPath: log, toPath: folder.file("delivery.jsonl.1"))
        // A second sender now finds a new, empty file at the log's path.
        expectBusy(log, "the holder still owns the pid file at the log's path")
        withExtendedLifetime(lock) {}
    }
}

/// The campaign's lock remembers the delivery log it was last sent to, across locks.
@Suite struct CampaignFileLockMemoryTests {
    @Test func theLastLogIsRememberedBesideTheLockAndReplacedWhole() throws {
        let folder = TemporaryDirectory("herald-lastlog")
        let campaign = folder.write("c.toml", "name = \"c\"\n")
        // A runtime folder of the test's own, so the name lock meets no other test's "c".
        let environment = ["XDG_RUNTIME_DIR": folder.path]
        var lock: CampaignFileLock? = try CampaignFileLock(campaignFile: campaign, campaign: "c", environment: environment)
        #expect(lock?.rememberedLog() == nil, "nothing remembered yet")
        lock?.remember(log: "/srv/logs/one.jsonl")
        #expect(lock?.rememberedLog() == "/srv/logs/one.jsonl")
        lock = nil
        let again = try CampaignFileLock(campaignFile: campaign, campaign: "c", environment: environment)
        #expect(again.rememberedLog() == "/srv/logs/one.jsonl", "kept across runs")
        again.remember(log: "/srv/logs/two.jsonl")
        #expect(again.rememberedLog() == "/srv/logs/two.jsonl")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(names.filter { $0.hasSuffix(".lastlog") }.count == 1 && !names.contains { $0.hasSuffix(".tmp") }, "\(names)")
        #expect(names.contains { $0.hasPrefix(".herald-c-") && $0.hasSuffix(".lastlog") }, "\(names)")
    }
}
