import Foundation
@testable import HeraldCLI
import Synchronization
import Testing

/// The one stop path: a flag, and a condition wait that a stop or a nudge ends at once.
@Suite struct StopTokenTests {
    /// Runs `work` on a thread of its own; returns its result and how long it took, in seconds.
    static func timed<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> (result: T, seconds: Double) {
        await onOwnThread {
            let start = Date()
            let result = work()
            return (result, Date().timeIntervalSince(start))
        }
    }

    @Test func aNewTokenIsNotStoppedAndAPauseRunsItsCourse() async {
        let token = StopToken()
        #expect(!token.isStopRequested)
        let (result, took) = await Self.timed { token.pause(0.2) }
        #expect(result)
        #expect(took >= 0.19)
    }

    @Test func stopEndsALongPauseAtOnce() async {
        let token = StopToken()
        async let paused = Self.timed { token.pause(60) }
        try? await Task.sleep(for: .milliseconds(200))
        token.stop()
        let (result, took) = await paused
        #expect(took < 5, "the pause ended with the stop, not after 60 s")
        #expect(!result, "a pause cut short by a stop says so")
        #expect(token.isStopRequested)
    }

    @Test func aPauseAfterAStopReturnsAtOnce() async {
        let token = StopToken()
        token.stop()
        token.stop()  // idempotent
        #expect(await Self.timed { token.pause(60) }.seconds < 1)
        #expect(!token.pause(0))
    }

    @Test func aWaitWhoseConditionIsAlreadyTrueReturnsAtOnce() async {
        let token = StopToken()
        #expect(await Self.timed { token.wait(until: Date().addingTimeInterval(60), orUntil: { true }) }.seconds < 1)
    }

    /// Counts the works that reached the barrier.
    final class Barrier: Sendable {
        let arrived = Atomic<Int>(0)
    }

    @Test func eachBlockingRunGetsAThreadOfItsOwnNotAPoolThread() async {
        // Every work blocks until all have started: on the cooperative pool (one thread per
        // core) the later ones could never start while the first ones block.
        let count = 32
        let barrier = Barrier()
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask {
                    await onOwnThread {
                        barrier.arrived.add(1, ordering: .relaxed)
                        let deadline = Date().addingTimeInterval(20)
                        while barrier.arrived.load(ordering: .relaxed) < count && Date() < deadline { usleep(1000) }
                        return barrier.arrived.load(ordering: .relaxed) == count
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == count && results.allSatisfy { $0 })
    }
}
