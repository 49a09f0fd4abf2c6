import Foundation
import HeraldTestSupport
import Synchronization
import Testing

@testable import HeraldCLI

/// The daemon's idle wait and its turns: a reload request ends a sleep on the clock without the
/// clock moving and is never missed; a cancellation ends either wait at once; jobs run one at a
/// time. Each test runs on a `DedicatedExecutor`, off the cooperative pool the subprocess tests hold.
@Suite struct ReloadSignalTests {
    /// Set when a sleep returned.
    final class Done: Sendable {
        let flag = Atomic<Bool>(false)
    }

    /// The jobs' names, in the order they ran.
    final class Order: Sendable {
        let names = Mutex<[String]>([])
    }

    @Test func aRequestEndsTheSleepWithoutTheClockMoving() async {
        let executor = DedicatedExecutor()
        await executor.run {
            let clock = MockClock()
            let reloads = ReloadSignal()
            let seen = reloads.generation
            let deadline = clock.now().addingTimeInterval(3600)
            async let slept: Void = reloads.sleep(on: clock, until: deadline, unlessNewerThan: seen)
            #expect(await clock.waitForSleepers(1, timeout: .seconds(60)))
            reloads.request()
            // Its clock sleep cancelled: the request woke it, the clock standing still.
            let end = ContinuousClock.now.advanced(by: .seconds(60))
            while !clock.sleepingUntil.isEmpty && ContinuousClock.now < end { await Task.yield() }
            #expect(clock.sleepingUntil.isEmpty && clock.now() < deadline, "woken by the request")
            clock.advance(to: deadline)  // releases the sleep if the request did not: a failure, not a hang
            await slept
            #expect(reloads.generation == seen + 1)
        }
    }

    @Test func aRequestMadeBeforeTheSleepIsNotMissed() async {
        let executor = DedicatedExecutor()
        await executor.run {
            let clock = MockClock()
            let reloads = ReloadSignal()
            let seen = reloads.generation
            reloads.request()
            // Returns although nobody advances the clock or requests again.
            let deadline = clock.now().addingTimeInterval(3600)
            let done = Done()
            let slept = Task(executorPreference: executor) {
                await reloads.sleep(on: clock, until: deadline, unlessNewerThan: seen)
                done.flag.store(true, ordering: .releasing)
            }
            let end = ContinuousClock.now.advanced(by: .seconds(60))
            while !done.flag.load(ordering: .acquiring) && ContinuousClock.now < end { await Task.yield() }
            let ended = done.flag.load(ordering: .acquiring)
            #expect(ended, "the earlier request ended the sleep")
            clock.advance(to: deadline)  // releases the sleep if the request did not: a failure, not a hang
            await slept.value
            #expect(clock.sleepingUntil.isEmpty)
        }
    }

    @Test func theSleepEndsAtItsDeadlineOrOnCancellation() async {
        let executor = DedicatedExecutor()
        await executor.run {
            let clock = MockClock()
            let reloads = ReloadSignal()
            async let slept: Void = reloads.sleep(on: clock, until: clock.now().addingTimeInterval(10), unlessNewerThan: 0)
            #expect(await clock.waitForSleepers(1, timeout: .seconds(60)))
            clock.advance(by: 10)
            await slept
            let cancelled = Task(executorPreference: executor) {
                await reloads.sleep(on: clock, until: clock.now().addingTimeInterval(3600), unlessNewerThan: 0)
            }
            #expect(await clock.waitForSleepers(1, timeout: .seconds(60)))
            cancelled.cancel()
            await cancelled.value
            #expect(clock.sleepingUntil.isEmpty)
        }
    }

    @Test func jobsTakeTurnsFirstComeFirstServedAndACancelledWaiterDoesNotRun() async {
        let executor = DedicatedExecutor()
        await executor.run {
            let turn = DaemonTurn()
            let order = Order()
            let gate = ReloadSignal()
            // The first job holds the turn until the gate opens.
            let first = Task(executorPreference: executor) {
                await turn.run {
                    order.names.withLock { $0.append("first") }; await gate.wait(past: 0)
                }
            }
            while order.names.withLock({ $0.isEmpty }) { await Task.yield() }
            let cancelled = Task(executorPreference: executor) { await turn.run { order.names.withLock { $0.append("cancelled") } } }
            let second = Task(executorPreference: executor) { await turn.run { order.names.withLock { $0.append("second") } } }
            cancelled.cancel()
            #expect(await cancelled.value == nil, "a waiter cancelled before its turn does not run")
            gate.request()
            _ = await first.value
            _ = await second.value
            #expect(order.names.withLock { $0 } == ["first", "second"])
        }
    }
}
