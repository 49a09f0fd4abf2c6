import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

@Suite(.offCooperativePool) struct CampaignDispatcherTests {
    static let csv = "email,name\na@x.example,Ann\nb@x.example,Bo\nc@x.example,Cy\n"
    static let noRetry = RetryPolicy(maxAttempts: 1, initialBackoff: 0, maxBackoff: 0)

    /// Runs a dispatcher over one scripted connection; `stopAfter` letters handed over, the
    /// run's task is cancelled (a stop), while the last of them is with the server.
    func run(
        _ prepared: PreparedCampaign, journal: MemoryJournal, replies: [String: [DeliveryOutcome]] = [:],
        resendInDoubt: Bool = false, stopAfter: Int? = nil,
        clock: any HeraldClock = SkippingClock()
    ) async throws -> (CampaignDispatcher.Report, ScriptedTransport) {
        let transport = ScriptedTransport(journal: journal, replies: replies)
        let stop = StopSwitch()
        if let stopAfter {
            transport.onDeliver = { [transport] _ in
                if transport.delivered.count + 1 >= stopAfter { stop.pull() }
            }
        }
        let dispatcher = CampaignDispatcher(
            prepared: prepared, ledger: DeliveryLedger(records: journal.records, campaign: prepared.campaign.name),
            transport: transport, journal: journal, clock: clock, random: { 0.5 })
        let task = Task(executorPreference: DedicatedExecutor.current) { try await dispatcher.run(resendInDoubt: resendInDoubt) }
        stop.attach(task)
        return (try await task.value, transport)
    }

    @Test func sendsEachRecipientOnceWithDurableIntentFirst() async throws {
        let journal = MemoryJournal()
        let (report, transport) = try await run(TestData.prepared(Self.csv), journal: journal)
        #expect(report.sent == 3)
        #expect(transport.intentWasDurable == [true, true, true])
        for key in ["a@x.example", "b@x.example", "c@x.example"] {
            #expect(journal.records.filter { $0.recipient == key }.map(\.status) == [.sending, .sent])
        }
        #expect(journal.durable == journal.records, "the run ends with everything synced")
        #expect(journal.records[1].smtpReply == "250 2.0.0 Ok: queued as 1")
        #expect(journal.records.allSatisfy { $0.attempt == 1 && $0.campaign == "test-campaign" })
        let (again, second) = try await run(TestData.prepared(Self.csv), journal: journal)
        #expect(again.sent == 0 && again.alreadyDone == 3)
        #expect(second.delivered.isEmpty)
    }

    @Test func rejectedRecipientFailsAndTheRestGoOn() async throws {
        let journal = MemoryJournal()
        let (report, transport) = try await run(
            TestData.prepared(Self.csv), journal: journal,
            replies: ["b@x.example": [.rejected(code: 550, reply: "550 5.1.1 no such user")]])
        #expect((report.sent, report.failed) == (2, 1))
        #expect(transport.delivered.count == 3)
        let failed = try #require(journal.records.first { $0.status == .failed })
        #expect(failed.recipient == "b@x.example" && failed.smtpCode == 550)
        // A failed recipient is done: the next run does not retry it.
        let (again, _) = try await run(TestData.prepared(Self.csv), journal: journal)
        #expect(again.alreadyDone == 3)
    }

    @Test func deferredRecipientIsRetriedNextRunWithNextAttemptNumber() async throws {
        let journal = MemoryJournal()
        let (first, _) = try await run(
            TestData.prepared(Self.csv, retry: Self.noRetry), journal: journal,
            replies: ["a@x.example": [.deferred(code: 451, reply: "451 4.3.0 later", error: nil)]])
        #expect((first.sent, first.deferred) == (2, 1))
        let (second, transport) = try await run(TestData.prepared(Self.csv), journal: journal)
        #expect(second.sent == 1 && transport.delivered.map { $0.envelopeRecipients[0].description } == ["a@x.example"])
        #expect(journal.records.last?.attempt == 2)
    }

    @Test func unavailableServerStopsTheRunAndLosesNothing() async throws {
        let journal = MemoryJournal()
        let down = Array(repeating: DeliveryOutcome.unavailable(error: "Couldn't connect"), count: 5)
        let (report, transport) = try await run(TestData.prepared(Self.csv), journal: journal, replies: ["a@x.example": down])
        #expect(report.stop == .unavailable("Couldn't connect"))
        #expect(transport.delivered.count == 5, "tried max_attempts times, then gave up on the whole run")
        let tries = journal.records.filter { $0.recipient == "a@x.example" }
        #expect(tries.map(\.status) == Array(repeating: [DeliveryStatus.sending, .deferred], count: 5).flatMap { $0 })
        #expect(tries.map(\.attempt) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        // Letters claimed ahead but never handed over say so, and are not left in doubt.
        for record in journal.records where record.recipient != "a@x.example" && record.status != .sending {
            #expect(record.status == .deferred && record.error == DispatchMachine.notHandedOver)
        }
        #expect(DeliveryLedger(records: journal.records, campaign: "test-campaign").entries.values.allSatisfy { !$0.isInDoubt })
        let (second, _) = try await run(TestData.prepared(Self.csv), journal: journal)
        #expect(second.sent == 3)
    }

    @Test func transientFailuresAreRetriedWithinTheRunWithBackoff() async throws {
        let journal = MemoryJournal()
        let clock = SkippingClock()
        let soft = DeliveryOutcome.deferred(code: 451, reply: "451 4.3.0 later", error: nil)
        let retry = RetryPolicy(maxAttempts: 5, initialBackoff: 2, maxBackoff: 5)
        let (report, transport) = try await run(
            TestData.prepared(Self.csv, retry: retry), journal: journal,
            replies: ["b@x.example": [soft, soft, soft, .unavailable(error: "reset")]],
            clock: clock)
        #expect(report.sent == 3 && report.deferred == 0)
        #expect(clock.waits == [1, 2, 2.5, 2.5], "half of min(max, 2, 4, 8, 16), the random draw being 0.5")
        // Each retry's intent and outcome are stamped after its backoff.
        let times = journal.records.filter { $0.recipient == "b@x.example" }.map(\.time)
        #expect(
            times == [
                "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:01Z", "1970-01-01T00:00:01Z",
                "1970-01-01T00:00:03Z", "1970-01-01T00:00:03Z", "1970-01-01T00:00:05Z", "1970-01-01T00:00:05Z",
                "1970-01-01T00:00:08Z", "1970-01-01T00:00:08Z",
            ], "\(times)")
        #expect(transport.delivered.count == 7)
        #expect(journal.records.filter { $0.recipient == "b@x.example" }.map(\.attempt) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    }

    @Test func retriesRunOutIntoDeferredAndTheRunGoesOn() async throws {
        let journal = MemoryJournal()
        let soft = DeliveryOutcome.deferred(code: 451, reply: "451 4.3.0 later", error: nil)
        let retry = RetryPolicy(maxAttempts: 2, initialBackoff: 1, maxBackoff: 1)
        let (report, _) = try await run(
            TestData.prepared(Self.csv, retry: retry), journal: journal,
            replies: ["a@x.example": [soft, soft, soft]])
        #expect(report.deferred == 1 && report.sent == 2 && report.stop == nil)
    }

    @Test func stopDuringBackoffEndsTheRunCleanly() async throws {
        let journal = MemoryJournal()
        let soft = DeliveryOutcome.deferred(code: 421, reply: "421 closing", error: nil)
        // A clock nobody moves: the backoff lasts until the stop.
        let clock = MockClock()
        let transport = ScriptedTransport(journal: journal, replies: ["a@x.example": [soft]])
        let prepared = try TestData.prepared(Self.csv)
        let dispatcher = CampaignDispatcher(
            prepared: prepared, ledger: DeliveryLedger(campaign: prepared.campaign.name),
            transport: transport, journal: journal, clock: clock, random: { 0.5 })
        let task = Task(executorPreference: DedicatedExecutor.current) { try await dispatcher.run() }
        #expect(await clock.waitForSleepers(1), "the run waits out its backoff on the clock")
        task.cancel()
        let report = try await task.value
        #expect(report.stop == .interrupted && transport.delivered.count == 1)
        #expect(report.deferred == 1, "the letter waiting for its retry counts as deferred")
        #expect(journal.records.map(\.status) == [.sending, .deferred], "no new intent for a retry that never came")
        #expect(journal.durable == journal.records)
    }

    @Test(arguments: [(1, 2.0), (2, 4.0), (3, 8.0), (8, 256.0), (9, 300.0), (60, 300.0)])
    func backoffCeilingDoublesUpToTheMaximum(retry: Int, ceiling: Double) {
        let policy = RetryPolicy.default
        #expect(policy.ceiling(beforeRetry: retry) == ceiling)
        #expect(policy.delay(beforeRetry: retry, random: 0) == 0)
        #expect(policy.delay(beforeRetry: retry, random: 0.25) == ceiling / 4)
    }

    @Test func inDoubtIsReportedNotResentUnlessAsked() async throws {
        let journal = MemoryJournal()
        let (first, _) = try await run(
            TestData.prepared(Self.csv), journal: journal,
            replies: ["b@x.example": [.inDoubt(reply: "354 go ahead", error: "connection reset")]])
        #expect(first.inDoubt.map(\.recipient) == ["b@x.example"])
        #expect(first.inDoubt.first?.reason == "connection reset")
        let messageID = try #require(first.inDoubt.first?.messageID)
        let (second, quiet) = try await run(TestData.prepared(Self.csv), journal: journal)
        #expect(quiet.delivered.isEmpty && second.inDoubt.map(\.messageID) == [messageID])
        let (third, resent) = try await run(TestData.prepared(Self.csv), journal: journal, resendInDoubt: true)
        #expect(third.sent == 1 && resent.delivered.map(\.messageID) == [messageID])
    }

    @Test func stopRequestEndsBetweenMessages() async throws {
        let journal = MemoryJournal()
        let (report, transport) = try await run(TestData.prepared(Self.csv), journal: journal, stopAfter: 1)
        #expect(report.stop == .interrupted && report.sent == 1 && transport.delivered.count == 1)
        let ledger = DeliveryLedger(records: journal.records, campaign: "test-campaign")
        #expect(ledger.entries.values.allSatisfy { !$0.isInDoubt }, "nothing is left in doubt by a stop")
    }

    @Test func journalFailureStopsBeforeTheMessageLeaves() async throws {
        let journal = MemoryJournal()
        journal.failAfter = 2
        let transport = ScriptedTransport(journal: journal)
        let prepared = try TestData.prepared(Self.csv)
        let dispatcher = CampaignDispatcher(
            prepared: prepared, ledger: DeliveryLedger(campaign: prepared.campaign.name),
            transport: transport, journal: journal, clock: SkippingClock())
        await #expect(throws: CampaignDispatcher.JournalFailure.self) { try await dispatcher.run() }
        #expect(transport.delivered.count == 1, "the second message was never handed over without its intent")
    }

    @Test(arguments: [
        (DeliveryOutcome.authenticationFailed(code: 535, reply: "535 5.7.8 bad"), CampaignDispatcher.Stop.authenticationFailed("535 5.7.8 bad")),
        (DeliveryOutcome.tlsFailed(error: "unknown issuer"), CampaignDispatcher.Stop.tlsFailed("unknown issuer")),
        (DeliveryOutcome.senderRefused(code: 550, reply: "550 5.7.1 sender rejected"), CampaignDispatcher.Stop.senderRefused("550 5.7.1 sender rejected")),
    ])
    func connectionLevelFailuresStopTheRun(outcome: DeliveryOutcome, stop: CampaignDispatcher.Stop) async throws {
        let journal = MemoryJournal()
        let (report, transport) = try await run(TestData.prepared(Self.csv), journal: journal, replies: ["a@x.example": [outcome]])
        #expect(report.stop == stop && transport.delivered.count == 1 && report.sent == 0)
    }

    @Test func anOutcomeThatCannotBeLoggedNamesTheLetterInDoubt() async throws {
        let journal = MemoryJournal()
        journal.failAfter = 1  // the intent is written, the outcome is not
        do {
            _ = try await run(TestData.prepared(Self.csv), journal: journal)
            Issue.record("a journal failure must end the run")
        } catch let failure as CampaignDispatcher.JournalFailure {
            #expect(failure.inDoubt.map(\.recipient) == ["a@x.example"])
            #expect(failure.description.contains("in doubt: a@x.example <"), "\(failure)")
            #expect(failure.description.contains("accepted: 250 2.0.0 Ok: queued as 1"), "\(failure)")
        }
    }

    @Test func aRefusedSenderFailsNobody() async throws {
        let journal = MemoryJournal()
        let (report, _) = try await run(
            TestData.prepared(Self.csv), journal: journal,
            replies: ["a@x.example": [.senderRefused(code: 550, reply: "550 5.7.1 sender rejected")]])
        #expect(report.failed == 0 && report.deferred == 1)
        let tries = journal.records.filter { $0.recipient == "a@x.example" }
        #expect(tries.map(\.status) == [.sending, .deferred])
        #expect(tries[1].smtpReply == "550 5.7.1 sender rejected")
        let (again, transport) = try await run(TestData.prepared(Self.csv), journal: journal)
        #expect(again.sent == 3 && transport.delivered.count == 3, "a later run sends normally")
    }

    @Test func aRefusedCcIsRecordedOnTheSentLetter() async throws {
        let template = TestData.simpleTemplate.replacingOccurrences(of: "Subject:", with: "Cc: Press <press@org.example>\nSubject:")
        let journal = MemoryJournal()
        let refusal = DeliveryOutcome.Refusal(recipient: "press@org.example", code: 550, reply: "550 5.1.1 no such user")
        let (report, transport) = try await run(
            TestData.prepared(Self.csv, template: template), journal: journal,
            replies: ["a@x.example": [.accepted(code: 250, reply: "250 ok", refused: [refusal])]])
        #expect(report.sent == 3 && report.failed == 0)
        #expect(report.partlyRefused.map(\.recipient) == ["a@x.example"])
        #expect(transport.delivered[0].envelopeRecipients.map(\.description) == ["a@x.example", "press@org.example"])
        let first = journal.records.filter { $0.recipient == "a@x.example" }
        #expect(first[0].envelope == ["a@x.example", "press@org.example"], "the intent names the whole envelope")
        #expect(first[1].status == .sent && first[1].refused == [refusal])
        #expect(journal.records.first { $0.recipient == "b@x.example" && $0.status == .sent }?.refused == nil)
        #expect(first[1].jsonLine().contains(#""refused":[{"recipient":"press@org.example","smtp_code":550,"smtp_reply":"550 5.1.1 no such user"}]"#))
    }

    @Test func ledgerKeepsOnlyThisCampaignAndLatestState() {
        let records = [
            DeliveryRecord(time: "t", campaign: "other", recipient: "a@x.example", messageID: "<1@x>", status: .sent, attempt: 1),
            DeliveryRecord(time: "t", campaign: "c", recipient: "a@x.example", messageID: "<2@x>", status: .deferred, attempt: 1),
            DeliveryRecord(time: "t", campaign: "c", recipient: "a@x.example", messageID: "<2@x>", status: .sending, attempt: 2),
        ]
        let ledger = DeliveryLedger(records: records, campaign: "c")
        #expect(ledger["a@x.example"]?.isInDoubt == true)
        #expect(ledger["a@x.example"]?.attempts == 2)
        #expect(ledger["b@x.example"] == nil)
    }

    @Test func recordsAreOneLineOfJSONWithContractKeys() async throws {
        let record = DeliveryRecord(
            time: "2026-11-29T03:33:49Z", campaign: "c", recipient: "a@x.example", messageID: "<m@x>",
            status: .sent, attempt: 1, smtpCode: 250, smtpReply: "250 2.0.0 Ok: queued as 7")
        let line = record.jsonLine()
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["time", "campaign", "recipient", "message_id", "status", "attempt", "smtp_code", "smtp_reply"])
        #expect(DeliveryRecord.parse(line: line) == record)
        #expect(DeliveryRecord.parse(line: String(line.dropLast(3))) == nil)
    }

    @Test func duplicateAddressesAcrossListsGetOneLetter() async throws {
        let prepared = try PreparedCampaign.prepare(
            campaign: TestData.campaign(), template: TestData.template(TestData.simpleTemplate),
            lists: [TestData.list("email,name\nA@x.example,Ann\n", file: "one.csv"), TestData.list("email,name\na@X.example,Ann again\n", file: "two.csv")],
            date: Date(timeIntervalSince1970: 918_000_000))
        #expect(try prepared.recipients.count == 1)
        #expect(
            prepared.warnings.map(\.description) == [
                "two.csv:2: email: a@X.example is already listed at one.csv:2; it will get one letter (allow_duplicates = true in the campaign file sends one per row)"
            ])
    }

    @Test func allowDuplicatesGivesEachRowItsOwnLetterAndKey() async throws {
        var campaign = TestData.campaign()
        campaign.allowDuplicates = true
        let prepared = try PreparedCampaign.prepare(
            campaign: campaign, template: TestData.template(TestData.simpleTemplate),
            lists: [TestData.list("email,name\nA@x.example,Ann\na@x.example,Ann's partner\nb@x.example,Bo\n")], date: Date(timeIntervalSince1970: 918_000_000))
        #expect(try prepared.recipients.map(\.key) == ["a@x.example", "a@x.example#2", "b@x.example"])
        #expect(prepared.warnings.isEmpty)
        let journal = MemoryJournal()
        let (report, transport) = try await run(prepared, journal: journal)
        #expect(report.sent == 3)
        #expect(Set(transport.delivered.map(\.messageID)).count == 3, "each row's letter has its own Message-ID")
        #expect(transport.delivered.map { $0.envelopeRecipients[0].description } == ["A@x.example", "a@x.example", "b@x.example"])
    }
}
