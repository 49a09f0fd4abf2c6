import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldStorage

/// Issue 18, hostile review: the campaign-name lock's folder (`RuntimeFolder`) and the lock on
/// the name (`CampaignFileLock`) that every run of the user meets, whatever the campaign's folder.
@Suite struct CampaignNameLockTests {
    @Test func twoCampaignFilesOfOneNameInTwoFoldersCannotBothBeLocked() throws {
        let run = TemporaryDirectory("herald-run")
        let one = TemporaryDirectory("herald-one"), two = TemporaryDirectory("herald-two")
        let environment = ["XDG_RUNTIME_DIR": run.path]
        let first = one.write("c.toml", "name = \"same\"\n"), second = two.write("c.toml", "name = \"same\"\n")
        do {
            let held = try CampaignFileLock(campaignFile: first, campaign: "same", environment: environment)
            #expect(throws: CampaignFileLock.Busy.self) { try CampaignFileLock(campaignFile: second, campaign: "same", environment: environment) }
            #expect(throws: Never.self) { try CampaignFileLock(campaignFile: second, campaign: "other", environment: environment) }
            withExtendedLifetime(held) {}
        }
        #expect(throws: Never.self) { try CampaignFileLock(campaignFile: second, campaign: "same", environment: environment) }
        var info = stat()
        #expect(lstat(run.file("herald"), &info) == 0 && info.st_mode & 0o777 == 0o700)
    }

    @Test func aRuntimeFolderThatIsASymlinkIsRefused() throws {
        let run = TemporaryDirectory("herald-run"), elsewhere = TemporaryDirectory("herald-elsewhere")
        #expect(symlink(elsewhere.path, run.file("herald")) == 0)
        #expect(throws: FileJournal.Failure.self) { try RuntimeFolder.path(environment: ["XDG_RUNTIME_DIR": run.path]) }
        let open = TemporaryDirectory("herald-run")
        #expect(mkdir(open.file("herald"), 0o755) == 0)
        #expect(chmod(open.file("herald"), 0o777) == 0)
        #expect(try RuntimeFolder.path(environment: ["XDG_RUNTIME_DIR": open.path]) == open.file("herald"))
        var info = stat()
        #expect(stat(open.file("herald"), &info) == 0 && info.st_mode & 0o777 == 0o700, "made private")
    }
}
