import Foundation
import HeraldTestSupport
import Synchronization
import Testing

@testable import HeraldCore

/// The pipeline with several connections: exactly once, intents durable before hand-over,
/// claims grouped, stops that leave nothing in doubt, and the rate ceiling.
@Suite(.offCooperativePool) struct DispatchPipelineTests {
    static func csv(_ count: Int) -> String {
        "email,name\n" + (1...count).map { "r\($0)@x.example,R\($0)" }.joined(separator: "\n") + "\n"
    }

    static func prepared(_ count: Int, limits: SendLimits = .default, retry: RetryPolicy = .default) throws -> PreparedCampaign {
        var prepared = try TestData.prepared(csv(count), retry: retry)
        prepared.campaign.limits = limits
        return prepared
    }

    static func dispatcher(
        _ prepared: PreparedCampaign, _ journal: MemoryJournal, _ transport: ScriptedTransport,
        connections: Int, clock: any HeraldClock = SkippingClock()
    ) -> CampaignDispatcher {
        CampaignDispatcher(
            prepared: prepared, ledger: DeliveryLedger(records: journal.records, campaign: prepared.campaign.name),
            transports: Array(repeating: transport, count: connections), journal: journal, clock: clock,
            random: { 0.5 })
    }

    @Test(arguments: [1, 4])
    func everyLetterGoesOnceWithItsIntentDurableFirst(connections: Int) async throws {
        let journal = MemoryJournal()
        let transport = ScriptedTransport(journal: journal)
        // Claims are sized from the rate of answers over the run's time: a clock moving a
        // microsecond at each reading makes a fast server of the scripted one, whatever this machine's load.
        let report = try await Self.dispatcher(
            Self.prepared(200), journal, transport, connections: connections,
            clock: SkippingClock(tick: 1e-6)
        ).run()
        #expect(report.sent == 200 && report.stop == nil)
        #expect(Set(transport.delivered.map(\.messageID)).count == 200 && transport.delivered.count == 200)
        #expect(transport.intentWasDurable.allSatisfy { $0 })
        #expect(journal.records.count == 400 && journal.durable.count == 400)
        // Grouped claims: far fewer syncs than letters.
        #expect(journal.syncs < 100, "\(journal.syncs) syncs for 200 letters")
    }

    @Test func fourConnectionsSendAtTheSameTime() async throws {
        let journal = MemoryJournal()
        let transport = ScriptedTransport(journal: journal)
        let inside = Mutex((now: 0, most: 0))
        transport.onDeliver = { _ in
            inside.withLock {
                $0.now += 1; $0.most = max($0.most, $0.now)
            }
            // Hold each connection a little, so that the others can come in.
            try? await Task.sleep(for: .milliseconds(20))
            inside.withLock { $0.now -= 1 }
        }
        let report = try await Self.dispatcher(Self.prepared(24), journal, transport, connections: 4).run()
        #expect(report.sent == 24)
        #expect(inside.withLock { $0.most } == 4, "four letters were in the hands of four connections at once")
    }

    /// A task executor on a dispatch queue that counts the jobs it runs.
    final class CountingExecutor: TaskExecutor {
        private let queue = DispatchQueue(label: "herald.test.connection")
        let jobs = Atomic(0)

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            let executor = asUnownedTaskExecutor()
            jobs.add(1, ordering: .relaxed)
            queue.async { job.runSynchronously(on: executor) }
        }
    }

    @Test(arguments: [1, 4])
    func eachConnectionRunsOnItsTransportsExecutor(connections: Int) async throws {
        let journal = MemoryJournal()
        let executors = (0..<connections).map { _ in CountingExecutor() }
        // For each connection: the letters it handed over, and how many of them its task
        // preferred its own transport's executor for.
        let seen = Mutex(Array(repeating: (letters: 0, onOwn: 0), count: connections))
        var transports: [any MailTransport] = []
        for (index, executor) in executors.enumerated() {
            let transport = ScriptedTransport(journal: journal)
            transport.deliveryExecutor = executor
            let own = executor.asUnownedTaskExecutor()
            transport.onDeliver = { _ in
                let preferred = withUnsafeCurrentTask { $0?.unownedTaskExecutor }
                seen.withLock {
                    $0[index].letters += 1; $0[index].onOwn += preferred == own ? 1 : 0
                }
                // Hold each connection a little, so that every one gets letters.
                try? await Task.sleep(for: .milliseconds(1))
            }
            transports.append(transport)
        }
        let prepared = try Self.prepared(40)
        let dispatcher = CampaignDispatcher(
            prepared: prepared, ledger: DeliveryLedger(records: [], campaign: prepared.campaign.name),
            transports: transports, journal: journal, clock: SkippingClock(), random: { 0.5 })
        let report = try await dispatcher.run()
        #expect(report.sent == 40)
        for (index, counts) in seen.withLock({ $0 }).enumerated() {
            #expect(counts.letters > 0, "connection \(index) handed letters over")
            #expect(counts.onOwn == counts.letters, "connection \(index) ran on its transport's executor for every letter")
            #expect(executors[index].jobs.load(ordering: .relaxed) >= counts.letters, "its jobs ran on that executor")
        }
    }

    @Test func aRefusedLoginStopsEverySenderAndLeavesNothingInDoubt() async throws {
        let journal = MemoryJournal()
        let transport = ScriptedTransport(journal: journal, replies: ["r5@x.example": [.authenticationFailed(code: 535, reply: "535 no")]])
        transport.onDeliver = { _ in try? await Task.sleep(for: .milliseconds(2)) }
        let report = try await Self.dispatcher(Self.prepared(100), journal, transport, connections: 4).run()
        #expect(report.stop == .authenticationFailed("535 no"))
        #expect(transport.delivered.count < 100)
        let ledger = DeliveryLedger(records: journal.records, campaign: "test-campaign")
        #expect(ledger.entries.values.allSatisfy { !$0.isInDoubt }, "claimed letters that never left are released")
        let released = journal.records.filter { $0.error == DispatchMachine.notHandedOver }
        #expect(Set(released.map(\.recipient)).isDisjoint(with: transport.delivered.map { $0.envelopeRecipients[0].normalized }))
        // The next run sends the rest, each once.
        let again = ScriptedTransport(journal: journal)
        let second = try await Self.dispatcher(Self.prepared(100), journal, again, connections: 4).run()
        #expect(second.sent + report.sent == 100)
        #expect(Set(transport.delivered.map(\.messageID) + again.delivered.map(\.messageID)).count == 100)
    }

    @Test func theRateCeilingSpacesEveryHandOverRetriesIncluded() async throws {
        let journal = MemoryJournal()
        let transport = ScriptedTransport(journal: journal, replies: ["r3@x.example": [.deferred(code: 451, reply: "451 later", error: nil)]])
        let clock = SkippingClock()
        let handOvers = Mutex<[Date]>([])
        transport.onDeliver = { _ in handOvers.withLock { $0.append(clock.now()) } }
        // 1,200 a minute is stricter than 50 a second: one every 50 ms, never closer.
        let limits = SendLimits(concurrency: 2, maxMessagesPerConnection: 100, messagesPerSecond: 50, messagesPerMinute: 1_200)
        let retry = RetryPolicy(maxAttempts: 2, initialBackoff: 0, maxBackoff: 0)
        let report = try await Self.dispatcher(
            Self.prepared(10, limits: limits, retry: retry), journal, transport, connections: 2,
            clock: clock
        ).run()
        #expect(report.sent == 10)
        let times = handOvers.withLock { $0 }.sorted()
        #expect(times.count == 11, "ten letters and one retry")
        // On the run's clock, read by the connections as they hand over (a clock that jumps on
        // every sleep, so one reading may come a slot late, never early): eleven hand-overs span
        // at least ten intervals (no burst past the ceiling) and at most one more (no slot
        // wasted). Each gap is held exactly, deterministically, by DispatchMachineTests.
        let span = try #require(times.last).timeIntervalSince(try #require(times.first))
        #expect(span > 0.5 - 1e-6 && span < 0.55 + 1e-6, "ten intervals, paced but not stalled: \(span) s")
    }

    @Test func aJournalFailureNamesWhatLeftAndWhatDidNot() async throws {
        let journal = MemoryJournal()
        journal.failAfter = 30
        let transport = ScriptedTransport(journal: journal)
        do {
            _ = try await Self.dispatcher(Self.prepared(100), journal, transport, connections: 4).run()
            Issue.record("a journal failure must end the run")
        } catch let failure as CampaignDispatcher.JournalFailure {
            let handedOver = Set(transport.delivered.map(\.messageID))
            let logged = Set(journal.records.filter { $0.status != .sending }.map(\.messageID))
            // Every letter handed over has its outcome in the log, or is named in doubt.
            #expect(handedOver == logged.union(failure.inDoubt.map(\.messageID)))
            // Letters named unsent were never handed over.
            #expect(handedOver.isDisjoint(with: failure.unsent.map(\.messageID)))
        }
    }
}

@Suite struct ClaimBatchTests {
    @Test func startsWithOneLetterPerConnection() {
        #expect(ClaimBatch(connections: 4).size(answered: 0, elapsed: 0) == 4)
    }

    @Test(arguments: [(10.0, 1), (100.0, 2), (1_000.0, 20), (100_000.0, 64)])
    func coversAboutTwentyMillisecondsOfSending(rate: Double, size: Int) {
        #expect(ClaimBatch(connections: 1).size(answered: Int(rate), elapsed: 1) == size)
    }
}

@Suite struct RatePacerTests {
    @Test func noCeilingNoPacer() {
        #expect(RatePacer(.default) == nil)
    }

    @Test func theNextSlotIsOneIntervalAfterTheLastHandOverAndAPauseEarnsNoBurst() async throws {
        var pacer = try #require(RatePacer(SendLimits(concurrency: 1, maxMessagesPerConnection: 1, messagesPerSecond: 2)))
        let start = Date(timeIntervalSince1970: 100)
        #expect(pacer.nextSlot(now: start) == start)
        pacer.handedOver(at: start)
        #expect(pacer.nextSlot(now: start) == start.addingTimeInterval(0.5))
        // A sender that woke late: the next slot counts from when it really went.
        pacer.handedOver(at: start.addingTimeInterval(0.7))
        #expect(pacer.nextSlot(now: start.addingTimeInterval(0.7)) == start.addingTimeInterval(1.2))
        // Idle for a minute: the next may go now, and the one after still an interval later.
        let later = start.addingTimeInterval(60)
        #expect(pacer.nextSlot(now: later) == later)
        pacer.handedOver(at: later)
        #expect(pacer.nextSlot(now: later) == later.addingTimeInterval(0.5))
    }

    /// The bound the campaign file enforces is one the pacer really keeps, today and for
    /// years to come: at the highest rate the next slot is still later than the hand-over,
    /// by close to the interval; ten times that rate would round the spacing away.
    @Test func theHighestAllowedRateStillSpacesHandOvers() async throws {
        var pacer = try #require(RatePacer(SendLimits(concurrency: 1, maxMessagesPerConnection: 1, messagesPerSecond: SendLimits.maxRate)))
        for year in [2026.0, 2034.0] {
            let now = Date(timeIntervalSince1970: (year - 1970) * 365.25 * 86_400)
            pacer.handedOver(at: now)
            let gap = pacer.nextSlot(now: now).timeIntervalSince(now)
            #expect(gap > 0 && abs(gap - 1e-6) < 0.15e-6, "\(year): \(gap)")
            let tenTimes = now.addingTimeInterval(1 / (10 * SendLimits.maxRate)).timeIntervalSince(now)
            #expect(abs(tenTimes - 1e-7) > 0.15e-7, "beyond the bound the clock cannot hold the interval: \(tenTimes)")
        }
    }

    @Test func theStricterCeilingWins() async throws {
        let pacer = try #require(RatePacer(SendLimits(concurrency: 1, maxMessagesPerConnection: 1, messagesPerSecond: 10, messagesPerMinute: 30)))
        #expect(pacer.interval == 2)
    }
}
