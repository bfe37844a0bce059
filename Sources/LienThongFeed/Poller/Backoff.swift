/// Exponential backoff with jitter, capped, for retrying one peer: after `failures` failures in a row the
/// next attempt waits between half and all of `base × 2^(failures−1)`, at most `cap`, and never less than
/// what the peer asked for with `Retry-After`.
public struct Backoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(300)) {
        self.base = base
        self.cap = cap
    }

    /// The wait before the next attempt; `unit` in 0...1 picks the point within the jitter range.
    public func delay(afterFailures failures: Int, retryAfter: Duration? = nil, unit: Double = Double.random(in: 0...1)) -> Duration {
        guard failures > 0 else { return retryAfter ?? .zero }
        let exponential = base * Double(1 << min(failures - 1, 30))
        let ceiling = min(exponential, cap)
        let jittered = ceiling * (0.5 + 0.5 * unit)
        return max(jittered, retryAfter ?? .zero)
    }
}
