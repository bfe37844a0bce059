public import LienThongCore
public import LienThongStore

/// What pulling one feed with retries did (``FeedPuller/pullRetrying(_:store:attempts:backoff:progress:)``).
public struct RetriedPull: Sendable {
    public let feed: PulledFeed
    /// Every attempt's pages and records together; the cursor and head of the last attempt.
    public let summary: PullSummary
    /// From the first attempt's start to the end of the last.
    public let elapsed: Duration
    /// Why the feed failed, when its last attempt failed; nil when it is caught up.
    public let error: PullError?
}

extension PullSummary {
    /// Adds what a `later` pull of the same feed did: pages and records add up, the cursor and head become the
    /// later ones, and the feed stays unchanged only if both were.
    public mutating func add(_ later: PullSummary) {
        pages += later.pages
        applied += later.applied
        redundant += later.redundant
        quarantined += later.quarantined
        unchanged = unchanged && later.unchanged
        cursor = later.cursor
        head = later.head
    }
}

extension FeedPuller {
    /// Pulls `feed` until caught up in at most `attempts` attempts, as a one-shot `lienthong sync` does, noting
    /// each attempt's outcome in the pull status. After a failure it waits `backoff` on the puller's clock and
    /// tries again, except after a refused page (it would be refused again) or when the peer asks to wait
    /// longer than the backoff's cap: those fail at once.
    public func pullRetrying(
        _ feed: PulledFeed, store: Store, attempts: Int, backoff: Backoff, progress: (PulledPage) -> Void = { _ in }
    ) async -> RetriedPull {
        let start = ContinuousClock.now
        var total = PullSummary()
        total.unchanged = true
        var lastError: PullError?
        for attempt in 1...max(attempts, 1) {
            var delay: Duration?
            let result = await pullRecordingStatus(feed, store: store, retryIn: { error in
                let patient = (error.retryAfter ?? .zero) <= backoff.cap
                guard attempt < attempts, error.reason != .pageRejected, patient else { return nil }
                delay = backoff.delay(afterFailures: attempt, retryAfter: error.retryAfter)
                return delay
            }, progress: progress)
            if case .success(let summary) = result {
                total.add(summary)
                return RetriedPull(feed: feed, summary: total, elapsed: ContinuousClock.now - start, error: nil)
            }
            lastError = result.failure
            if let progress = result.failure?.progress { total.add(progress) }
            total.unchanged = false
            // No further attempt when none is due, or when the wait is cancelled.
            guard let delay, (try? await clock.sleep(until: clock.now + delay)) != nil else { break }
        }
        return RetriedPull(feed: feed, summary: total, elapsed: ContinuousClock.now - start, error: lastError)
    }
}
