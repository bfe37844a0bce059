import LienThongCore

/// One token bucket per peer (``PublisherRateLimit``), on the monotonic clock.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var refilledAt: ContinuousClock.Instant
    }

    private let buckets = Locked<[AgencyID: Bucket]>([:])

    /// Takes one request from `peer`'s bucket: nil when it may go ahead, else the whole seconds to wait.
    func take(_ peer: AgencyID, limit: PublisherRateLimit, at now: ContinuousClock.Instant = .now) -> Int64? {
        let capacity = Double(max(limit.burst, 1))
        let rate = max(limit.requestsPerSecond, 0.001)
        return buckets.withLock { buckets in
            var bucket = buckets[peer] ?? Bucket(tokens: capacity, refilledAt: now)
            let elapsed = bucket.refilledAt.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + max(seconds, 0) * rate)
            bucket.refilledAt = now
            defer { buckets[peer] = bucket }
            guard bucket.tokens >= 1 else { return Int64(((1 - bucket.tokens) / rate).rounded(.up)) }
            bucket.tokens -= 1
            return nil
        }
    }
}
