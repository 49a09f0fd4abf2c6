import Testing

/// Runs each test of a suite on a `DedicatedExecutor` of its own, off Swift's cooperative pool.
///
/// Why: in a combined run the synchronous tests that wait for a `herald` subprocess block the
/// cooperative pool's threads (about one per core) for seconds at a time, and an async test on
/// that pool (a run on a mock clock, the in-process daemon) then waits behind them and times
/// out. Child tasks inherit the executor preference; an unstructured `Task` a test starts must be
/// given it (`Task(executorPreference: DedicatedExecutor.current)`). libcurl's blocking calls
/// still go to their own threads.
public struct OffCooperativePool: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        let executor = DedicatedExecutor(label: "herald.test.\(test.name)")
        try await DedicatedExecutor.$current.withValue(executor) { try await executor.run { try await function() } }
    }
}

extension Trait where Self == OffCooperativePool {
    /// Each test on a thread of its own, off the cooperative pool (`OffCooperativePool`).
    public static var offCooperativePool: Self { OffCooperativePool() }
}
