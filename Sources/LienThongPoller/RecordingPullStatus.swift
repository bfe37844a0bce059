public import LienThongStore
import LienThongCore

extension FeedPuller {
    /// Pulls `feed` until caught up and notes the outcome in the store's pull status, which
    /// `lienthong status` shows. After a failure the next attempt is due `retryIn(error)` later (nil: none
    /// is scheduled). A pull interrupted by cancellation is not an outcome and is not noted. With `mode`,
    /// the pull asks that way and notes it, and the propagation delays measured, in the pull status (nil: a
    /// one-shot pull that asks at once and leaves the daemon's mode as it is).
    public func pullRecordingStatus(
        _ feed: PulledFeed, store: Store, mode: PullMode? = nil, retryIn: (PullError) -> Duration?, progress: (PulledPage) -> Void = { _ in }
    ) async -> Result<PullSummary, PullError> {
        let result: Result<PullSummary, PullError>
        do {
            result = .success(try await pullUntilCaughtUp(feed, waitSeconds: mode?.waitSeconds ?? 0, progress: progress))
        } catch {
            result = .failure(error)
        }
        // A feed another daemon took over is that daemon's to report on.
        guard !Task.isCancelled, result.failure?.reason != .leaseLost else { return result }
        let retryDelay = result.failure.flatMap(retryIn)
        // Best effort: a store that cannot take the note fails the pull itself too, which is reported.
        _ = try? await store.write(at: clock.now) { transaction in
            // Only while this daemon still holds the feed's lease: a feed another took over is that one's to report.
            if let lease = feed.lease { try transaction.confirmLease(lease.lease, seconds: lease.seconds) }
            switch result {
            case .success:
                try transaction.recordPullSuccess(peer: feed.peer, dataset: feed.dataset)
            case .failure(let error):
                // The delay comes from the peer's Retry-After too: UnixTime's sum saturates rather than trap.
                let due = retryDelay.map { (transaction.now + $0).milliseconds }
                try transaction.recordPullFailure(peer: feed.peer, dataset: feed.dataset, reason: error.description, nextAttemptAt: due)
            }
            if let mode {
                let delays = (try? result.get())?.delays ?? result.failure?.progress.delays ?? DelayHistogram()
                try transaction.recordFeedMode(peer: feed.peer, dataset: feed.dataset, mode: mode.feedMode, delays: delays)
            }
        }
        return result
    }
}

extension Result {
    /// The error, or nil on success.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
