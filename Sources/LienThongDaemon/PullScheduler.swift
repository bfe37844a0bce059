import Foundation
import LienThongFeed
public import LienThongMetrics
public import LienThongAgency
public import LienThongCore
public import LienThongPoller
public import LienThongStore
public import Logging
public import ServiceLifecycle

/// Pulls every configured feed on its own schedule: after a live pull (the peer held its request until its
/// feed grew, docs/PROTOCOL.md "Live feeds") at once; after a polled one at the peer's interval with ±10%
/// jitter; after a failure with capped exponential backoff (and the peer's `Retry-After`).
///
/// The feeds can be replaced while it runs (``update(feeds:pull:)``): a pull in flight finishes with the
/// settings it started with; a feed no longer configured stops after it; a new one starts at once; a
/// changed interval counts from the end of the last pull. A graceful shutdown (or cancelling ``run()``)
/// cancels the pulls in flight — the page being applied commits or rolls back — and ends the waits at once.
///
/// Time comes from the injected clock and the network from the injected ``Pull``, so that all of this is
/// tested with a manual clock and no peer (`Tests/LienThongDaemonTests/PullSchedulerTests.swift`).
public final class PullScheduler: Service {
    /// Pulls one feed once; in the daemon ``recordingStatus(_:store:metrics:)``.
    public typealias Pull = @Sendable (_ attempt: PullAttempt) async -> Result<PullSummary, PullError>

    /// What wakes a feed's loop from its wait. Each feed has a stream of them that keeps only the newest:
    /// reloads that come while it pulls add up to one look at the new settings.
    private enum WakeUp: Sendable {
        /// The configuration was reloaded.
        case reloaded
        /// A wait until this deadline ended; a later wait may have replaced it.
        case due(UnixTime)
    }

    private struct Loop {
        let wake: AsyncStream<WakeUp>.Continuation
        /// When the pull in flight started or last applied a page; nil between pulls.
        var lastProgress: UnixTime?
    }

    private struct State {
        var pull: Pull
        var feeds: [FeedKey: ScheduledFeed]
        var loops: [FeedKey: Loop] = [:]

        /// The feeds configured that have no loop yet, now marked as having one, each with its wake-ups.
        mutating func claimUnscheduled() -> [(FeedKey, AsyncStream<WakeUp>, AsyncStream<WakeUp>.Continuation)] {
            feeds.keys.filter { loops[$0] == nil }.sorted().map { key in
                let (wakeUps, wake) = AsyncStream.makeStream(of: WakeUp.self, bufferingPolicy: .bufferingNewest(1))
                loops[key] = Loop(wake: wake)
                return (key, wakeUps, wake)
            }
        }
    }

    private let state: Locked<State>
    /// Tells ``run()`` to start the loops of feeds that have none.
    private let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation
    private let store: Store
    private let clock: any UnixClock
    private let backoff: Backoff
    private let jitter: @Sendable () -> Double
    private let logger: Logger
    private let leases: LeaseTerms?

    /// `store` holds the pull status, whose stored next attempt after a failure is kept across restarts (cut
    /// to the backoff's cap). `jitter` gives a number in 0...1 for each random choice: where in the start
    /// spread, in the interval's ±10% and in the backoff's range a wait falls; tests fix it.
    public init(
        feeds: [ScheduledFeed], store: Store, clock: any UnixClock, backoff: Backoff = Backoff(base: .seconds(5), cap: .seconds(900)),
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }, leases: LeaseTerms? = nil, logger: Logger, pull: @escaping Pull
    ) {
        state = Locked(State(pull: pull, feeds: Self.byKey(feeds)))
        (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        changed.yield()
        self.store = store
        self.clock = clock
        self.backoff = backoff
        self.jitter = jitter
        self.leases = leases
        self.logger = logger
    }

    /// Replaces the feeds and the pull; every waiting loop wakes to look at its new settings.
    public func update(feeds: [ScheduledFeed], pull: @escaping Pull) {
        let wakes = state.withLock { state in
            state.pull = pull
            state.feeds = Self.byKey(feeds)
            return state.loops.values.map(\.wake)
        }
        for wake in wakes { wake.yield(.reloaded) }
        changed.yield()
    }

    /// The feeds whose pull has been in flight for longer than `limit` without applying a page: a sign
    /// that the daemon is stuck, which the watchdog reports by staying silent.
    public func stalledFeeds(limit: Duration) -> [FeedKey] {
        let now = clock.now
        return state.withLock { state in
            state.loops.filter { _, loop in loop.lastProgress.map { now - $0 > limit } ?? false }.keys.sorted()
        }
    }

    /// The feeds configured now.
    public var feeds: [ScheduledFeed] { state.withLock { $0.feeds.values.sorted { $0.key < $1.key } } }

    /// Runs every feed's loop until a graceful shutdown or cancellation.
    public func run() async {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for await _ in self.changes {
                    for (key, wakeUps, wake) in self.state.withLock({ $0.claimUnscheduled() }) {
                        group.addTask { await self.loop(key, wakeUps: wakeUps, wake: wake) }
                    }
                }
            }
        }
    }

    // MARK: - One feed

    private func loop(_ key: FeedKey, wakeUps: AsyncStream<WakeUp>, wake: AsyncStream<WakeUp>.Continuation) async {
        var wakeUps = wakeUps.makeAsyncIterator()
        var failures = 0
        var lastFinished = clock.now
        // A short random start, at most a tenth of the interval and a second, spreads the first pulls.
        let spread = min(current(key)?.0.interval ?? .seconds(1), .seconds(10)) / 10
        var due = clock.now + spread * jitter()
        if let previous = try? await store.read({ try $0.pullStatus(peer: key.peer, dataset: key.dataset) }),
            let next = previous.nextAttemptAt, !previous.isHealthy
        {
            // Keep a failing peer's backoff across restarts rather than hammering it at once. The stored time
            // may come from an older release that kept a peer's Retry-After uncapped.
            failures = previous.consecutiveFailures
            let resume = min(max(UnixTime(milliseconds: next) - clock.now, .zero), backoff.cap)
            due = max(due, clock.now + resume)
        }
        // The feed's lease while this daemon holds it; renewed at least every third of its length.
        var held: LeaseHold?
        attempts: while !Task.isCancelled {
            guard let (scheduled, pull) = current(key) else { break }
            let wakeAt = held.map { _ in min(due, clock.now + .seconds(leases?.renewalSeconds ?? 1)) } ?? due
            if clock.now < wakeAt {
                switch await wait(until: wakeAt, wakeUps: &wakeUps, wake: wake) {
                case nil:
                    break attempts
                case .reloaded:
                    // The interval may have changed; a reload never puts off a pull, nor cuts a backoff short.
                    if failures == 0, let interval = current(key)?.0.interval { due = min(due, lastFinished + interval) }
                    continue
                case .due(let deadline) where deadline == wakeAt:
                    // The wait ended: the pull (or the lease's renewal) is due, even if a step of the wall clock says otherwise.
                    break
                case .due:
                    continue  // A wait since replaced.
                }
            }
            if let leases {
                held = await lease(key, leases, holding: held)
                guard held != nil else {
                    // Another daemon pulls the feed: look again before its lease could have run out twice.
                    due = max(due, clock.now + .seconds(leases.retrySeconds))
                    continue
                }
                if wakeAt < due { continue }  // Woken only to renew the lease.
            }
            setProgress(key, clock.now)
            // One draw per attempt, so that the wait the pull status shows is the one the loop keeps.
            let unit = jitter()
            let retryIn: @Sendable (Duration?) -> Duration = { [backoff, failures] retryAfter in
                backoff.delay(afterFailures: failures + 1, retryAfter: retryAfter, unit: unit)
            }
            // A held request must not outlast the lease: the lease is renewed between pulls.
            let maximumWait = leases.map { $0.renewalSeconds } ?? DatasetList.maximumWaitSeconds
            let started = clock.now
            let result = await pull(PullAttempt(feed: scheduled, lease: held, maximumWaitSeconds: maximumWait, retryIn: retryIn) {
                self.setProgress(key, self.clock.now)
            })
            setProgress(key, nil)
            guard !Task.isCancelled else { break }
            lastFinished = clock.now
            switch result {
            case .success(let summary):
                failures = 0
                if case .live(let waitSeconds) = summary.mode {
                    // The next long poll at once; one the peer did not hold (answered unchanged in under half its
                    // wait) waits a second, so that a peer that stops holding cannot make this a busy loop.
                    let quick = summary.unchanged && lastFinished - started < .seconds(waitSeconds) / 2
                    due = lastFinished + (quick ? .seconds(1) : .zero)
                } else {
                    due = lastFinished + scheduled.interval * (1 + 0.2 * (jitter() - 0.5))
                }
                if summary.pages > 0 {
                    logger.info("pulled", metadata: Self.metadata(key, [
                        "pages": "\(summary.pages)", "applied": "\(summary.applied)", "already": "\(summary.redundant)",
                        "quarantined": "\(summary.quarantined)", "cursor": "\(summary.cursor)", "head": "\(summary.head)",
                    ]))
                } else {
                    logger.debug("unchanged", metadata: Self.metadata(key, ["cursor": "\(summary.cursor)"]))
                }
            case .failure(let error) where error.reason == .leaseLost:
                held = nil
                due = lastFinished
                logger.info("lease lost", metadata: Self.metadata(key, ["error": "\(error.description)"]))
            case .failure(let error):
                let delay = retryIn(error.retryAfter)
                failures += 1
                due = lastFinished + delay
                logger.warning("pull failed", metadata: Self.metadata(key, [
                    "reason": "\(error.reason)", "error": "\(error.description)", "failures": "\(failures)", "retry_in_s": "\(delay.components.seconds)",
                ]))
            }
        }
        // Give the lease up, so that another daemon need not wait for it to run out.
        if let held { _ = try? await store.write { try $0.releaseLease(held.lease) } }
        // Leave, unless the feed was configured again meanwhile; then the supervisor starts it anew.
        let restart = state.withLock { state -> Bool in
            state.loops[key] = nil
            return state.feeds[key] != nil
        }
        wake.finish()
        if restart, !Task.isCancelled { changed.yield() }
    }

    /// Waits for `deadline` on the clock or for a reload, whichever comes first; nil once the task is
    /// cancelled. The clock's wait is the one cancelled when the reload wins, never the stream's: a
    /// cancelled `next()` would end the stream for good.
    private func wait(
        until deadline: UnixTime, wakeUps: inout AsyncStream<WakeUp>.Iterator, wake: AsyncStream<WakeUp>.Continuation
    ) async -> WakeUp? {
        await withDiscardingTaskGroup { timer in
            timer.addTask { [clock] in
                do {
                    try await clock.sleep(until: deadline)
                    wake.yield(.due(deadline))
                } catch {
                    // Cancelled: the reload came first, or the scheduler is stopping.
                }
            }
            let wakeUp = await wakeUps.next()
            timer.cancelAll()
            return Task.isCancelled ? nil : wakeUp
        }
    }

    /// Takes or renews the lease on the feed `key` (renewed when this process holds it as `held`); nil while
    /// another daemon holds it (or the store fails).
    private func lease(_ key: FeedKey, _ terms: LeaseTerms, holding held: LeaseHold?) async -> LeaseHold? {
        do {
            let lease = try await store.write { transaction in
                try transaction.acquireLease(
                    peer: key.peer, dataset: key.dataset, holder: terms.holder, holding: held?.lease.fence, seconds: terms.seconds
                )
            }
            return lease.map { LeaseHold($0, seconds: terms.seconds) }
        } catch {
            logger.warning("lease not taken", metadata: Self.metadata(key, ["error": "\(error)"]))
            return nil
        }
    }

    private func current(_ key: FeedKey) -> (ScheduledFeed, Pull)? {
        state.withLock { state in state.feeds[key].map { ($0, state.pull) } }
    }

    private func setProgress(_ key: FeedKey, _ time: UnixTime?) {
        state.withLock { $0.loops[key]?.lastProgress = time }
    }

    private static func byKey(_ feeds: [ScheduledFeed]) -> [FeedKey: ScheduledFeed] {
        Dictionary(feeds.map { ($0.key, $0) }) { $1 }
    }

    private static func metadata(_ key: FeedKey, _ extra: Logger.Metadata) -> Logger.Metadata {
        extra.merging(["peer": "\(key.peer)", "dataset": "\(key.dataset)"]) { $1 }
    }
}

/// One pull the scheduler asks for.
/// How this daemon takes the leases of the feeds it pulls, while several daemons share the store (docs/STORE.md,
/// "Several daemons"): under which name, for how long.
public struct LeaseTerms: Sendable {
    public let holder: String
    public let seconds: Int64

    public init(holder: String, seconds: Int64) {
        self.holder = holder
        self.seconds = seconds
    }

    /// How often a lease held is renewed while the feed waits for its next pull: a third of its length.
    var renewalSeconds: Int64 { max(1, seconds / 3) }
    /// How often a daemon looks whether a lease another holds has run out: half its length, so that a feed
    /// whose daemon died is taken over within one and a half lengths.
    var retrySeconds: Int64 { max(1, seconds / 2) }
}

public struct PullAttempt: Sendable {
    public let feed: ScheduledFeed
    /// The feed's lease, held for this pull.
    public let lease: LeaseHold?
    /// The longest a live pull may let the peer hold its request: no longer than the lease is renewed.
    public let maximumWaitSeconds: Int64
    /// The wait before the next attempt should this one fail, given the `Retry-After` the peer sent (if any):
    /// the backoff after one more failure, at most its cap. The scheduler waits exactly this long.
    public let retryIn: @Sendable (_ retryAfter: Duration?) -> Duration
    /// Tells the scheduler that the pull applied a page: a pull making progress is not stalled.
    public let progressed: @Sendable () -> Void

    public init(
        feed: ScheduledFeed, lease: LeaseHold? = nil, maximumWaitSeconds: Int64 = 55,
        retryIn: @escaping @Sendable (Duration?) -> Duration, progressed: @escaping @Sendable () -> Void
    ) {
        self.feed = feed
        self.lease = lease
        self.maximumWaitSeconds = maximumWaitSeconds
        self.retryIn = retryIn
        self.progressed = progressed
    }
}

extension PullScheduler {
    /// The daemon's pull: `puller` pulls the feed until caught up — live when the peer's dataset list
    /// advertises `wait_max` for it, polled otherwise — and notes the outcome, with the next attempt after a
    /// failure and the feed's mode, in `store`'s pull status; and in `activity`, the records each page applied
    /// and why the attempt failed, for the status page.
    public static func recordingStatus(_ puller: FeedPuller, store: Store, metrics: FeedMetrics? = nil, activity: PullActivity? = nil) -> Pull {
        let modes = FeedModes()
        return { attempt in
            var feed = attempt.feed.feed
            feed.lease = attempt.lease
            var mode = await modes.mode(of: feed, puller: puller, store: store)
            if case .live(let waitSeconds) = mode { mode = .live(waitSeconds: min(waitSeconds, max(attempt.maximumWaitSeconds, 1))) }
            metrics?.setLive(mode != .polled, peer: feed.peer, dataset: feed.dataset)
            let result = await puller.pullRecordingStatus(feed, store: store, mode: mode, retryIn: { attempt.retryIn($0.retryAfter) }) { page in
                activity?.applied(page.application.applied)
                attempt.progressed()
            }
            // A pull cut short by a shutdown, or by another daemon taking the feed, is not an outcome to show.
            let leaseLost = if case .failure(let error) = result { error.reason == .leaseLost } else { false }
            if !Task.isCancelled, !leaseLost { activity?.noteOutcome(result, of: attempt.feed.key) }
            await modes.noteListedSchema(of: feed, puller: puller, store: store)
            switch result {
            case .failure(let error) where error.status == 503 && mode != .polled:
                // A long poll refused for the publisher's bounds on held requests (or its store): the feed is polled
                // at its interval until the list is read again, rather than asking to be held after each backoff.
                await modes.pollInstead(feed, puller: puller, store: store)
            case .failure:
                // The peer's list is read again: it may have stopped (or started) holding requests.
                modes.forget(feed)
            case .success:
                break
            }
            return result
        }
    }
}

/// What each peer's dataset list said of holding requests, read again every ``refreshInterval`` (on the
/// puller's clock) and after every failure.
final class FeedModes: Sendable {
    static let refreshInterval: Duration = .seconds(600)
    private let known = Locked<[FeedKey: (mode: PullMode, readAt: UnixTime)]>([:])
    /// The schema digest of each list read since the feed's last pull, noted in the store after the pull (which
    /// makes the pull status it is noted in).
    private let unnotedSchemas = Locked<[FeedKey: String]>([:])

    /// The mode of `feed`, read from the peer's list when not known or stale; a changed mode is noted in `store` at once.
    func mode(of feed: PulledFeed, puller: FeedPuller, store: Store) async -> PullMode {
        let key = FeedKey(peer: feed.peer, dataset: feed.dataset)
        let now = puller.clock.now
        if let cached = known.withLock({ $0[key] }), now - cached.readAt < Self.refreshInterval { return cached.mode }
        // A list that cannot be had leaves the feed polled for this attempt; the next asks again.
        guard let listing = try? await puller.listing(of: feed) else { return .polled }
        let mode = PullMode(listing: listing)
        unnotedSchemas.withLock { $0[key] = listing.schemaSHA256 ?? PeerSchema.none }
        await remember(mode, of: feed, at: now, puller: puller, store: store)
        return mode
    }

    /// Polls `feed` until the list is read again, ``refreshInterval`` from now.
    func pollInstead(_ feed: PulledFeed, puller: FeedPuller, store: Store) async {
        await remember(.polled, of: feed, at: puller.clock.now, puller: puller, store: store)
    }

    /// Notes in `store` the schema digest `feed`'s peer listed, if the list was read since the last call.
    func noteListedSchema(of feed: PulledFeed, puller: FeedPuller, store: Store) async {
        guard let digest = unnotedSchemas.withLock({ $0.removeValue(forKey: FeedKey(peer: feed.peer, dataset: feed.dataset)) }) else { return }
        await puller.notePeerSchema(digest == PeerSchema.none ? nil : digest, of: feed, in: store)
    }

    func forget(_ feed: PulledFeed) {
        _ = known.withLock { $0.removeValue(forKey: FeedKey(peer: feed.peer, dataset: feed.dataset)) }
    }

    private func remember(_ mode: PullMode, of feed: PulledFeed, at time: UnixTime, puller: FeedPuller, store: Store) async {
        let previous = known.withLock { $0.updateValue((mode, time), forKey: FeedKey(peer: feed.peer, dataset: feed.dataset)) }
        if previous?.mode != mode { await puller.noteMode(mode, of: feed, in: store) }
    }
}
