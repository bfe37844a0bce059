import Foundation
import LienThongAgency
import LienThongCore
import LienThongDaemon
import LienThongHTTP
// PullError's initializer, for the stand-in's refusals.
@testable import LienThongPoller
import LienThongStore
import LienThongTestSupport
import Logging
import ServiceLifecycle
import Testing

private let boCongAn = try! AgencyID("bo-cong-an")
private let boTuPhap = try! AgencyID("bo-tu-phap")
private let soYTe = try! AgencyID("so-y-te-ha-noi")
private let danCu = try! DatasetName("dan-cu")

/// The feed of `peer`'s dan-cu, pulled every `interval`; nobody serves it, since the stand-in answers.
private func scheduled(_ peer: AgencyID, every interval: Duration) -> ScheduledFeed {
    ScheduledFeed(
        feed: PulledFeed(peer: peer, baseURL: URL(string: "https://\(peer).invalid")!, dataset: danCu, policy: .lww, keys: [], transfer: TransferOptions()),
        interval: interval
    )
}

private func key(_ peer: AgencyID) -> FeedKey { FeedKey(peer: peer, dataset: danCu) }

private func refusal(_ peer: AgencyID, retryAfter: Duration? = nil) -> Result<PullSummary, PullError> {
    .failure(PullError(peer: peer, dataset: danCu, .status, status: 503, retryAfter: retryAfter, "503 Service Unavailable"))
}

/// The real scheduler on a manual clock and a real store, with a stand-in for the network that logs
/// every pull it is asked for. Times are written as the time since the clock's start.
final class SchedulerFixture: Sendable {
    struct Pulled: Equatable, Sendable, CustomStringConvertible {
        let feed: FeedKey
        let after: Duration
        /// Which pull function (before or after a reload) was asked.
        let by: Int

        var description: String { "\(feed) at \(after) by pull \(by)" }
    }

    let clock = ManualClock()
    let start: UnixTime
    let store: Store
    private let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-scheduler-\(UUID().uuidString)")
    private let log = Locked<[Pulled]>([])

    init() throws {
        start = clock.now
        store = try Store(openingAt: folder.appending(path: "store.sqlite"))
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func scheduler(
        _ feeds: [ScheduledFeed], backoff: Backoff = Backoff(base: .seconds(1), cap: .seconds(30)), jitter: Double = 0.5, pull: @escaping PullScheduler.Pull
    ) -> PullScheduler {
        PullScheduler(
            feeds: feeds, store: store, clock: clock, backoff: backoff, jitter: { jitter }, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            pull: pull
        )
    }

    /// A pull that logs each attempt as pull `number` and answers as `answer` does (a success by default).
    func standIn(
        _ number: Int = 1, answer: @escaping @Sendable (PullAttempt) -> Result<PullSummary, PullError> = { _ in .success(PullSummary()) }
    ) -> PullScheduler.Pull {
        { attempt in
            self.log.withLock { $0.append(Pulled(feed: attempt.feed.key, after: self.clock.now - self.start, by: number)) }
            return answer(attempt)
        }
    }

    /// The pulls asked for so far, in time order (then by feed).
    var pulls: [Pulled] { log.withLock { $0 }.sorted { ($0.after, $0.feed) < ($1.after, $1.feed) } }

    /// Returns once the scheduler's waits end exactly at these times.
    func waitForSleepers(_ offsets: [Duration]) async throws {
        let expected = offsets.map { start + $0 }.sorted()
        try await clock.waitForSleepers { $0 == expected }
    }

    func advance(to offset: Duration) { clock.advance(to: start + offset) }
}

/// Runs `scheduler` while `body` runs, then cancels it.
private func running(_ scheduler: PullScheduler, _ body: () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await scheduler.run() }
        try await body()
        group.cancelAll()
    }
}

@Suite("PullScheduler: reloads", .timeLimit(.minutes(1)))
struct PullSchedulerReloadTests {
    @Test("a reload adds a feed at once, stops a removed one, applies a changed interval and the new pull; a feed added back starts anew")
    func addRemoveChange() async throws {
        let fixture = try SchedulerFixture()
        // With the jitter at the middle: the start spread is half a second, an interval is exact.
        let scheduler = fixture.scheduler([scheduled(boCongAn, every: .seconds(60)), scheduled(boTuPhap, every: .seconds(60))], pull: fixture.standIn(1))
        try await running(scheduler) {
            try await fixture.waitForSleepers([.milliseconds(500), .milliseconds(500)])
            fixture.advance(to: .milliseconds(500))
            try await fixture.waitForSleepers([.milliseconds(60_500), .milliseconds(60_500)])

            // bo-cong-an every 20 s now, bo-tu-phap gone, so-y-te added.
            scheduler.update(feeds: [scheduled(boCongAn, every: .seconds(20)), scheduled(soYTe, every: .seconds(60))], pull: fixture.standIn(2))
            #expect(scheduler.feeds.map(\.key) == [key(boCongAn), key(soYTe)])
            // The changed interval counts from the end of the last pull; the new feed waits only its spread.
            try await fixture.waitForSleepers([.milliseconds(1_000), .milliseconds(20_500)])
            fixture.advance(to: .milliseconds(1_000))
            try await fixture.waitForSleepers([.milliseconds(20_500), .milliseconds(61_000)])
            fixture.advance(to: .milliseconds(20_500))
            try await fixture.waitForSleepers([.milliseconds(40_500), .milliseconds(61_000)])

            // bo-tu-phap back: a loop of its own again; the others keep their times.
            scheduler.update(
                feeds: [scheduled(boCongAn, every: .seconds(20)), scheduled(boTuPhap, every: .seconds(60)), scheduled(soYTe, every: .seconds(60))],
                pull: fixture.standIn(3)
            )
            try await fixture.waitForSleepers([.milliseconds(21_000), .milliseconds(40_500), .milliseconds(61_000)])
            fixture.advance(to: .milliseconds(21_000))
            try await fixture.waitForSleepers([.milliseconds(40_500), .milliseconds(61_000), .milliseconds(81_000)])
        }
        #expect(fixture.pulls == [
            .init(feed: key(boCongAn), after: .milliseconds(500), by: 1), .init(feed: key(boTuPhap), after: .milliseconds(500), by: 1),
            .init(feed: key(soYTe), after: .milliseconds(1_000), by: 2), .init(feed: key(boCongAn), after: .milliseconds(20_500), by: 2),
            .init(feed: key(boTuPhap), after: .milliseconds(21_000), by: 3),
        ])
    }

    @Test("a reload during a pull is looked at once the pull ends: a shorter interval counts from its end")
    func reloadDuringPull() async throws {
        let fixture = try SchedulerFixture()
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        let (started, start) = AsyncStream.makeStream(of: Void.self)
        let scheduler = fixture.scheduler([scheduled(boCongAn, every: .seconds(60))]) { _ in
            start.yield()
            var releases = released.makeAsyncIterator()
            await releases.next()
            return .success(PullSummary())
        }
        try await running(scheduler) {
            var starts = started.makeAsyncIterator()
            try await fixture.waitForSleepers([.milliseconds(500)])
            fixture.advance(to: .milliseconds(500))
            await starts.next()
            scheduler.update(feeds: [scheduled(boCongAn, every: .seconds(10))], pull: fixture.standIn())
            fixture.advance(to: .seconds(2))
            release.yield()
            // The pull that ended at 2 s was due again 60 s later; the reload it missed cuts that to 10 s.
            try await fixture.waitForSleepers([.seconds(12)])
        }
    }
}

@Suite("PullScheduler: live feeds", .timeLimit(.minutes(1)))
struct PullSchedulerLiveTests {
    @Test("after a live pull the next starts at once; after one the peer did not hold, a second later; after a polled one, the interval")
    func liveThenPolled() async throws {
        let fixture = try SchedulerFixture()
        let answers = Locked<[PullSummary]>([
            { var summary = PullSummary(); summary.mode = .live(waitSeconds: 10); summary.pages = 1; return summary }(),
            { var summary = PullSummary(); summary.mode = .live(waitSeconds: 10); summary.unchanged = true; return summary }(),
            { var summary = PullSummary(); summary.mode = .polled; summary.unchanged = true; return summary }(),
        ])
        let scheduler = fixture.scheduler([scheduled(boCongAn, every: .seconds(60))], pull: fixture.standIn { _ in
            .success(answers.withLock { $0.isEmpty ? PullSummary() : $0.removeFirst() })
        })
        try await running(scheduler) {
            try await fixture.waitForSleepers([.milliseconds(500)])
            fixture.advance(to: .milliseconds(500))
            // The live pull that brought a page is followed at once; the one answered unchanged at once (not
            // held: under half its wait) a second later.
            try await fixture.waitForSleepers([.milliseconds(1_500)])
            fixture.advance(to: .milliseconds(1_500))
            try await fixture.waitForSleepers([.milliseconds(61_500)])
        }
        #expect(fixture.pulls.map(\.after) == [.milliseconds(500), .milliseconds(500), .milliseconds(1_500)])
    }
}

@Suite("PullScheduler: backoff", .timeLimit(.minutes(1)))
struct PullSchedulerBackoffTests {
    @Test("after failures the wait doubles up to the cap; a success resets it; the pull is told the wait the scheduler keeps")
    func doublingToCap() async throws {
        let fixture = try SchedulerFixture()
        // A success after five failures, then a failure again.
        let answers = Locked([false, false, false, false, false, true, false])
        let told = Locked<[Duration]>([])
        // With the jitter at the top, each wait is the whole backoff and an interval 10% longer.
        let scheduler = fixture.scheduler([scheduled(boCongAn, every: .seconds(60))], backoff: Backoff(base: .seconds(1), cap: .seconds(8)), jitter: 1) {
            attempt in
            told.withLock { $0.append(attempt.retryIn(nil)) }
            let succeeds = answers.withLock { $0.isEmpty ? true : $0.removeFirst() }
            return succeeds ? .success(PullSummary()) : refusal(boCongAn)
        }
        var waits: [Duration] = []
        try await running(scheduler) {
            var due = fixture.start + .seconds(1)
            for _ in 1...7 {
                let deadline = due
                try await fixture.clock.waitForSleepers { $0 == [deadline] }
                fixture.clock.advance(to: deadline)
                try await fixture.clock.waitForSleepers { $0.count == 1 && $0[0] > deadline }
                due = try #require(fixture.clock.sleepers.first)
                waits.append(due - deadline)
            }
        }
        #expect(waits == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(66), .seconds(1)])
        // What the pull was told for each attempt: the wait should it fail (after five, the sixth would be the cap).
        #expect(told.withLock { $0 } == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8), .seconds(1)])
    }

    @Test("Retry-After is honoured, and cut to the backoff cap", arguments: [
        (nil, .seconds(1)), (.seconds(20), .seconds(20)), (.seconds(3_600), .seconds(30)), (.seconds(RetryAfter.maximumSeconds), .seconds(30)),
    ] as [(Duration?, Duration)])
    func retryAfter(asked: Duration?, wait: Duration) async throws {
        let fixture = try SchedulerFixture()
        let scheduler = fixture.scheduler([scheduled(boCongAn, every: .seconds(60))], jitter: 1, pull: fixture.standIn { _ in refusal(boCongAn, retryAfter: asked) })
        try await running(scheduler) {
            try await fixture.waitForSleepers([.seconds(1)])
            fixture.advance(to: .seconds(1))
            try await fixture.waitForSleepers([.seconds(1) + wait])
        }
    }

    struct StoredAttempt: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let nextAttemptAt: @Sendable (_ now: UnixTime) -> Int64
        let firstWait: Duration
    }

    @Test("on a restart the stored next attempt is kept, cut to the cap, and the failures in a row go on", arguments: [
        StoredAttempt(testDescription: "10 s ahead", nextAttemptAt: { ($0 + .seconds(10)).milliseconds }, firstWait: .seconds(10)),
        StoredAttempt(testDescription: "at Int64.max, an older release's uncapped Retry-After", nextAttemptAt: { _ in .max }, firstWait: .seconds(30)),
        // Only the start spread, a tenth of the interval at most, with the jitter at the top.
        StoredAttempt(testDescription: "an hour ago", nextAttemptAt: { ($0 - .seconds(3_600)).milliseconds }, firstWait: .seconds(1)),
    ])
    func restart(stored: StoredAttempt) async throws {
        let fixture = try SchedulerFixture()
        let next = stored.nextAttemptAt(fixture.start)
        try await fixture.store.write(at: fixture.start) { transaction in
            for _ in 1...3 { try transaction.recordPullFailure(peer: boCongAn, dataset: danCu, reason: "503", nextAttemptAt: next) }
        }
        let scheduler = fixture.scheduler([scheduled(boCongAn, every: .seconds(60))], jitter: 1, pull: fixture.standIn { _ in refusal(boCongAn) })
        try await running(scheduler) {
            try await fixture.waitForSleepers([stored.firstWait])
            fixture.advance(to: stored.firstWait)
            // The fourth failure in a row: 8 s.
            try await fixture.waitForSleepers([stored.firstWait + .seconds(8)])
        }
    }
}

@Suite("PullScheduler: stalls", .timeLimit(.minutes(1)))
struct PullSchedulerStallTests {
    enum Step: Sendable { case applyPage, finish }

    @Test("a pull in flight that applies no page for longer than the limit is stalled, until it applies one or ends")
    func stalled() async throws {
        let fixture = try SchedulerFixture()
        let (steps, step) = AsyncStream.makeStream(of: Step.self)
        let (acknowledged, acknowledge) = AsyncStream.makeStream(of: Void.self)
        // bo-tu-phap's pulls end at once, and its next one is long after this test.
        let scheduler = fixture.scheduler([scheduled(boCongAn, every: .seconds(60)), scheduled(boTuPhap, every: .seconds(3_600))]) { attempt in
            guard attempt.feed.key == key(boCongAn) else { return .success(PullSummary()) }
            acknowledge.yield()
            for await next in steps {
                guard case .applyPage = next else { break }
                attempt.progressed()
                acknowledge.yield()
            }
            return .success(PullSummary())
        }
        let limit = Duration.seconds(300)
        try await running(scheduler) {
            var acknowledgements = acknowledged.makeAsyncIterator()
            try await fixture.waitForSleepers([.milliseconds(500), .milliseconds(500)])
            fixture.advance(to: .milliseconds(500))
            await acknowledgements.next()
            // bo-tu-phap pulled and waits; bo-cong-an's pull hangs.
            try await fixture.waitForSleepers([.milliseconds(3_600_500)])
            #expect(scheduler.stalledFeeds(limit: limit).isEmpty)
            fixture.advance(to: .milliseconds(500) + limit)
            #expect(scheduler.stalledFeeds(limit: limit).isEmpty, "at the limit")
            fixture.advance(to: .milliseconds(501) + limit)
            #expect(scheduler.stalledFeeds(limit: limit) == [key(boCongAn)], "past the limit")
            step.yield(.applyPage)
            await acknowledgements.next()
            #expect(scheduler.stalledFeeds(limit: limit).isEmpty, "a page applied")
            fixture.advance(to: .milliseconds(502) + limit * 2)
            #expect(scheduler.stalledFeeds(limit: limit) == [key(boCongAn)])
            step.yield(.finish)
            try await fixture.waitForSleepers([.milliseconds(60_502) + limit * 2, .milliseconds(3_600_500)])
            #expect(scheduler.stalledFeeds(limit: limit).isEmpty, "the pull ended")
        }
    }
}

@Suite("PullScheduler: graceful shutdown", .timeLimit(.minutes(1)))
struct PullSchedulerShutdownTests {
    enum Moment: String, Sendable, CaseIterable { case waiting, pulling }

    @Test("a graceful shutdown ends run() at once, in a wait or in a pull, and cancels the pull in flight", arguments: Moment.allCases)
    func gracefulShutdown(during moment: Moment) async throws {
        let fixture = try SchedulerFixture()
        let (started, start) = AsyncStream.makeStream(of: Void.self)
        let cancelled = Locked<[Bool]>([])
        // A clock nobody moves: a pull that waits on it hangs until it is cancelled.
        let never = ManualClock()
        let hanging: PullScheduler.Pull = { _ in
            start.yield()
            try? await never.sleep(until: UnixTime(milliseconds: .max))
            cancelled.withLock { $0.append(Task.isCancelled) }
            return .success(PullSummary())
        }
        let scheduler = fixture.scheduler(
            [scheduled(boCongAn, every: .seconds(60)), scheduled(boTuPhap, every: .seconds(60))], pull: moment == .waiting ? fixture.standIn() : hanging
        )
        let services = ServiceGroup(services: [scheduler], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            try await fixture.waitForSleepers([.milliseconds(500), .milliseconds(500)])
            if moment == .pulling {
                fixture.advance(to: .milliseconds(500))
                var starts = started.makeAsyncIterator()
                for _ in 1...2 { await starts.next() }
            }
            await services.triggerGracefulShutdown()
            // Neither clock moves again: the waits and the pulls can only end by the shutdown. (No bound on
            // real time here: beside the whole suite on two cores, a prompt end still takes seconds.)
            try await group.next()
        }
        #expect(fixture.clock.now == fixture.start + (moment == .pulling ? .milliseconds(500) : .zero))
        #expect(fixture.clock.sleepers.isEmpty)
        #expect(fixture.pulls.isEmpty)
        #expect(cancelled.withLock { $0 } == (moment == .pulling ? [true, true] : []))
    }
}
