import Foundation
public import LienThongAgency
public import LienThongPoller
public import LienThongStore
public import Logging
import LienThongCore

/// Pulls every configured feed on its own schedule: at the peer's interval with ±10% jitter after a
/// success, with capped exponential backoff (and the peer's `Retry-After`) after a failure.
///
/// The feeds can be replaced while it runs (``update(puller:feeds:)``): a pull in flight finishes with the
/// settings it started with; a feed no longer configured stops after it; a new one starts at once.
public final class PullScheduler: Sendable {
    private struct Loop {
        /// Resumes the loop's nap early, after a reload.
        var waker: CheckedContinuation<Void, Never>?
        /// A reload happened while the loop was not napping: its next nap returns at once.
        var wakePending = false
        /// When the pull in flight started or last applied a page; nil between pulls.
        var lastProgress: ContinuousClock.Instant?
    }

    private struct State {
        var puller: FeedPuller
        var feeds: [FeedKey: ScheduledFeed]
        var loops: [FeedKey: Loop] = [:]

        /// The feeds configured that have no loop yet, now marked as having one.
        mutating func claimUnscheduled() -> [FeedKey] {
            let keys = feeds.keys.filter { loops[$0] == nil }.sorted()
            for key in keys { loops[key] = Loop() }
            return keys
        }
    }

    private let state: Locked<State>
    private let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation
    private let store: Store
    private let backoff: Backoff
    private let logger: Logger

    public init(puller: FeedPuller, feeds: [ScheduledFeed], store: Store, backoff: Backoff = Backoff(base: .seconds(5), cap: .seconds(900)), logger: Logger) {
        state = Locked(State(puller: puller, feeds: Dictionary(feeds.map { ($0.key, $0) }) { $1 }))
        (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        changed.yield()
        self.store = store
        self.backoff = backoff
        self.logger = logger
    }

    /// Replaces the puller and the feeds; every napping loop wakes to look at its new settings.
    public func update(puller: FeedPuller, feeds: [ScheduledFeed]) {
        let wakers = state.withLock { state in
            state.puller = puller
            state.feeds = Dictionary(feeds.map { ($0.key, $0) }) { $1 }
            return state.loops.keys.compactMap { key -> CheckedContinuation<Void, Never>? in
                guard let waker = state.loops[key]?.waker else {
                    state.loops[key]?.wakePending = true
                    return nil
                }
                state.loops[key]?.waker = nil
                return waker
            }
        }
        for waker in wakers { waker.resume() }
        changed.yield()
    }

    /// The feeds whose pull has been in flight for longer than `limit` without applying a page: a sign
    /// that the daemon is stuck, which the watchdog reports by staying silent.
    public func stalledFeeds(limit: Duration) -> [FeedKey] {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.loops.filter { _, loop in loop.lastProgress.map { now - $0 > limit } ?? false }.keys.sorted()
        }
    }

    /// The feeds configured now.
    public var feeds: [ScheduledFeed] { state.withLock { $0.feeds.values.sorted { $0.key < $1.key } } }

    /// Runs every feed's loop until the task is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await _ in changes {
                for key in state.withLock({ $0.claimUnscheduled() }) {
                    group.addTask { await self.loop(key) }
                }
            }
        }
    }

    // MARK: - One feed

    private func loop(_ key: FeedKey) async {
        var failures = 0
        var lastFinished = ContinuousClock.now
        // A short random start, at most a tenth of the interval and a second, spreads the first pulls.
        let spread = min(current(key)?.0.interval ?? .seconds(1), .seconds(10)) / 10
        var due = ContinuousClock.now + spread * Double.random(in: 0..<1)
        if let previous = try? await store.read({ try $0.pullStatus(peer: key.peer, dataset: key.dataset) }),
            let next = previous.nextAttemptAt, !previous.isHealthy
        {
            // Keep a failing peer's backoff across restarts rather than hammering it at once.
            failures = previous.consecutiveFailures
            // The stored time may come from an older release that kept a peer's Retry-After uncapped.
            let (wait, overflow) = next.subtractingReportingOverflow(Store.currentMilliseconds())
            let resume = overflow ? backoff.cap : min(Duration.milliseconds(max(0, wait)), backoff.cap)
            due = max(due, ContinuousClock.now + resume)
        }
        while !Task.isCancelled {
            guard let (scheduled, puller) = current(key) else { break }
            if ContinuousClock.now < due {
                if await nap(key, until: due), failures == 0 {
                    // Woken by a reload: the interval may have changed.
                    due = min(due, lastFinished + scheduled.interval)
                }
                continue
            }
            setProgress(key, .now)
            var delay = Duration.zero
            let result = await puller.pullRecordingStatus(scheduled.feed, store: store, retryIn: { error in
                delay = backoff.delay(afterFailures: failures + 1, retryAfter: error.retryAfter)
                return delay
            }) { _ in self.setProgress(key, .now) }
            setProgress(key, nil)
            guard !Task.isCancelled else { break }
            lastFinished = .now
            switch result {
            case .success(let summary):
                failures = 0
                due = lastFinished + scheduled.interval * Double.random(in: 0.9...1.1)
                if summary.pages > 0 {
                    logger.info("pulled", metadata: Self.metadata(key, [
                        "pages": "\(summary.pages)", "applied": "\(summary.applied)", "already": "\(summary.redundant)",
                        "quarantined": "\(summary.quarantined)", "cursor": "\(summary.cursor)", "head": "\(summary.head)",
                    ]))
                } else {
                    logger.debug("unchanged", metadata: Self.metadata(key, ["cursor": "\(summary.cursor)"]))
                }
            case .failure(let error):
                failures += 1
                due = lastFinished + delay
                logger.warning("pull failed", metadata: Self.metadata(key, [
                    "reason": "\(error.reason)", "error": "\(error.description)", "failures": "\(failures)", "retry_in_s": "\(delay.components.seconds)",
                ]))
            }
        }
        // Leave, unless the feed was configured again meanwhile; then the supervisor starts it anew.
        let restart = state.withLock { state -> Bool in
            state.loops[key] = nil
            return state.feeds[key] != nil
        }
        if restart, !Task.isCancelled { changed.yield() }
    }

    private func current(_ key: FeedKey) -> (ScheduledFeed, FeedPuller)? {
        state.withLock { state in state.feeds[key].map { ($0, state.puller) } }
    }

    private func setProgress(_ key: FeedKey, _ instant: ContinuousClock.Instant?) {
        state.withLock { $0.loops[key]?.lastProgress = instant }
    }

    /// Sleeps until `deadline`. Returns true when a reload woke it first, false at the deadline or when
    /// the task is cancelled.
    private func nap(_ key: FeedKey, until deadline: ContinuousClock.Instant) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await Task.sleep(until: deadline)
                return false
            }
            group.addTask { await self.waitForWake(key) }
            let woken = await group.next() ?? false
            group.cancelAll()
            return woken && !Task.isCancelled
        }
    }

    /// Waits for ``update(puller:feeds:)`` to wake this loop; returns false if cancelled first.
    private func waitForWake(_ key: FeedKey) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    guard state.loops[key] != nil, !Task.isCancelled, state.loops[key]?.wakePending == false else {
                        state.loops[key]?.wakePending = false
                        return true
                    }
                    state.loops[key]?.waker = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            return !Task.isCancelled
        } onCancel: {
            let waker = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.loops[key]?.waker = nil }
                return state.loops[key]?.waker
            }
            waker?.resume()
        }
    }

    private static func metadata(_ key: FeedKey, _ extra: Logger.Metadata) -> Logger.Metadata {
        extra.merging(["peer": "\(key.peer)", "dataset": "\(key.dataset)"]) { $1 }
    }
}
