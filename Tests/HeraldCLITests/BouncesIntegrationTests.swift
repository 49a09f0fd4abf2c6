import Foundation
import HeraldTestSupport
import Testing

/// `herald bounces` against a real Dovecot on loopback (started by each test): the bounce
/// corpus delivered into its INBOX is attributed, recorded and moved, or left in place as
/// specified; a second run records nothing; a kill -9 between the log's sync and the move
/// loses and duplicates nothing; a wrong password exits 77; plaintext IMAP off loopback is refused.
@Suite(.serialized, .tags(.integration, .dovecot)) struct BouncesIntegrationTests {
    static let fixtures = PackagePaths.path("Tests/HeraldCoreTests/Fixtures/bounces")

    /// The fixture letters' recipients and Message-ID hashes (see BounceFixtures in the core tests).
    static let letters: [(String, String)] = [
        ("minister@foreign.ministry.example", "4a1f0c9e2d7b4c8a9e3f6b5d1c0a7e21"),
        ("press@interior.gov.example", "5b2e1d0f3c8a4d9b8f4e7c6a2d1b8f32"),
        ("secretary@justice.gov.example", "6c3f2e1a4d9b4e0c9a5f8d7b3e2c9a43"),
        ("office@health.gov.example", "7d4a3f2b5e0c4f1d8b6a9e8c4f3d0b54"),
        ("cabinet@finance.gov.example", "8e5b4a3c6f1d4a2e9c7b0f9d5a4e1c65"),
        ("ambassador@embassy.example", "9f6c5b4d7a2e4b3f8d8c1a0e6b5f2d76"),
        ("minister@agriculture.gov.example", "a07d6c5e8b3f4c4a9e9d2b1f7c6a3e87"),
        ("spokesperson@defence.gov.example", "b18e7d6f9c4a4d5b8f0e3c2a8d7b4f98"),
        ("registry@parliament.gov.example", "c29f8e7a0d5b4e6c9a1f4d3b9e8c5a09"),
    ]

    /// What the pass records from the corpus with VERP off: file → (recipient, status).
    static let recorded: [String: (String, String)] = [
        "rfc3464-hard.eml": ("minister@foreign.ministry.example", "bounced"),
        "rfc3464-soft.eml": ("press@interior.gov.example", "delayed"),
        "postfix-hard.eml": ("secretary@justice.gov.example", "bounced"),
        "postfix-delayed.eml": ("office@health.gov.example", "delayed"),
        "exim-failed.eml": ("cabinet@finance.gov.example", "bounced"),
        "exchange-ndr.eml": ("ambassador@embassy.example", "bounced"),
        "exchange-legacy-text.eml": ("minister@agriculture.gov.example", "bounced"),
        "gmail-hard.eml": ("spokesperson@defence.gov.example", "bounced"),
    ]

    /// A campaign whose list is the fixture letters' recipients and whose log says each was
    /// sent, with a `[bounces]` table for the server.
    struct BounceCampaign {
        let folder = TemporaryDirectory("herald-bounces")
        let path: String
        var log: String { folder.file("delivery.jsonl") }

        init(url: String, verp: Bool = false, pollSeconds: Int = 300, caFile: String? = nil, suppress: Bool = false) {
            let csv = "email,name\n" + BouncesIntegrationTests.letters.map { "\($0.0),\($0.0.prefix { $0 != "@" })" }.joined(separator: "\n") + "\n"
            folder.write(
                "letter.mustache", "From: Press <press@amnesty.example>\nTo: {{name}} <{{email}}>\nSubject: Open letter\n\nDear {{name}},\nthe letter.\n")
            folder.write("list.csv", csv)
            path = folder.write(
                "campaign.toml",
                """
                name = "eu-china-dialogue"
                template = "letter.mustache"
                recipients = ["list.csv"]
                log = "delivery.jsonl"
                [smtp]
                url = "smtp://127.0.0.1:9"
                [bounces]
                url = "\(url)"
                username = "bounces"
                password_env = "HERALD_TEST_IMAP_PASSWORD"
                verp = \(verp)
                poll_seconds = \(pollSeconds)
                suppress = \(suppress)
                \(caFile.map { "ca_file = \"\($0)\"" } ?? "")
                """)
            var lines: [String] = []
            for (recipient, token) in BouncesIntegrationTests.letters {
                for status in ["sending", "sent"] {
                    lines.append(
                        #"{"attempt":1,"campaign":"eu-china-dialogue","message_id":"<\#(token).herald@amnesty.example>","recipient":"\#(recipient)","status":"\#(status)","time":"2026-11-29T09:00:00Z"}"#
                    )
                }
            }
            folder.write("delivery.jsonl", lines.joined(separator: "\n") + "\n")
        }

        func records() -> [[String: Any]] {
            (folder.read("delivery.jsonl") ?? "").split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        func reports() -> [[String: Any]] {
            records().filter { ["bounced", "delayed"].contains($0["status"] as? String) }
        }

        func bounces(password: String, extraEnvironment: [String: String] = [:]) throws -> Subprocess.Result {
            try Subprocess.herald(["bounces", path], environment: ["HERALD_TEST_IMAP_PASSWORD": password].merging(extraEnvironment) { $1 })
        }
    }

    static func deliverCorpus(to server: DovecotServer) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures).filter({ $0.hasSuffix(".eml") }).sorted() {
            try server.deliver(Array(try Data(contentsOf: URL(fileURLWithPath: (fixtures as NSString).appendingPathComponent(name)))))
        }
    }

    @Test func integrationTheCorpusIsRecordedOrLeftAndASecondRunRecordsNothing() throws {
        let server = try DovecotServer()
        try Self.deliverCorpus(to: server)
        let campaign = BounceCampaign(url: server.url)
        let first = try campaign.bounces(password: server.password)
        #expect(first.status == 0, "\(first)\n\(server.log)")
        let reports = campaign.reports()
        #expect(reports.count == Self.recorded.count, "\(first)")
        let got = Set(reports.map { "\($0["recipient"] as? String ?? "") \($0["status"] as? String ?? "")" })
        #expect(got == Set(Self.recorded.values.map { "\($0.0) \($0.1)" }))
        for report in reports {
            #expect(report["imap_uidvalidity"] is Int && report["imap_uid"] is Int && report["bounce_message_id"] is String && report["dsn_status"] is String)
        }
        // Left: the auto-reply, the person's reply, the other campaign's bounce, the headerless one (VERP off). Still unseen.
        #expect(server.messages().count == 4)
        #expect(server.messages().allSatisfy { !$0.seen }, "\(server.messages())")
        #expect(server.messages(in: "Processed").count == Self.recorded.count)
        #expect(first.stdout.contains("auto-reply") && first.stdout.contains("VERP is off") && first.stdout.contains("not a delivery report"))
        #expect(first.stdout.contains("8 recorded (6 bounced, 2 delayed), 0 already recorded, 4 left in place; 8 moved to Processed"), "\(first.stdout)")

        let second = try campaign.bounces(password: server.password)
        #expect(second.status == 0, "\(second)")
        #expect(campaign.reports().count == Self.recorded.count)
        #expect(second.stdout.contains("0 recorded (0 bounced, 0 delayed), 0 already recorded, 4 left in place; 0 moved"), "\(second.stdout)")

        let status = try Subprocess.herald(["status", campaign.path, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(object["bounced"] as? Int == 6 && object["delayed"] as? Int == 2 && object["sent"] as? Int == 1, "\(status)")
        let table = try Subprocess.herald(["status", campaign.path])
        #expect(table.stdout.contains("bounced") && table.stdout.contains("5.1.1 smtp; 550 5.1.1"), "\(table)")
    }

    /// SIGKILL right after the log's fsync, before the move: the records are there, the
    /// messages too; the next run writes nothing new and moves them.
    @Test func integrationAKillBetweenTheLogAndTheMoveLosesAndDuplicatesNothing() throws {
        let crash = try CrashPoint.shared.get()
        let server = try DovecotServer()
        try Self.deliverCorpus(to: server)
        let campaign = BounceCampaign(url: server.url)
        // Count the log calls of a pass on a copy, to find the fsync.
        let dryServer = try DovecotServer()
        try Self.deliverCorpus(to: dryServer)
        let dry = BounceCampaign(url: dryServer.url)
        let countFile = dry.folder.file("count")
        let counted = try dry.bounces(password: dryServer.password, extraEnvironment: crash.environment(watching: dry.log, at: nil, countFile: countFile))
        #expect(counted.status == 0, "\(counted)")
        let count = try #require(CrashPoint.count(in: countFile))
        let sync = try #require(count.kinds.firstIndex { $0 == "s" || $0 == "S" })
        let at = count.kinds.distance(from: count.kinds.startIndex, to: sync) + 1

        let killed = try campaign.bounces(password: server.password, extraEnvironment: crash.environment(watching: campaign.log, at: at, mode: .after))
        #expect(killed.status == -9 || killed.status == 137 || killed.status == 9, "\(killed)")
        #expect(campaign.reports().count == Self.recorded.count, "the records were synced before the kill")
        #expect(server.messages().count == 12, "nothing was moved before the kill")

        let again = try campaign.bounces(password: server.password)
        #expect(again.status == 0, "\(again)")
        #expect(campaign.reports().count == Self.recorded.count, "no record twice")
        #expect(again.stdout.contains("0 recorded (0 bounced, 0 delayed), 8 already recorded, 4 left in place; 8 moved to Processed"), "\(again.stdout)")
        #expect(server.messages().count == 4 && server.messages(in: "Processed").count == 8)
    }

    @Test func integrationAWrongIMAPPasswordExits77AndNamesNoPassword() throws {
        let server = try DovecotServer()
        try Self.deliverCorpus(to: server)
        let campaign = BounceCampaign(url: server.url)
        let result = try campaign.bounces(password: "wrong horse")
        #expect(result.status == 77, "\(result)")
        #expect(result.stderr.contains("refused user bounces's login") && !result.stderr.contains("wrong horse"))
        #expect(campaign.reports().isEmpty && server.messages().count == 12)
    }

    /// The same server on a non-loopback address of this machine, without TLS: refused (69),
    /// the password never sent.
    @Test func integrationPlaintextIMAPOffLoopbackIsRefused() throws {
        let server = try DovecotServer(alsoOnExternalAddress: true)
        let address = try #require(server.externalAddress, "this machine has no non-loopback IPv4 address")
        try Self.deliverCorpus(to: server)
        let campaign = BounceCampaign(url: "imap://\(address):\(server.port)/INBOX")
        let result = try campaign.bounces(password: server.password)
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.contains("STARTTLS"), "\(result)")
        #expect(!server.log.contains("Login: user=<bounces>"), "\(server.log)")
        #expect(campaign.reports().isEmpty && server.messages().count == 12)
    }

    /// The daemon's bounce poller reads the mailbox of a campaign with `[bounces]` (here one
    /// without a schedule) at start and every `poll_seconds` on its clock: in this process, on a
    /// mock clock that starts after the letters were sent, against the real Dovecot.
    @Test func integrationTheDaemonPollsTheMailbox() async throws {
        let server = try DovecotServer()
        try server.deliver(Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/postfix-hard.eml"))))
        let campaign = BounceCampaign(url: server.url, pollSeconds: 10)
        let daemon = InProcessDaemon(
            campaigns: campaign.folder.path, clock: MockClock(now: Date()),
            runtime: Subprocess.runtimeFolder(arguments: [campaign.folder.path], directory: nil),
            environment: ["HERALD_TEST_IMAP_PASSWORD": server.password])
        try await daemon.running { _ in
            #expect(await daemon.settle())
            #expect(campaign.reports().count == 1, "the first poll at start: \(daemon.text)")
            try server.deliver(Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/gmail-hard.eml"))))
            #expect(await daemon.advance(by: 9))
            #expect(campaign.reports().count == 1, "not before poll_seconds")
            #expect(await daemon.advance(by: 1))
            #expect(campaign.reports().count == 2, "a later poll: \(daemon.text)")
            #expect(server.messages(in: "Processed").count == 2)
        }
        let reads = daemon.lines.filter { $0.contains("bounces read campaign=eu-china-dialogue exit=0 next_in_seconds=10") }
        #expect(reads.count == 2, "\(daemon.text)")
        #expect(campaign.reports().count == 2, "no record twice across polls")
    }

    /// A server that does not announce `MOVE`: the processed messages go by `UID COPY`,
    /// `\Deleted` and `UID EXPUNGE` instead, and the result is the same.
    @Test func integrationWithoutMoveTheMessagesAreCopiedAndExpunged() throws {
        let server = try DovecotServer(capabilities: "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE UIDPLUS")
        try Self.deliverCorpus(to: server)
        let campaign = BounceCampaign(url: server.url)
        let result = try campaign.bounces(password: server.password)
        #expect(result.status == 0, "\(result)\n\(server.log)")
        #expect(campaign.reports().count == Self.recorded.count)
        #expect(server.messages().count == 4 && server.messages(in: "Processed").count == 8, "\(server.messages())")
        #expect(server.messages().allSatisfy { !$0.seen })
    }

    /// STARTTLS from the test CA: with `ca_file` naming it the pass runs over TLS; without,
    /// the certificate cannot be verified and nothing is read (69), the password never sent.
    @Test func integrationSTARTTLSIsVerifiedAgainstTheCampaignsCA() throws {
        let certificates = TemporaryDirectory("herald-imap-certs")
        let made = try Subprocess.run(PackagePaths.python, [PackagePaths.path("Tests/Support/make_certs.py"), certificates.path])
        try #require(made.status == 0, "\(made)")
        let server = try DovecotServer(tls: (certificates.file("good.pem"), certificates.file("good.key")))
        try Self.deliverCorpus(to: server)
        let untrusted = BounceCampaign(url: server.url)
        let refused = try untrusted.bounces(password: server.password)
        #expect(refused.status == 69, "\(refused)")
        #expect(!server.log.contains("Login: user=<bounces>"), "\(server.log)")
        let trusted = BounceCampaign(url: server.url, caFile: certificates.file("ca.pem"))
        let result = try trusted.bounces(password: server.password)
        #expect(result.status == 0, "\(result)\n\(server.log)")
        #expect(trusted.reports().count == Self.recorded.count)
        #expect(server.log.contains("Login: user=<bounces>") && server.log.contains("TLS"), "\(server.log)")
    }

}

/// `herald send` of a campaign with `[bounces] suppress = true` skips the addresses on the
/// suppression list beside its log (a real aiosmtpd server receives the others), says so per
/// letter and in its summary, writes nothing for them, and writes again once one is removed.
@Suite(.tags(.integration)) struct SuppressionSendIntegrationTests {
    @Test func aSuppressedAddressGetsNoLetterUntilRemoved() throws {
        let server = try SMTPTestServer()
        let folder = TemporaryDirectory("herald-suppressed-send")
        folder.write("letter.mustache", "From: Press <press@amnesty.example>\nTo: {{name}} <{{email}}>\nSubject: Open letter\n\nDear {{name}},\nthe letter.\n")
        folder.write("list.csv", "email,name\nann@one.example,Ann\nBen@Two.example,Ben\ncleo@three.example,Cleo\n")
        let path = folder.write(
            "campaign.toml",
            """
            name = "later-campaign"
            template = "letter.mustache"
            recipients = ["list.csv"]
            log = "delivery.jsonl"
            [smtp]
            url = "\(server.url)"
            [bounces]
            url = "imap://127.0.0.1:9/INBOX"
            username = "bounces"
            password_env = "HERALD_TEST_IMAP_PASSWORD"
            suppress = true
            """)
        // As `herald bounces` of an earlier campaign in the same folder writes it (address lowercased).
        folder.write("suppressed.txt", "# Herald suppression list\nben@two.example\t2026-11-28T10:00:00Z\tearlier\t5.1.1\tsmtp; 550 5.1.1 no such user\n")

        let first = try Subprocess.herald(["send", path])
        #expect(first.status == 0, "\(first)")
        #expect(Set(server.messages().flatMap(\.recipients)) == ["ann@one.example", "cleo@three.example"])
        #expect(first.stderr.contains("suppressed: ben@two.example: a permanent bounce put it on"), "\(first.stderr)")
        #expect(first.stdout.contains("later-campaign: 2 sent, 0 failed, 0 deferred, 0 in doubt, 0 already done, 1 suppressed"), "\(first.stdout)")
        #expect(!(folder.read("delivery.jsonl") ?? "").contains("ben@two.example"), "nothing is claimed or written for a suppressed letter")

        let removed = try Subprocess.herald(["suppressed", "remove", path, "ben@two.example"])
        #expect(removed.status == 0, "\(removed)")
        let second = try Subprocess.herald(["send", path])
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("later-campaign: 1 sent, 0 failed, 0 deferred, 0 in doubt, 2 already done"), "\(second.stdout)")
        #expect(server.messages().flatMap(\.recipients).filter { $0.lowercased() == "ben@two.example" }.count == 1, "the letter goes once removed")
    }
}
