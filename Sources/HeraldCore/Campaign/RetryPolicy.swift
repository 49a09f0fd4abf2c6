/// When to try a transiently failed message again within one run.
///
/// Exponential backoff with full jitter: the n-th retry waits a random time in
/// `[0, min(max, initial × 2^(n-1))]`, so many senders recovering from one outage do not
/// return in lockstep. Pure: the random source is passed in.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts per recipient per run, the first included.
    public var maxAttempts: Int
    public var initialBackoff: Double
    public var maxBackoff: Double

    public static let `default` = RetryPolicy(maxAttempts: 5, initialBackoff: 2, maxBackoff: 300)

    public init(maxAttempts: Int, initialBackoff: Double, maxBackoff: Double) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    /// The ceiling of the wait before retry number `retry` (1 for the first retry).
    public func ceiling(beforeRetry retry: Int) -> Double {
        let exponent = Double(max(0, min(retry - 1, 62)))
        return min(maxBackoff, initialBackoff * pow2(exponent))
    }

    /// The wait before retry number `retry`, given a uniform random number in [0, 1).
    public func delay(beforeRetry retry: Int, random: Double) -> Double {
        ceiling(beforeRetry: retry) * min(max(random, 0), 1)
    }

    private func pow2(_ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(exponent) { result *= 2 }
        return result
    }
}
