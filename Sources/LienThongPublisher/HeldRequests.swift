import LienThongCore
import LienThongMetrics

/// The feed requests held until their dataset's own feed grows (docs/PROTOCOL.md, "Live feeds"): counted
/// per requester and in all, and parked in their dataset's waiter set — a continuation each, no thread —
/// until a commit raises the head past their `after`, the settings change, the publisher stops, or their
/// wait ends.
///
/// A commit is announced in two steps: ``noteCommitHint()`` first, then ``wake(heads:)`` with the heads read
/// after it. A request notes ``generation`` before it reads the store and waits only if no hint came since,
/// so that a commit between its read and its wait is never missed.
final class HeldRequests: Sendable {
    private struct Waiter {
        let after: Int64
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var perRequester: [AgencyID: Int] = [:]
        var total = 0
        var waiters: [DatasetName: [Int: Waiter]] = [:]
        /// Waits not parked yet, and those of them cancelled already: a cancelled one must not park. A wait
        /// that was parked and woken is in neither, so a late cancellation leaves nothing behind.
        var unparked: Set<Int> = []
        var cancelled: Set<Int> = []
        var nextID = 0
        var generation = 0
        var stopping = false
    }

    private let state = Locked(State())
    private let metrics: FeedMetrics

    init(metrics: FeedMetrics) {
        self.metrics = metrics
    }

    /// Counts commit hints and wake-ups: a request compares it before and after its read of the store.
    var generation: Int { state.withLock(\.generation) }

    /// Whether the publisher is stopping: requests are no longer held, and held ones answer now.
    var isStopping: Bool { state.withLock(\.stopping) }

    /// Requests held now.
    var count: Int { state.withLock(\.total) }

    /// Counts one more request held for `requester`, or refuses it with `503` when `requester` holds
    /// `limits.perPeer` already or the publisher `limits.total`.
    func admit(_ requester: AgencyID, limits: LongPollSettings) throws(PublisherError) {
        let refusal = state.withLock { state -> String? in
            if state.perRequester[requester, default: 0] >= limits.perPeer {
                return "\(requester) holds \(limits.perPeer) waiting requests already"
            }
            if state.total >= limits.total { return "the publisher holds \(limits.total) waiting requests already" }
            state.perRequester[requester, default: 0] += 1
            state.total += 1
            return nil
        }
        if let refusal { throw .unavailable("\(refusal); ask again without wait, or later", retryAfter: Self.retryAfterSeconds) }
        metrics.setHeldRequests(count)
    }

    /// Gives back what ``admit(_:limits:)`` counted.
    func release(_ requester: AgencyID) {
        state.withLock { state in
            let held = state.perRequester[requester, default: 0]
            state.perRequester[requester] = held > 1 ? held - 1 : nil
            state.total = max(state.total - 1, 0)
        }
        metrics.setHeldRequests(count)
    }

    /// Waits until the head of `dataset` passes `after`, the settings change or the publisher stops — each
    /// announced after `generation`, which the caller read before it read the store — or until `deadline`
    /// on `clock`, or cancellation. The caller looks at the store again either way.
    func wait(dataset: DatasetName, after: Int64, since generation: Int, until deadline: UnixTime, clock: any UnixClock) async {
        let id = state.withLock { state in
            state.nextID &+= 1
            state.unparked.insert(state.nextID)
            return state.nextID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(until: deadline) }
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let parked = self.state.withLock { state -> Bool in
                            state.unparked.remove(id)
                            let cancelled = state.cancelled.remove(id) != nil
                            guard !cancelled, !state.stopping, state.generation == generation else { return false }
                            state.waiters[dataset, default: [:]][id] = Waiter(after: after, continuation: continuation)
                            return true
                        }
                        if !parked { continuation.resume() }
                    }
                } onCancel: {
                    self.cancel(id, dataset: dataset)
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func cancel(_ id: Int, dataset: DatasetName) {
        let waiter = state.withLock { state -> Waiter? in
            guard let waiter = state.waiters[dataset]?.removeValue(forKey: id) else {
                if state.unparked.contains(id) { state.cancelled.insert(id) }
                return nil
            }
            if state.waiters[dataset]?.isEmpty == true { state.waiters[dataset] = nil }
            return waiter
        }
        waiter?.continuation.resume()
    }

    /// Announces that a commit may have added to the own feed: requests about to wait look again.
    func noteCommitHint() {
        state.withLock { $0.generation &+= 1 }
    }

    /// The datasets that have requests waiting: the follower reads their heads after a hint.
    var datasetsWaiting: [DatasetName] { state.withLock { Array($0.waiters.keys) } }

    /// Wakes the requests whose `after` is below their dataset's head in `heads`.
    func wake(heads: [DatasetName: Int64]) {
        let woken = state.withLock { state -> [Waiter] in
            var woken: [Waiter] = []
            for (dataset, head) in heads {
                guard let waiting = state.waiters[dataset] else { continue }
                let ready = waiting.filter { $0.value.after < head }
                for id in ready.keys { state.waiters[dataset]?[id] = nil }
                if state.waiters[dataset]?.isEmpty == true { state.waiters[dataset] = nil }
                woken += ready.values
            }
            return woken
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Wakes every held request, to look at new settings (`stopping`: and to answer now, as the publisher stops).
    func wakeAll(stopping: Bool = false) {
        let woken = state.withLock { state -> [Waiter] in
            state.generation &+= 1
            if stopping { state.stopping = true }
            let woken = state.waiters.values.flatMap(\.values)
            state.waiters = [:]
            return woken
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// How long a request refused for the bounds is asked to wait.
    static let retryAfterSeconds: Int64 = 5
}
