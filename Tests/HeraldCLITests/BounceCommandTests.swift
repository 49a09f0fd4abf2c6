import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

@testable import HeraldCLI

/// `herald bounces` run in this process over a mailbox in memory (`InProcessHerald`): the
/// command's logic — attribution, recording, suppression, moving, seen flags, UIDVALIDITY,
/// errors, a stop between messages — without Dovecot. The real IMAP adapter keeps its own
/// integration tests against Dovecot (BouncesIntegrationTests, BounceForgeryIntegrationTests,
/// CurlIMAPMailboxTests).
@Suite(.offCooperativePool) struct BounceCommandTests {
    typealias Corpus = BouncesIntegrationTests
    typealias Forgery = BounceForgeryIntegrationTests

    /// The corpus campaign of BouncesIntegrationTests, its log saying every letter was sent.
    static func corpusCampaign(verp: Bool = false, suppress: Bool = false) -> InProcessHerald {
        let csv = "email,name\n" + Corpus.letters.map { "\($0.0),\($0.0.prefix { $0 != "@" })" }.joined(separator: "\n") + "\n"
        let herald = InProcessHerald(
            label: "herald-bounce-command",
            campaignText: """
                name = "eu-china-dialogue"
                template = "letter.mustache"
                recipients = ["list.csv"]
                log = "delivery.jsonl"
                [smtp]
                url = "smtp://127.0.0.1:9"
                [bounces]
                url = "imap://127.0.0.1:143/INBOX"
                username = "bounces"
                password_env = "HERALD_TEST_IMAP_PASSWORD"
                verp = \(verp)
                suppress = \(suppress)
                """,
            files: [
                "letter.mustache": "From: Press <press@amnesty.example>\nTo: {{name}} <{{email}}>\nSubject: Open letter\n\nDear {{name}},\nthe letter.\n",
                "list.csv": csv,
            ])
        herald.environment["HERALD_TEST_IMAP_PASSWORD"] = "secret"
        herald.seed(
            Corpus.letters.flatMap { recipient, token in
                ["sending", "sent"].map {
                    #"{"attempt":1,"campaign":"eu-china-dialogue","message_id":"<\#(token).herald@amnesty.example>","recipient":"\#(recipient)","status":"\#($0)","time":"2026-11-29T09:00:00Z"}"#
                }
            })
        return herald
    }

    /// The forgery campaign of BounceForgeryIntegrationTests (every letter Cc'd to the archive), `suppress = true`.
    static func forgeryCampaign(log lines: [String]? = nil) -> InProcessHerald {
        let herald = InProcessHerald(
            label: "herald-bounce-forgery",
            campaignText: """
                name = "eu-china-dialogue"
                template = "letter.mustache"
                recipients = ["list.csv"]
                log = "delivery.jsonl"
                [smtp]
                url = "smtp://127.0.0.1:9"
                [bounces]
                url = "imap://127.0.0.1:143/INBOX"
                username = "bounces"
                password_env = "HERALD_TEST_IMAP_PASSWORD"
                suppress = true
                """,
            files: [
                "letter.mustache":
                    "From: Press <press@amnesty.example>\nTo: {{email}}\nCc: Archive <\(Forgery.cc)>\nSubject: Open letter\n\nDear reader,\nthe letter.\n",
                "list.csv": "email\n" + Forgery.letters.map(\.0).joined(separator: "\n") + "\n",
            ])
        herald.environment["HERALD_TEST_IMAP_PASSWORD"] = "secret"
        herald.seed(lines ?? Forgery.letters.indices.flatMap { [line($0, "sending"), line($0, "sent")] })
        return herald
    }

    /// A log line of the forgery campaign's letter `index`.
    static func line(_ index: Int, _ status: String, _ extra: String = "") -> String {
        let (recipient, token) = Forgery.letters[index]
        return
            #"{"attempt":1,"campaign":"eu-china-dialogue","envelope":["\#(recipient)","\#(Forgery.cc)"],"message_id":"\#(Forgery.messageID(token))","recipient":"\#(recipient)","status":"\#(status)","time":"2026-11-29T09:00:00Z"\#(extra)}"#
    }

    /// A report returning the headers of letter `token`, one group per (address, status).
    static func report(_ groups: [(String, String)], letter token: String, id: String) -> [UInt8] {
        let perRecipient = groups.map { address, status in
            "Final-Recipient: rfc822; \(address)\nAction: \(status.hasPrefix("5") ? "failed" : "delayed")\nStatus: \(status)\n"
                + "Diagnostic-Code: smtp; \(status.hasPrefix("5") ? "550" : "451") \(status) from the server"
        }.joined(separator: "\n\n")
        return Array(
            """
            Return-Path: <>
            From: Mail Delivery System <MAILER-DAEMON@mx.example>
            To: press@amnesty.example
            Subject: Delivery Status Notification
            Message-ID: <\(id)@mx.example>
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="B"

            --B
            Content-Type: text/plain

            Your message could not be delivered to all its recipients.

            --B
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example

            \(perRecipient)

            --B
            Content-Type: text/rfc822-headers

            From: Press <press@amnesty.example>
            Message-ID: \(Forgery.messageID(token))
            Subject: Open letter

            --B--

            """.utf8)
    }

    static func deliverCorpus(to mailbox: MemoryMailbox) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: Corpus.fixtures).filter({ $0.hasSuffix(".eml") }).sorted() {
            mailbox.deliver(Array(try Data(contentsOf: URL(fileURLWithPath: (Corpus.fixtures as NSString).appendingPathComponent(name)))))
        }
    }

    /// The bounce records the pass wrote (bounced, delayed).
    static func reports(_ herald: InProcessHerald) -> [DeliveryRecord] {
        herald.journal().records.filter { $0.status == .bounced || $0.status == .delayed }
    }

    @Test func theCorpusIsAttributedRecordedMovedOrLeftUnseenAndASecondPassRecordsNothing() throws {
        let herald = Self.corpusCampaign()
        try Self.deliverCorpus(to: herald.mailbox)
        let first = herald.bounces()
        #expect(first.status == 0, "\(first)")
        let reports = Self.reports(herald)
        #expect(Set(reports.map { "\($0.recipient) \($0.status.rawValue)" }) == Set(Corpus.recorded.values.map { "\($0.0) \($0.1)" }), "\(first)")
        #expect(reports.count == Corpus.recorded.count)
        #expect(
            reports.allSatisfy { $0.imapUIDValidity == herald.mailbox.uidValidity && $0.imapUID != nil && $0.bounceMessageID != nil && $0.dsnStatus != nil })
        // Durable before anything moved: the move is the last call, after the records were synced.
        #expect(herald.journal().durable.count == herald.journal().records.count)
        #expect(herald.mailbox.log.last?.hasPrefix("move ") == true && herald.mailbox.log.last?.hasSuffix(" to Processed") == true, "\(herald.mailbox.log)")
        #expect(herald.mailbox.messages().count == 4 && herald.mailbox.messages().allSatisfy { !$0.seen }, "left messages are unseen again")
        #expect(herald.mailbox.messages(in: "Processed").count == Corpus.recorded.count)
        #expect(
            first.stdout.contains("auto-reply") && first.stdout.contains("VERP is off") && first.stdout.contains("not a delivery report"), "\(first.stdout)")
        #expect(
            first.stdout.contains("12 messages in INBOX: 8 recorded (6 bounced, 2 delayed), 0 already recorded, 4 left in place; 8 moved to Processed"),
            "\(first.stdout)")
        #expect(!herald.journal().isLeased, "the lease is released at the end")

        let second = herald.bounces()
        #expect(second.status == 0, "\(second)")
        #expect(Self.reports(herald).count == Corpus.recorded.count)
        #expect(second.stdout.contains("0 recorded (0 bounced, 0 delayed), 0 already recorded, 4 left in place; 0 moved"), "\(second.stdout)")

        let status = herald.status(json: true)
        let object = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(object["bounced"] as? Int == 6 && object["delayed"] as? Int == 2 && object["sent"] as? Int == 1, "\(status)")
        let table = herald.status()
        #expect(table.stdout.contains("bounced") && table.stdout.contains("5.1.1 smtp; 550 5.1.1"), "\(table)")
    }

    @Test func aSeenMessageLeftInPlaceStaysSeenAndAnUnseenOneIsMarkedUnseenAgain() throws {
        let herald = Self.corpusCampaign()
        let auto = Array(try Data(contentsOf: URL(fileURLWithPath: Corpus.fixtures + "/auto-reply.eml")))
        let seenUID = herald.mailbox.deliver(auto, seen: true)
        let unseenUID = herald.mailbox.deliver(auto)
        let result = herald.bounces()
        #expect(result.status == 0, "\(result)")
        #expect(herald.mailbox.messages().map(\.seen) == [true, false])
        #expect(!herald.mailbox.log.contains("unseen \(seenUID)") && herald.mailbox.log.contains("unseen \(unseenUID)"), "\(herald.mailbox.log)")
        #expect(!herald.mailbox.log.contains { $0.hasPrefix("move") }, "nothing recorded, nothing moved")
    }

    @Test func aHeaderlessReportIsAttributedByVERPWhenVERPIsOn() throws {
        let herald = Self.corpusCampaign(verp: true)
        herald.mailbox.deliver(Array(try Data(contentsOf: URL(fileURLWithPath: Corpus.fixtures + "/no-headers-verp.eml"))))
        let result = herald.bounces()
        #expect(result.status == 0, "\(result)")
        #expect(Self.reports(herald).map(\.recipient) == ["registry@parliament.gov.example"], "\(result)")
        #expect(result.stdout.contains("by VERP address"))
        #expect(herald.mailbox.messages().isEmpty && herald.mailbox.messages(in: "Processed").count == 1)
    }

    @Test func aForgedReportIsLeftAndSilencesNobodyWhileACcsIsNamed() throws {
        let herald = Self.forgeryCampaign()
        let letters = Forgery.letters
        herald.mailbox.deliver(Forgery.report(about: letters[1].0, letter: letters[0].1, subject: "Undelivered \u{1B}[2J\u{202E}Mail", id: "forged"))
        herald.mailbox.deliver(Forgery.report(about: Forgery.cc, letter: letters[2].1, id: "cc"))
        herald.mailbox.deliver(Forgery.report(about: letters[3].0, letter: letters[3].1, diagnostic: Forgery.hostile, id: "own"))

        let result = herald.bounces()
        #expect(result.status == 0, "\(result)")
        #expect(rawTerminalControls(result.stdout + result.stderr).isEmpty, "\(result)")
        #expect(
            result.stdout.contains("unattributed: it names the letter \(Forgery.messageID(letters[0].1)) to \(letters[0].0) but reports on \(letters[1].0)"),
            "\(result.stdout)")
        #expect(result.stdout.contains(#"Undelivered \u001B[2J\u202EMail"#), "\(result.stdout)")
        #expect(
            result.stdout.contains("3 messages in INBOX: 2 recorded (2 bounced, 0 delayed), 0 already recorded, 1 left in place (1 unattributed"),
            "\(result.stdout)")
        #expect(herald.mailbox.messages().count == 1 && herald.mailbox.messages().allSatisfy { !$0.seen })
        #expect(herald.mailbox.messages(in: "Processed").count == 2)
        let reports = Self.reports(herald)
        #expect(Set(reports.map(\.recipient)) == [letters[2].0, letters[3].0], "\(reports)")
        #expect(!reports.contains { $0.dsnRecipient == letters[1].0 })
        #expect(result.stdout.contains("recorded  bounced 5.1.1 \(Forgery.cc) (a Cc or Bcc of the letter to \(letters[2].0))"), "\(result.stdout)")
        #expect(reports.contains { $0.recipient == letters[2].0 && $0.dsnRecipient == Forgery.cc })
        #expect(reports.contains { $0.diagnosticCode == Forgery.hostile }, "the log keeps the report's exact text")
        // Only row 4's own permanent failure is suppressed: not the victim, not the Cc.
        #expect(try herald.suppressionList().read().entries.map(\.address) == [letters[3].0])
        #expect(result.stdout.contains("suppressed \(letters[3].0) (\(herald.suppressionList().location))"), "\(result.stdout)")

        let list = herald.suppressedList()
        #expect(list.status == 0 && rawTerminalControls(list.stdout + list.stderr).isEmpty, "\(list)")
        #expect(list.stdout.contains(#"\u001B]0;pwned\u0007\u001B[2J\u202Euser unknown"#), "\(list.stdout)")
        let status = herald.status()
        #expect(status.status == 0 && rawTerminalControls(status.stdout + status.stderr).isEmpty, "\(status)")
        #expect(status.stdout.contains(#"\u001B]0;pwned\u0007\u001B[2J\u202Euser unknown"#), "\(status.stdout)")
        let ccRow = status.stdout.split(separator: "\n").first { $0.hasPrefix(letters[2].0) } ?? ""
        #expect(ccRow.contains(" sent ") && ccRow.contains("; bounced \(Forgery.cc): 5.1.1 smtp; 550 5.1.1 user unknown"), "\(status.stdout)")
        #expect(status.stdout.split(separator: "\n").first { $0.hasPrefix(letters[1].0) }?.contains(" sent ") == true, "\(status.stdout)")

        let again = herald.bounces()
        #expect(again.status == 0 && again.stdout.contains("0 recorded") && again.stdout.contains("1 left in place"), "\(again)")
        #expect(Self.reports(herald).count == 2 && herald.mailbox.messages().count == 1)
    }

    @Test func reportsAboutLettersThatNeverWentOutAreLeftAndATwoGroupReportRecordsBoth() throws {
        let herald = Self.forgeryCampaign(log: [
            Self.line(0, "sending"), Self.line(0, "sent"), Self.line(1, "sending"),
            Self.line(1, "deferred", #","smtp_code":451"#), Self.line(2, "sending"),
            Self.line(2, "failed", #","smtp_code":550"#),
        ])
        let letters = Forgery.letters, cc = Forgery.cc
        herald.mailbox.deliver(Self.report([(letters[1].0, "5.1.1")], letter: letters[1].1, id: "forged-deferred"))
        herald.mailbox.deliver(Self.report([(letters[2].0, "5.1.1")], letter: letters[2].1, id: "forged-failed"))
        herald.mailbox.deliver(Self.report([(letters[0].0, "4.4.1"), (cc, "5.1.1")], letter: letters[0].1, id: "two-groups"))

        let result = herald.bounces()
        #expect(result.status == 0, "\(result)")
        for index in [1, 2] {
            #expect(result.stdout.contains("it names the letter \(Forgery.messageID(letters[index].1)), which the server never accepted"), "\(result.stdout)")
        }
        #expect(result.stdout.contains("recorded  delayed 4.4.1 \(letters[0].0)"), "\(result.stdout)")
        #expect(result.stdout.contains("recorded  bounced 5.1.1 \(cc) (a Cc or Bcc of the letter to \(letters[0].0))"), "\(result.stdout)")
        #expect(result.stdout.contains("3 messages in INBOX: 1 recorded (1 bounced, 1 delayed), 0 already recorded, 2 left in place"), "\(result.stdout)")
        #expect(herald.mailbox.messages().count == 2 && herald.mailbox.messages().allSatisfy { !$0.seen })
        #expect(herald.mailbox.messages(in: "Processed").count == 1)
        let reports = Self.reports(herald)
        #expect(reports.map(\.dsnRecipient) == [letters[0].0, cc], "\(reports)")
        #expect(reports.allSatisfy { $0.recipient == letters[0].0 })
        #expect(try herald.suppressionList().read().entries.isEmpty)

        let rows = herald.status().stdout.split(separator: "\n")
        #expect(rows.first { $0.hasPrefix(letters[0].0) }?.contains(" delayed ") == true, "\(rows)")
        #expect(rows.first { $0.hasPrefix(letters[1].0) }?.contains(" deferred ") == true, "the deferred letter stays to be sent: \(rows)")
        #expect(rows.first { $0.hasPrefix(letters[2].0) }?.contains(" failed ") == true, "\(rows)")

        let again = herald.bounces()
        #expect(again.status == 0 && again.stdout.contains("0 recorded") && again.stdout.contains("2 left in place"), "\(again)")
        #expect(Self.reports(herald).count == 2)
    }

    /// The suppression list in the real file beside the log (mode 0600, its header), listed and
    /// edited by `herald suppressed`, with the journal and the mailbox in memory.
    @Test func permanentBouncesGoIntoTheSuppressionFileOnceAndRemoveTakesOneOff() throws {
        let herald = Self.corpusCampaign(suppress: true)
        herald.realSuppressionFile = true
        try Self.deliverCorpus(to: herald.mailbox)
        let first = herald.bounces()
        #expect(first.status == 0, "\(first)")
        let bounced = Set(Corpus.recorded.values.filter { $0.1 == "bounced" }.map(\.0))
        let list = herald.suppressedList()
        #expect(list.status == 0, "\(list)")
        let listed = Set(list.stdout.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != " " }) })
        #expect(listed == bounced, "\(list.stdout)")
        #expect(list.stdout.contains("5.1.1") && list.stdout.contains("eu-china-dialogue"))
        let text = try #require(herald.folder.read("suppressed.txt"))
        #expect(text.hasPrefix("# Herald suppression list"))
        var info = stat()
        #expect(stat(herald.folder.file("suppressed.txt"), &info) == 0 && info.st_mode & 0o077 == 0, "mode 0600")
        // A second pass adds nothing.
        #expect(herald.bounces().status == 0)
        #expect(herald.folder.read("suppressed.txt") == text)

        let removed = herald.suppressedRemove("Cabinet@Finance.gov.example")
        #expect(removed.status == 0, "\(removed)")
        let after = try #require(herald.folder.read("suppressed.txt"))
        #expect(!after.contains("cabinet@finance.gov.example") && after.hasPrefix("# Herald suppression list"))
        #expect(after.split(separator: "\n").count == text.split(separator: "\n").count - 1)
        let again = herald.suppressedRemove("cabinet@finance.gov.example")
        #expect(again.status == 65 && again.stderr.contains("is not on the suppression list"), "\(again)")
    }

    /// The folder recreated between the listing and the fetch: 75, nothing recorded as a
    /// message it no longer is, nothing moved.
    @Test func aUIDValidityChangeMidPassExits75AndMovesNothing() throws {
        let herald = Self.corpusCampaign()
        try Self.deliverCorpus(to: herald.mailbox)
        var fetched = 0
        herald.mailbox.beforeFetch = { [unowned herald] _ in
            fetched += 1
            if fetched == 3 { herald.mailbox.changeUIDValidity(to: 42) }
        }
        let result = herald.bounces()
        #expect(result.status == 75, "\(result)")
        #expect(result.stderr.contains("UIDVALIDITY changed"), "\(result)")
        #expect(herald.mailbox.messages(in: "Processed").isEmpty && !herald.mailbox.log.contains { $0.hasPrefix("move") })
        #expect(!herald.journal().isLeased)
    }

    @Test func mailboxFailuresExitAsTheirKindAndNameNoPassword() throws {
        let cases: [(BounceMailboxError, Int32)] = [
            (BounceMailboxError(.authentication, "LOGIN refused for user bounces"), 77),
            (BounceMailboxError(.unavailable, "connecting to 127.0.0.1:143 failed"), 69),
            (BounceMailboxError(.refused, "SELECT NoSuchFolder: NO Mailbox doesn't exist"), 69),
        ]
        for (error, status) in cases {
            // At setup, and at the first command.
            let atSetup = Self.corpusCampaign()
            atSetup.mailboxSetupError = error
            let setup = atSetup.bounces()
            #expect(setup.status == status && setup.stderr.contains(error.message) && !setup.stderr.contains("secret"), "\(setup)")
            let atList = Self.corpusCampaign()
            atList.mailbox.fail(.list, with: error)
            let list = atList.bounces()
            #expect(list.status == status && list.stderr.contains(error.message), "\(list)")
            #expect(atList.mailboxEndpoints.map(\.password) == ["secret"], "the password reaches the mailbox, never the output")
        }
    }

    /// The move refused after the records were synced: 69, the records durable, the messages
    /// still in the folder; the next pass finds them recorded and moves them without a second record.
    @Test func aRefusedMoveLeavesDurableRecordsAndTheNextPassMovesWithoutASecondRecord() throws {
        let herald = Self.corpusCampaign()
        try Self.deliverCorpus(to: herald.mailbox)
        herald.mailbox.fail(.move, with: BounceMailboxError(.refused, "MOVE: NO [SERVERBUG]"))
        let first = herald.bounces()
        #expect(first.status == 69, "\(first)")
        #expect(Self.reports(herald).count == Corpus.recorded.count)
        #expect(herald.journal().durable.count == herald.journal().records.count)
        #expect(herald.mailbox.messages().count == 12)
        herald.mailbox.fail(.move, with: nil)
        let second = herald.bounces()
        #expect(second.status == 0, "\(second)")
        #expect(Self.reports(herald).count == Corpus.recorded.count, "no second record")
        #expect(second.stdout.contains("0 recorded (0 bounced, 0 delayed), 8 already recorded, 4 left in place; 8 moved to Processed"), "\(second.stdout)")
    }

    /// The journal refuses a write: 74, nothing moved (a message is moved only once its record is durable).
    @Test func aLogThatCannotBeWrittenExits74AndMovesNothing() throws {
        let herald = Self.corpusCampaign()
        try Self.deliverCorpus(to: herald.mailbox)
        herald.journal().failAfter = herald.journal().records.count + 1
        let result = herald.bounces()
        #expect(result.status == 74, "\(result)")
        #expect(!herald.mailbox.log.contains { $0.hasPrefix("move") }, "\(herald.mailbox.log)")
    }

    /// A suppression list that cannot be written: 74, the records durable, nothing moved.
    @Test func aSuppressionListThatCannotBeWrittenExits74AndMovesNothing() throws {
        let herald = Self.corpusCampaign(suppress: true)
        try Self.deliverCorpus(to: herald.mailbox)
        herald.suppressionList().fail(with: SuppressionStoreFailure(description: "suppressed.txt: cannot be written: No space left on device"))
        let result = herald.bounces()
        #expect(result.status == 74 && result.stderr.contains("No space left on device"), "\(result)")
        #expect(herald.journal().durable.count == herald.journal().records.count)
        #expect(!herald.mailbox.log.contains { $0.hasPrefix("move") })
    }

    /// Another process holds the log: 75 before the mailbox is opened.
    @Test func aLogHeldByAnotherRunExits75BeforeTheMailboxIsOpened() throws {
        let herald = Self.corpusCampaign()
        let held = try herald.journal().lock(campaign: "eu-china-dialogue", campaignFile: nil, environment: [:])
        let result = withExtendedLifetime(held) { herald.bounces() }
        #expect(result.status == 75, "\(result)")
        #expect(herald.mailboxEndpoints.isEmpty && herald.mailbox.log.isEmpty)
    }

    /// A stop between messages: the pass ends after the message in hand, what it recorded is
    /// synced and moved, the rest left for the next pass (75); the next pass reads the rest.
    @Test func aStopBetweenMessagesEndsThePassAfterTheMessageInHand() throws {
        let herald = Self.corpusCampaign()
        try Self.deliverCorpus(to: herald.mailbox)
        var fetched = 0
        herald.mailbox.beforeFetch = { [unowned herald] _ in
            fetched += 1
            if fetched == 4 { herald.stopRequested = true }
        }
        let first = herald.bounces()
        #expect(first.status == 75 && first.stderr.contains("stopped on request after 4 messages"), "\(first)")
        #expect(fetched == 4, "no message fetched after the stop")
        let recorded = Self.reports(herald).count
        #expect(herald.mailbox.messages(in: "Processed").count == first.stdout.split(separator: "\n").filter { $0.hasPrefix("recorded") }.count)
        #expect(herald.journal().durable.count == herald.journal().records.count)
        herald.stopRequested = false
        herald.mailbox.beforeFetch = { _ in }
        let second = herald.bounces()
        #expect(second.status == 0, "\(second)")
        #expect(Self.reports(herald).count == Corpus.recorded.count && recorded < Corpus.recorded.count)
        #expect(herald.mailbox.messages(in: "Processed").count == Corpus.recorded.count)
    }
}
