import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

@testable import HeraldCLI

/// The daemon's services in this process on a mock clock (`InProcessDaemon`), against a real
/// SMTP server (aiosmtpd): firing on time, catch-up, skipping, reloads, approvals, the bounce
/// poller's interval and a graceful shutdown mid-firing. Time moves only when a test moves it.
@Suite struct DaemonServiceTests {
    /// 1999-02-01T00:00:00Z: a minute boundary, far from the wall clock.
    static let start = Date(timeIntervalSince1970: 917_827_200)

    static func daemon(
        _ folder: DaemonIntegrationTests.CampaignFolder, at now: Date = start,
        environment: [String: String] = [:]
    ) -> InProcessDaemon {
        InProcessDaemon(
            campaigns: folder.campaigns, clock: MockClock(now: now),
            runtime: Subprocess.runtimeFolder(arguments: [folder.root.path], directory: nil), environment: environment)
    }

    static func rfc3339(_ date: Date) -> String { RFC5322Date.rfc3339(date) }

    static func sent(_ folder: DaemonIntegrationTests.CampaignFolder, _ name: String) -> [[String: Any]] {
        folder.log(name).filter { $0["status"] as? String == "sent" }
    }

    @Test func aOneShotFiresAtItsInstantNotBeforeAndNeverAgain() async throws {
        let server = try SMTPTestServer()
        let folder = DaemonIntegrationTests.CampaignFolder()
        let due = Self.start.addingTimeInterval(30)
        folder.add("oneshot", schedule: Self.rfc3339(due), recipients: 3, server: server)
        let daemon = Self.daemon(folder)
        try await daemon.running { _ in
            #expect(await daemon.settle())
            #expect(await daemon.advance(by: 29))
            #expect(server.messages().isEmpty, "nothing before its instant")
            #expect(await daemon.advance(by: 1))
            #expect(server.messages().count == 3)
        }
        let sent = Self.sent(folder, "oneshot")
        #expect(sent.count == 3)
        #expect(sent.allSatisfy { $0["time"] as? String == Self.rfc3339(due) }, "stamped on the daemon's clock, at the due time: \(sent)")
        #expect(daemon.text.contains("scheduled campaign=oneshot next=\(Self.rfc3339(due))"), "\(daemon.text)")
        #expect(daemon.text.contains("firing campaign=oneshot due=\(Self.rfc3339(due))"), "\(daemon.text)")
        #expect(daemon.lines.last?.hasSuffix("info stopped") == true, "\(daemon.text)")

        let again = Self.daemon(folder, at: due.addingTimeInterval(60))
        try await again.running { _ in #expect(await again.settle()) }
        #expect(again.text.contains("one-shot campaign already completed; it is never sent again campaign=oneshot"), "\(again.text)")
        #expect(server.messages().count == 3, "a completed one-shot campaign is never sent again")
    }

    @Test func aMissedFiringIsCaughtUpOnlyWithinCatchUpSeconds() async throws {
        let server = try SMTPTestServer()
        let folder = DaemonIntegrationTests.CampaignFolder()
        let missed = Self.rfc3339(Self.start.addingTimeInterval(-30))
        folder.add("recent", schedule: missed, recipients: 2, server: server, extra: "catch_up_seconds = 60")
        folder.add("stale", schedule: missed, recipients: 3, server: server, extra: "catch_up_seconds = 10")
        let daemon = Self.daemon(folder)
        try await daemon.running { _ in #expect(await daemon.settle()) }
        #expect(server.messages().flatMap(\.recipients).sorted() == ["recent-1@daemon.example", "recent-2@daemon.example"])
        #expect(daemon.text.contains("catching up a missed firing campaign=recent due=\(missed)"), "\(daemon.text)")
        #expect(daemon.text.contains("skipped: the firing is older than catch_up_seconds campaign=stale"), "\(daemon.text)")
        #expect(Self.sent(folder, "recent").allSatisfy { $0["time"] as? String == Self.rfc3339(Self.start) }, "sent at once")
    }

    @Test func aRecurringCampaignSendsEachOccurrenceOnceAndAfterDowntimeCatchesUpOnlyTheLatest() async throws {
        let server = try SMTPTestServer()
        let folder = DaemonIntegrationTests.CampaignFolder()
        folder.add("minutely", schedule: "* * * * *", recipients: 2, server: server, extra: "catch_up_seconds = 20")
        // 00:00:30: no occurrence within the last 20 s; the first is 00:01.
        let daemon = Self.daemon(folder, at: Self.start.addingTimeInterval(30))
        try await daemon.running { _ in
            #expect(await daemon.settle())
            #expect(server.messages().isEmpty)
            #expect(await daemon.advance(by: 29))
            #expect(server.messages().isEmpty, "nothing before 00:01")
            #expect(await daemon.advance(by: 1))
            #expect(server.messages().count == 2)
            #expect(await daemon.advance(by: 60))
            #expect(server.messages().count == 4)
        }
        let minute = { (n: Double) in Self.rfc3339(Self.start.addingTimeInterval(60 * n)) }
        #expect(Set(Self.sent(folder, "minutely").compactMap { $0["occurrence"] as? String }) == [minute(1), minute(2)])
        #expect(daemon.text.contains("next firing at=\(minute(3)) campaign=minutely"), "\(daemon.text)")

        // Down from 00:02 to 00:10:05: 00:10 is within catch_up_seconds, 00:03 to 00:09 are not.
        let later = Self.daemon(folder, at: Self.start.addingTimeInterval(605))
        try await later.running { _ in #expect(await later.settle()) }
        #expect(later.text.contains("catching up a missed occurrence campaign=minutely occurrence=\(minute(10))"), "\(later.text)")
        #expect(
            later.text.contains("skipped occurrences older than catch_up_seconds campaign=minutely catch_up_seconds=20 count=7 first=\(minute(3))"),
            "\(later.text)")
        let sent = Self.sent(folder, "minutely")
        #expect(Set(sent.compactMap { $0["occurrence"] as? String }) == [minute(1), minute(2), minute(10)])
        #expect(sent.count == 6 && server.messages().count == 6)
        #expect(Dictionary(grouping: server.messages(), by: { $0.messageID ?? "?" }).values.allSatisfy { $0.count == 1 }, "each letter once")
    }

    @Test func theFolderIsReloadedWhenItChangesAndAtOnceOnARequest() async throws {
        let server = try SMTPTestServer()
        let folder = DaemonIntegrationTests.CampaignFolder()
        folder.root.write("campaigns/broken.toml", "name = \"broken\"\nthis is not toml\n")
        let daemon = Self.daemon(folder)
        let due = Self.rfc3339(Self.start.addingTimeInterval(30))
        try await daemon.running { _ in
            #expect(await daemon.settle())
            // A file added: seen at the next folder check, a second later on the clock.
            folder.add("added", schedule: due, recipients: 1, server: server)
            #expect(await daemon.advance(by: 1))
            #expect(daemon.text.contains("loaded campaigns files=2 reason=campaign folder changed scheduled=1"), "\(daemon.text)")
            // A reload request (what SIGHUP sends): at once, the clock standing still.
            folder.add("hup", schedule: due, recipients: 1, server: server)
            let before = daemon.clock.sleepsBegun
            daemon.services.reloads.request()
            #expect(await daemon.waitForLine(containing: "loaded campaigns files=3 reason=SIGHUP scheduled=2"), "\(daemon.text)")
            #expect(await daemon.waitUntil { daemon.clock.sleepsBegun >= before + 2 })
            #expect(await daemon.settle())
            #expect(server.messages().isEmpty)
            #expect(await daemon.advance(by: 29))
            #expect(server.messages().flatMap(\.recipients).sorted() == ["added-1@daemon.example", "hup-1@daemon.example"])
        }
        #expect(daemon.text.contains("campaign not scheduled: it does not validate file=\(folder.campaigns)/broken.toml"), "\(daemon.text)")
        // The bounce poller cannot tell whether the broken file has a mailbox: it says so.
        #expect(daemon.text.contains("bounce mailbox not polled: the campaign file cannot be read file=\(folder.campaigns)/broken.toml"), "\(daemon.text)")
    }

    @Test func aCampaignFolderThatCannotBeReadIsLoggedAndItsCampaignsLeftOut() async throws {
        let server = try SMTPTestServer()
        let folder = DaemonIntegrationTests.CampaignFolder()
        folder.add("gone", schedule: Self.rfc3339(Self.start.addingTimeInterval(30)), recipients: 1, server: server)
        let daemon = Self.daemon(folder)
        try await daemon.running { _ in
            #expect(await daemon.settle())
            try FileManager.default.moveItem(atPath: folder.campaigns, toPath: folder.root.file("elsewhere"))
            #expect(await daemon.advance(by: 1))
            #expect(await daemon.advance(by: 29))
        }
        let unreadable = daemon.lines.filter {
            $0.contains("error the campaign folder cannot be read; no campaign is loaded until it can be campaigns=\(folder.campaigns)")
        }
        #expect(unreadable.count == 2, "once by each service, not at every check: \(daemon.text)")
        #expect(daemon.text.contains("loaded campaigns files=0 reason=campaign folder changed scheduled=0"), "\(daemon.text)")
        #expect(server.messages().isEmpty)
    }

    @Test func aOneShotApprovedAfterItsFiringWasSkippedIsSentAtTheNextFolderCheck() async throws {
        let server = try SMTPTestServer()
        let folder = DaemonIntegrationTests.CampaignFolder()
        // Approvals are stamped on the wall clock by `herald approve`: the mock starts there.
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let path = folder.add(
            "late", schedule: Self.rfc3339(now.addingTimeInterval(-30)), recipients: 2, server: server,
            extra: "catch_up_seconds = 3600\nrequire_approval = true")
        let preview = try Subprocess.herald(["preview", path, "--out", folder.root.file("review")])
        let hash = try #require(preview.stdout.split(separator: "\n").first { $0.hasPrefix("manifest hash: ") }).dropFirst("manifest hash: ".count)
        let daemon = Self.daemon(folder, at: now)
        try await daemon.running { _ in
            #expect(await daemon.settle())
            #expect(daemon.text.contains("firing skipped: not approved campaign=late"), "\(daemon.text)")
            #expect(daemon.text.contains("waiting for an approval"), "\(daemon.text)")
            let approve = try Subprocess.herald(["approve", path, String(hash)])
            #expect(approve.status == 0, "\(approve)")
            #expect(server.messages().isEmpty, "not before the next check")
            #expect(await daemon.advance(by: 1))
            #expect(server.messages().count == 2, "picked up within a second: \(daemon.text)")
            #expect(await daemon.advance(by: 60))
        }
        #expect(daemon.text.contains("approval recorded: firing the skipped one-shot campaign campaign=late"), "\(daemon.text)")
        #expect(server.messages().count == 2, "sent once")
    }

    @Test func aRecurringCampaignFiresOnlyOnceAnApprovalMatchingTheInputsIsRecorded() async throws {
        let server = try SMTPTestServer()
        let folder = DaemonIntegrationTests.CampaignFolder()
        let path = folder.add(
            "approved", schedule: "* * * * *", recipients: 2, server: server,
            extra: "catch_up_seconds = 0\nrequire_approval = true")
        let preview = try Subprocess.herald(["preview", path, "--out", folder.root.file("review")])
        let hash = try #require(preview.stdout.split(separator: "\n").first { $0.hasPrefix("manifest hash: ") }).dropFirst("manifest hash: ".count)
        // On the wall clock's minute: the approval (stamped on the wall clock) comes before the next occurrence.
        let minute = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 + 30)
        let daemon = Self.daemon(folder, at: minute)
        try await daemon.running { _ in
            #expect(await daemon.settle())
            #expect(await daemon.advance(by: 30))
            #expect(daemon.text.contains("firing skipped: not approved campaign=approved"), "\(daemon.text)")
            #expect(daemon.text.contains("requires approval, and none is recorded"), "\(daemon.text)")
            #expect(server.messages().isEmpty, "no firing without an approval")
            let approve = try Subprocess.herald(["approve", path, String(hash)])
            #expect(approve.status == 0, "\(approve)")
            #expect(await daemon.advance(by: 60))
            #expect(server.messages().count == 2)
        }
    }

    @Test func aGracefulShutdownMidFiringFinishesTheLetterInFlightAndLeavesNothingInDoubt() async throws {
        // 300 letters at 100 ms each: about 30 s of sending, so a shutdown after the first few
        // comes long before the end even on a loaded machine.
        let server = try SMTPTestServer(faults: ["--data-delay", "0.1"])
        let folder = DaemonIntegrationTests.CampaignFolder()
        let path = folder.add("big", schedule: Self.rfc3339(Self.start.addingTimeInterval(1)), recipients: 300, server: server)
        let daemon = Self.daemon(folder)
        try await daemon.running { trigger in
            #expect(await daemon.settle())
            daemon.clock.advance(by: 1)
            #expect(await daemon.waitUntil { server.messages().count >= 5 })
            trigger.triggerGracefulShutdown()
        }
        #expect(daemon.text.contains("fired campaign=big"), "\(daemon.text)")
        #expect(daemon.lines.last?.hasSuffix("info stopped") == true, "\(daemon.text)")
        let status = try Subprocess.herald(["status", path, "--json"])
        #expect(status.stdout.contains("\"in_doubt\":0"), "\(status)")
        let sent = Self.sent(folder, "big").count
        #expect(sent < 300, "stopped before the end")
        #expect(sent == server.messages().count, "every letter the server took is logged sent, the last one included")
    }
}
