import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Every decision of the send pipeline, driven event by event with a made-up time: no
/// threads, no clock, no sleeping. The driver plays the runner: it answers the machine's
/// immediate work at once (reading rows, a journal in an array), composes when asked, and
/// keeps what the machine handed over and the sleeps it asked for.
@Suite struct DispatchMachineTests {
    typealias Machine = DispatchMachine

    static let start = Date(timeIntervalSince1970: 1_000)

    /// The runner's part, in memory.
    struct Driver {
        var machine: Machine
        let prepared: PreparedCampaign
        var rows: [Recipient]
        var read = 0
        /// The list changes at this row (0-based): rows from it on are never read.
        var changedAt: Int?
        var now = DispatchMachineTests.start
        /// Every record written, in order, and how many of them were made durable.
        var log: [DeliveryRecord] = []
        var durable = 0
        /// Writes fail once the log holds this many records.
        var failAfter: Int?
        /// Letters handed over, in order, with their connection.
        var handedOver: [(letter: Machine.Letter, connection: Int)] = []
        var sleeps: [Date] = []
        var composes: [(Machine.Purpose, [Recipient])] = []
        /// Compose what is asked at once (else the test answers `composes` itself).
        var autoCompose = true
        var ended: Machine.Action?

        init(
            _ csv: String, connections: Int = 1, retry: RetryPolicy = .default, limits: SendLimits = .default,
            ledger: [DeliveryRecord] = [], suppressed: Set<String> = [], resendInDoubt: Bool = false, claimLimit: Int = 64
        ) throws {
            var prepared = try TestData.prepared(csv, retry: retry)
            prepared.campaign.limits = limits
            self.prepared = prepared
            rows = try prepared.recipients
            let configuration = Machine.Configuration(
                campaign: prepared.campaign.name, fingerprint: prepared.fingerprint, occurrence: nil,
                batch: ClaimBatch(connections: connections, limit: claimLimit), retry: retry, limits: limits,
                ledger: DeliveryLedger(records: ledger, campaign: prepared.campaign.name), resendInDoubt: resendInDoubt,
                suppressed: suppressed)
            machine = Machine(configuration, connections: connections)
        }

        /// Gives the machine `event` and does what it asks, until it waits for the world.
        mutating func send(_ event: Machine.Event) {
            var actions = machine.handle(event, now: now)
            while true {
                var index = 0
                while index < actions.count {
                    let action = actions[index]
                    index += 1
                    switch action {
                    case .immediate(let work):
                        #expect(index == actions.count, "an immediate action comes last")
                        actions += machine.handle(perform(work), now: now)
                    case .compose(let purpose, let recipients):
                        composes.append((purpose, recipients))
                    case .handOver(let letter, let connection):
                        handedOver.append((letter, connection))
                    case .sleep(let deadline):
                        sleeps.append(deadline)
                    case .finish, .fail:
                        ended = action
                    }
                }
                guard autoCompose, !composes.isEmpty, ended == nil else { return }
                let (purpose, recipients) = composes.removeFirst()
                actions = machine.handle(.composed(purpose, compose(recipients)), now: now)
            }
        }

        func compose(_ recipients: [Recipient]) -> [(index: Int, result: Result<ComposedMessage, ValidationFailure>)] {
            recipients.enumerated().map { index, recipient in
                do throws(ValidationFailure) {
                    return (index, .success(try prepared.compose(recipient, date: now)))
                } catch {
                    return (index, .failure(error))
                }
            }
        }

        private mutating func perform(_ work: Machine.Immediate) -> Machine.Event {
            switch work {
            case .read(let count):
                #expect(count > 0)
                let end = min(rows.count, read + count)
                if let changedAt, changedAt < end {
                    let before = Array(rows[read..<changedAt])
                    read = changedAt
                    return .listChanged("list.csv:\(changedAt + 2): changed", before: before)
                }
                let taken = Array(rows[read..<end])
                read = end
                return .recipientsRead(taken, ended: read == rows.count && taken.count < count)
            case .claim(let intents):
                if let failAfter, log.count + intents.count > failAfter { return .writeFailed(CocoaError(.fileWriteOutOfSpace)) }
                log += intents
                durable = log.count
                return .written
            case .write(let record):
                if let failAfter, log.count >= failAfter { return .writeFailed(CocoaError(.fileWriteOutOfSpace)) }
                log.append(record)
                return .written
            case .sync:
                if let failAfter, log.count > failAfter { return .writeFailed(CocoaError(.fileWriteOutOfSpace)) }
                durable = log.count
                return .written
            }
        }

        /// The connection holding `recipient`'s letter.
        func connection(of recipient: String) -> Int? {
            handedOver.last { $0.letter.recipient.key == recipient }?.connection
        }

        mutating func answer(_ recipient: String, _ outcome: DeliveryOutcome, random: Double = 0.5, proof: HandOverProof? = nil) {
            guard let connection = connection(of: recipient) else {
                Issue.record("\(recipient) was never handed over")
                return
            }
            send(.outcome(connection: connection, outcome, proof: proof, random: random))
        }

        var statuses: [String] { log.map { "\($0.recipient) \($0.status.rawValue) \($0.attempt)" } }
        var report: CampaignDispatcher.Report? {
            if case .finish(let report)? = ended { return report }
            return nil
        }
        var failure: CampaignDispatcher.JournalFailure? {
            if case .fail(let failure)? = ended { return failure }
            return nil
        }
    }

    static func csv(_ count: Int) -> String {
        "email,name\n" + (1...count).map { "r\($0)@x.example,R\($0)" }.joined(separator: "\n") + "\n"
    }

    static let ok = DeliveryOutcome.accepted(code: 250, reply: "250 ok")
    static let soft = DeliveryOutcome.deferred(code: 451, reply: "451 later", error: nil)

    // MARK: Claims

    @Test func aLetterIsClaimedDurablyBeforeItIsHandedOverAndTheRunEndsSynced() throws {
        var driver = try Driver(Self.csv(3))
        driver.send(.start)
        #expect(driver.statuses == ["r1@x.example sending 1"])
        #expect(driver.durable == 1 && driver.handedOver.map(\.letter.recipient.key) == ["r1@x.example"])
        // Against a server not yet measured: one letter per connection, claimed only when a connection is free.
        driver.answer("r1@x.example", Self.ok)
        #expect(driver.statuses == ["r1@x.example sending 1", "r1@x.example sent 1", "r2@x.example sending 1"])
        driver.answer("r2@x.example", Self.ok)
        driver.answer("r3@x.example", Self.ok)
        #expect(driver.report?.sent == 3 && driver.report?.stop == nil)
        #expect(driver.durable == driver.log.count, "the run ends with one sync")
        #expect(driver.handedOver.map(\.letter.message.messageID) == driver.log.filter { $0.status == .sending }.map(\.messageID))
    }

    @Test func againstAFastServerBatchesAreClaimedAheadButNoMoreThanOneBatch() throws {
        var driver = try Driver(Self.csv(300), connections: 2, claimLimit: 16)
        driver.send(.start)
        #expect(driver.handedOver.count == 2 && driver.log.count == 2)
        // 1,000 answers a second: a batch covers 20 ms, 16 letters at most (the limit).
        for _ in 0..<20 {
            driver.now = driver.now.addingTimeInterval(0.001)
            let held = driver.handedOver.suffix(2).map(\.letter.recipient.key)
            for key in held { driver.answer(key, Self.ok) }
            let claimed = driver.log.count { $0.status == .sending }
            let answered = driver.log.count { $0.status == .sent }
            let waiting = driver.machine.queued.count
            // A batch is claimed only once the queue is down to less than half a batch (8):
            // the letters in flight, those left waiting, and one batch, at most.
            #expect(claimed - answered <= 2 + 7 + 16, "claimed and unanswered: \(claimed - answered)")
            #expect(waiting <= 7 + 16)
        }
        #expect(driver.machine.batchSize(now: driver.now) == 16)
        // Claims ahead: letters wait in the queue while the connections send.
        #expect(driver.machine.queued.count >= 8)
    }

    @Test func doneInDoubtAndSuppressedRowsAreSkippedAndReported() throws {
        let prepared = try TestData.prepared(Self.csv(4))
        let messageID = try prepared.compose(try prepared.recipients[1], date: Self.start).messageID
        let ledger = [
            DeliveryRecord(time: "t", campaign: "test-campaign", recipient: "r1@x.example", messageID: "<1@x>", status: .sent, attempt: 1),
            DeliveryRecord(time: "t", campaign: "test-campaign", recipient: "r2@x.example", messageID: messageID, status: .sending, attempt: 1),
        ]
        var driver = try Driver(Self.csv(4), ledger: ledger, suppressed: ["r3@x.example"])
        driver.send(.start)
        driver.answer("r4@x.example", Self.ok)
        let report = try #require(driver.report)
        #expect(report.alreadyDone == 1 && report.suppressed == ["r3@x.example"] && report.sent == 1)
        #expect(report.inDoubt == [CampaignDispatcher.InDoubt(recipient: "r2@x.example", messageID: messageID)])
        #expect(driver.statuses == ["r4@x.example sending 1", "r4@x.example sent 1"], "nothing claimed for the skipped rows")

        var resend = try Driver(Self.csv(4), ledger: ledger, resendInDoubt: true)
        resend.send(.start)
        #expect(resend.statuses == ["r2@x.example sending 2"], "resent with its next attempt number")
        #expect(resend.handedOver.first?.letter.message.messageID == messageID, "the same Message-ID")
    }

    // MARK: Retries

    @Test func aDeferredLetterIsRetriedAfterItsBackoffWithANewIntent() throws {
        var driver = try Driver(Self.csv(1), retry: RetryPolicy(maxAttempts: 3, initialBackoff: 2, maxBackoff: 60))
        driver.send(.start)
        driver.answer("r1@x.example", Self.soft, random: 0.25)
        #expect(driver.statuses == ["r1@x.example sending 1", "r1@x.example deferred 1"])
        #expect(driver.sleeps == [Self.start.addingTimeInterval(0.5)], "2 s ceiling times the draw 0.25")
        #expect(driver.handedOver.count == 1, "nothing goes before the backoff ends")
        // A timer that fired early changes nothing.
        driver.now = Self.start.addingTimeInterval(0.4)
        driver.send(.timerFired)
        #expect(driver.handedOver.count == 1 && driver.log.count == 2)
        driver.now = Self.start.addingTimeInterval(0.5)
        driver.send(.timerFired)
        #expect(driver.statuses.last == "r1@x.example sending 2", "claimed again only when about to go")
        #expect(driver.log.last?.time == "1970-01-01T00:16:40Z")
        #expect(driver.handedOver.count == 2 && driver.handedOver[1].letter.attempt == 2)
        #expect(driver.handedOver[1].letter.message.messageID == driver.handedOver[0].letter.message.messageID)
        driver.answer("r1@x.example", Self.soft, random: 0.5)
        #expect(driver.sleeps.last == driver.now.addingTimeInterval(2), "4 s ceiling before the second retry, times 0.5")
        driver.now = driver.now.addingTimeInterval(2)
        driver.send(.timerFired)
        driver.answer("r1@x.example", Self.ok)
        let report = try #require(driver.report)
        #expect(report.sent == 1 && report.deferred == 0)
        #expect(
            driver.statuses == [
                "r1@x.example sending 1", "r1@x.example deferred 1", "r1@x.example sending 2", "r1@x.example deferred 2",
                "r1@x.example sending 3", "r1@x.example sent 3",
            ])
    }

    @Test func retriesThatRunOutLeaveTheLetterDeferredAndTheRunGoesOn() throws {
        var driver = try Driver(Self.csv(2), retry: RetryPolicy(maxAttempts: 2, initialBackoff: 0, maxBackoff: 0))
        driver.send(.start)
        driver.answer("r1@x.example", Self.soft)
        #expect(driver.sleeps.isEmpty, "a zero backoff needs no timer")
        #expect(driver.statuses.last == "r1@x.example sending 2")
        driver.answer("r1@x.example", Self.soft)
        driver.answer("r2@x.example", Self.ok)
        let report = try #require(driver.report)
        #expect(report.deferred == 1 && report.sent == 1 && report.stop == nil)
    }

    @Test func aServerUnreachableThroughEveryRetryEndsTheRunAndReleasesTheClaimed() throws {
        var driver = try Driver(Self.csv(40), connections: 2, retry: RetryPolicy(maxAttempts: 2, initialBackoff: 0, maxBackoff: 0))
        driver.send(.start)
        let down = DeliveryOutcome.unavailable(error: "Couldn't connect")
        driver.answer("r1@x.example", down)
        driver.answer("r1@x.example", down)
        #expect(driver.ended == nil, "the other connection still holds its letter")
        driver.answer("r2@x.example", Self.ok)
        let report = try #require(driver.report)
        #expect(report.stop == .unavailable("Couldn't connect") && report.deferred == 1 && report.sent == 1)
        let released = driver.log.filter { $0.error == Machine.notHandedOver }
        #expect(released.allSatisfy { $0.status == .deferred })
        #expect(DeliveryLedger(records: driver.log, campaign: "test-campaign").entries.values.allSatisfy { !$0.isInDoubt })
        #expect(driver.durable == driver.log.count)
    }

    @Test(arguments: [
        (DeliveryOutcome.authenticationFailed(code: 535, reply: nil), CampaignDispatcher.Stop.authenticationFailed("authentication failed")),
        (DeliveryOutcome.tlsFailed(error: "unknown issuer"), CampaignDispatcher.Stop.tlsFailed("unknown issuer")),
        (DeliveryOutcome.senderRefused(code: 550, reply: "550 sender rejected"), CampaignDispatcher.Stop.senderRefused("550 sender rejected")),
    ])
    func aConnectionLevelRefusalEndsTheRunAfterTheLettersHeld(outcome: DeliveryOutcome, stop: CampaignDispatcher.Stop) throws {
        var driver = try Driver(Self.csv(10), connections: 2)
        driver.send(.start)
        driver.answer("r1@x.example", outcome)
        #expect(driver.ended == nil && driver.handedOver.count == 2, "no new letter, the one held finishes")
        driver.answer("r2@x.example", Self.ok)
        let report = try #require(driver.report)
        #expect(report.stop == stop && report.deferred == 1 && report.sent == 1 && report.failed == 0)
        #expect(driver.log.first { $0.recipient == "r1@x.example" && $0.status == .deferred } != nil, "the refused letter is deferred, nobody failed")
    }

    // MARK: Pacing

    @Test func theRateCeilingSpacesHandOversAcrossConnections() throws {
        let limits = SendLimits(concurrency: 2, maxMessagesPerConnection: 100, messagesPerSecond: 2)
        var driver = try Driver(Self.csv(3), connections: 2, limits: limits)
        driver.send(.start)
        #expect(driver.handedOver.count == 1, "the second connection waits for the next slot")
        #expect(driver.sleeps == [Self.start.addingTimeInterval(0.5)])
        driver.now = Self.start.addingTimeInterval(0.5)
        driver.send(.timerFired)
        #expect(driver.handedOver.count == 2 && driver.handedOver[1].connection == 1)
        // An answer after a pause: the next slot counts from the last hand-over, no burst.
        driver.now = Self.start.addingTimeInterval(0.6)
        driver.answer("r1@x.example", Self.ok)
        #expect(driver.handedOver.count == 2 && driver.sleeps.last == Self.start.addingTimeInterval(1.0))
        driver.now = Self.start.addingTimeInterval(1.0)
        driver.send(.timerFired)
        #expect(driver.handedOver.count == 3)
    }

    /// The review's break: with four connections and a rate ceiling, the pacer always went to the
    /// lowest-numbered waiting connection, so connections 3 and 4 each held a claimed letter to
    /// the end of the campaign (named in doubt after any crash). Each connection gets its turn.
    @Test func theRateCeilingServesEveryConnectionInTurn() throws {
        let limits = SendLimits(concurrency: 4, maxMessagesPerConnection: 100, messagesPerSecond: 5)
        var driver = try Driver(Self.csv(12), connections: 4, limits: limits)
        driver.send(.start)
        var answered = Set<String>()
        for _ in 0..<40 where driver.report == nil {
            // Each letter handed over is answered at once; then time moves to the next slot.
            for letter in driver.handedOver.map(\.letter.recipient.key) where !answered.contains(letter) {
                answered.insert(letter)
                driver.answer(letter, Self.ok)
            }
            if let next = driver.sleeps.last, next > driver.now {
                driver.now = next
                driver.send(.timerFired)
            }
        }
        #expect(driver.report?.sent == 12)
        let perConnection = Dictionary(grouping: driver.handedOver.map(\.connection), by: { $0 }).mapValues(\.count)
        // Before: the first two connections took every slot (5/5/1/1 here, 19/19/1/1 on 40 letters).
        #expect(perConnection.count == 4 && perConnection.values.allSatisfy { $0 >= 2 }, "\(perConnection)")
    }

    // MARK: Stops

    @Test func aStopLetsEachConnectionFinishItsLetterAndReleasesTheRestClaimed() throws {
        var driver = try Driver(Self.csv(300), connections: 2, claimLimit: 16)
        driver.send(.start)
        // Fast answers, so that letters are claimed ahead of the connections.
        for _ in 0..<5 {
            driver.now = driver.now.addingTimeInterval(0.001)
            for key in driver.handedOver.suffix(2).map(\.letter.recipient.key) { driver.answer(key, Self.ok) }
        }
        let queued = driver.machine.queued.map(\.recipient.key)
        #expect(!queued.isEmpty)
        let held = driver.handedOver.suffix(2).map(\.letter.recipient.key)
        driver.send(.stopRequested)
        #expect(driver.ended == nil, "the letters held are still with the server")
        let sentBefore = driver.log.count { $0.status == .sent }
        driver.answer(held[0], Self.ok)
        driver.answer(held[1], .rejected(code: 550, reply: "550 no"))
        let report = try #require(driver.report)
        #expect(report.stop == .interrupted && report.sent == sentBefore + 1 && report.failed == 1)
        let released = driver.log.filter { $0.error == Machine.notHandedOver }.map(\.recipient)
        #expect(released == queued, "every letter claimed but not handed over gets its deferred record")
        #expect(DeliveryLedger(records: driver.log, campaign: "test-campaign").entries.values.allSatisfy { !$0.isInDoubt })
        #expect(driver.durable == driver.log.count)
    }

    /// The review's break: a signal that came while the writer was claiming a batch still let
    /// the claimed letters go to the server. A connection that sees the stop just before its
    /// hand-over gives the letter back; it gets a `deferred` record and nothing more is sent.
    @Test func aLetterGivenBackAtTheStopIsDeferredNotSent() throws {
        var driver = try Driver(Self.csv(3), connections: 1)
        driver.send(.start)
        let held = try #require(driver.handedOver.first)
        driver.send(.stoppedBeforeHandOver(connection: held.connection))
        let report = try #require(driver.report)
        #expect(report.stop == .interrupted && report.sent == 0 && report.deferred == 0)
        #expect(driver.statuses == ["r1@x.example sending 1", "r1@x.example deferred 1"])
        #expect(driver.log.last?.error == Machine.notHandedOver)
        #expect(driver.handedOver.count == 1, "nothing else handed over")
        #expect(driver.durable == driver.log.count)
    }

    @Test func aStopDuringABackoffCountsTheLetterDeferredAndClaimsNothingMore() throws {
        var driver = try Driver(Self.csv(1))
        driver.send(.start)
        driver.answer("r1@x.example", Self.soft)
        driver.send(.stopRequested)
        let report = try #require(driver.report)
        #expect(report.stop == .interrupted && report.deferred == 1)
        #expect(driver.statuses == ["r1@x.example sending 1", "r1@x.example deferred 1"])
    }

    @Test func aStopWhileABatchIsComposedDropsTheBatch() throws {
        var driver = try Driver(Self.csv(3))
        driver.autoCompose = false
        driver.send(.start)
        let (purpose, recipients) = try #require(driver.composes.first)
        driver.send(.stopRequested)
        #expect(driver.report?.stop == .interrupted)
        #expect(driver.log.isEmpty && driver.handedOver.isEmpty, "nothing claimed, nothing sent")
        _ = (purpose, recipients)
    }

    // MARK: The log

    @Test func anInDoubtOutcomeWritesNothing() throws {
        var driver = try Driver(Self.csv(2))
        driver.send(.start)
        driver.answer("r1@x.example", .inDoubt(reply: "354 go ahead", error: "connection reset"))
        driver.answer("r2@x.example", Self.ok)
        let report = try #require(driver.report)
        #expect(report.inDoubt.map(\.recipient) == ["r1@x.example"] && report.inDoubt.first?.reason == "connection reset")
        #expect(driver.statuses == ["r1@x.example sending 1", "r2@x.example sending 1", "r2@x.example sent 1"])
    }

    @Test func anOutcomeThatCannotBeWrittenEndsTheRunNamingWhatLeftAndWhatDidNot() throws {
        var driver = try Driver(Self.csv(300), connections: 2, claimLimit: 16)
        driver.send(.start)
        for _ in 0..<3 {
            driver.now = driver.now.addingTimeInterval(0.001)
            for key in driver.handedOver.suffix(2).map(\.letter.recipient.key) { driver.answer(key, Self.ok) }
        }
        let queued = driver.machine.queued.map(\.recipient.key)
        let held = driver.handedOver.suffix(2).map(\.letter.recipient.key)
        driver.failAfter = driver.log.count
        let written = driver.log.count
        driver.answer(held[0], Self.ok)
        #expect(driver.ended == nil, "the other connection still holds its letter")
        driver.answer(held[1], Self.ok)
        let failure = try #require(driver.failure)
        #expect(driver.log.count == written, "nothing more is written after the failure")
        #expect(failure.inDoubt.map(\.recipient) == held, "both answers are named: neither is in the log")
        #expect(failure.inDoubt.first?.reason?.contains("accepted: 250 ok") == true)
        #expect(failure.unsent.map(\.recipient) == queued, "claimed but never handed over")
    }

    @Test func aClaimThatCannotBeWrittenHandsNothingOver() throws {
        var driver = try Driver(Self.csv(2))
        driver.failAfter = 0
        driver.send(.start)
        #expect(driver.failure != nil && driver.handedOver.isEmpty && driver.log.isEmpty)
    }

    @Test func theProofOfAnAcceptedLetterGoesIntoItsSentRecord() throws {
        var driver = try Driver(Self.csv(1))
        driver.send(.start)
        driver.answer("r1@x.example", Self.ok, proof: HandOverProof(messageSHA256: "ab", tlsVersion: "TLSv1.3", tlsCipher: "X"))
        let sent = try #require(driver.log.last)
        #expect(sent.status == .sent && sent.messageSHA256 == "ab" && sent.tlsVersion == "TLSv1.3" && sent.tlsCipher == "X")
        #expect(sent.envelope == ["r1@x.example"])
    }

    // MARK: Approval and lists

    @Test func aLetterThatIsNotTheApprovedOneIsDeferredAndEndsTheRun() throws {
        var driver = try Driver(Self.csv(3), connections: 2)
        driver.send(.start)
        let mismatch = ApprovedLetters.Mismatch(campaign: "test-campaign", recipient: "r1@x.example", changedFiles: [], manifestSHA256: "00")
        driver.send(.notApproved(connection: 0, mismatch))
        #expect(driver.log.last?.status == .deferred && driver.log.last?.error == Machine.notApproved(mismatch))
        driver.answer("r2@x.example", Self.ok)
        let report = try #require(driver.report)
        #expect(report.stop == .notApproved(mismatch.description) && report.deferred == 1 && report.sent == 1)
    }

    @Test func aListChangedMidRunClaimsTheRowsReadBeforeThenEnds() throws {
        var driver = try Driver(Self.csv(5), connections: 2)
        driver.changedAt = 3
        driver.send(.start)
        for key in ["r1@x.example", "r2@x.example"] { driver.answer(key, Self.ok) }
        // The third row was read before the change was met: it was claimed and is still with the server.
        #expect(driver.ended == nil)
        driver.answer("r3@x.example", Self.ok)
        let report = try #require(driver.report)
        guard case .listChanged(let problem)? = report.stop else {
            Issue.record("\(String(describing: report.stop))")
            return
        }
        #expect(problem.contains("changed"))
        #expect(driver.log.filter { $0.status == .sending }.map(\.recipient) == ["r1@x.example", "r2@x.example", "r3@x.example"])
        #expect(!driver.log.contains { $0.recipient == "r4@x.example" || $0.recipient == "r5@x.example" })
        #expect(DeliveryLedger(records: driver.log, campaign: "test-campaign").entries.values.allSatisfy { !$0.isInDoubt })
    }
}
