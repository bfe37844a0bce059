public import LienThongCore

/// A clock that stands still until a test moves it, so that code which waits can be tested without waiting.
///
/// ``advance(by:)`` and ``advance(to:)`` move straight to the new time and wake every sleeper whose deadline
/// has come, each seeing the new `now` (not its deadline): to see each deadline in turn, advance to each.
/// Nothing here sleeps for real, except the bound on ``waitForSleepers(timeout:where:)`` when what it waits
/// for never happens.
public final class ManualClock: UnixClock {
    private struct Sleeper {
        let id: UInt64
        let deadline: UnixTime
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Watcher {
        let id: UInt64
        let condition: @Sendable ([UnixTime]) -> Bool
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now: UnixTime
        var sleepers: [Sleeper] = []
        var watchers: [Watcher] = []
        var lastID: UInt64 = 0

        mutating func nextID() -> UInt64 {
            lastID += 1
            return lastID
        }

        var deadlines: [UnixTime] { sleepers.map(\.deadline).sorted() }

        /// The watchers whose condition now holds, taken out of the list.
        mutating func satisfiedWatchers() -> [Watcher] {
            let deadlines = deadlines
            let satisfied = watchers.filter { $0.condition(deadlines) }
            watchers.removeAll { watcher in satisfied.contains { $0.id == watcher.id } }
            return satisfied
        }
    }

    private let state: Locked<State>

    /// A clock that reads `now` until it is moved; by default 2026-09-21T14:13:20Z.
    public init(now: UnixTime = UnixTime(seconds: 1_790_000_000)) {
        state = Locked(State(now: now))
    }

    public var now: UnixTime { state.withLock { $0.now } }

    /// The deadlines of the tasks sleeping on this clock, earliest first.
    public var sleepers: [UnixTime] { state.withLock { $0.deadlines } }

    public func sleep(until deadline: UnixTime) async throws {
        let id = state.withLock { $0.nextID() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Checked under the lock that the cancellation handler takes too, so that no sleeper is left behind.
                let (outcome, watchers) = state.withLock { state -> (Result<Void, any Error>?, [Watcher]) in
                    if Task.isCancelled { return (.failure(CancellationError()), []) }
                    if deadline <= state.now { return (.success(()), []) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return (nil, state.satisfiedWatchers())
                }
                if let outcome { continuation.resume(with: outcome) }
                for watcher in watchers { watcher.continuation.resume() }
            }
        } onCancel: {
            let (sleeper, watchers) = state.withLock { state -> (Sleeper?, [Watcher]) in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return (nil, []) }
                return (state.sleepers.remove(at: index), state.satisfiedWatchers())
            }
            sleeper?.continuation.resume(throwing: CancellationError())
            for watcher in watchers { watcher.continuation.resume() }
        }
    }

    /// Moves the clock on by `duration` and wakes the sleepers whose deadline has come.
    public func advance(by duration: Duration) {
        let now = self.now
        advance(to: now + duration)
    }

    /// Moves the clock to `time` (never back) and wakes the sleepers whose deadline has come, earliest first.
    public func advance(to time: UnixTime) {
        let (woken, watchers) = state.withLock { state -> ([Sleeper], [Watcher]) in
            state.now = max(state.now, time)
            let now = state.now
            let woken = state.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= now }
            return (woken, state.satisfiedWatchers())
        }
        for sleeper in woken { sleeper.continuation.resume() }
        for watcher in watchers { watcher.continuation.resume() }
    }

    /// Returns once the deadlines of the sleepers (earliest first) satisfy `condition`: the way for a test to
    /// know that the code under test has reached its wait. Throws ``ManualClockTimeout`` if that has not
    /// happened after `timeout` of real time, which only a failing test waits for; the default is generous
    /// because beside a whole suite on two cores a task may wait seconds for a thread.
    public func waitForSleepers(
        timeout: Duration = .seconds(30), where condition: @escaping @Sendable (_ deadlines: [UnixTime]) -> Bool
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.watch(condition) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw ManualClockTimeout(now: self.now, sleepers: self.sleepers)
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    private func watch(_ condition: @escaping @Sendable ([UnixTime]) -> Bool) async {
        let id = state.withLock { $0.nextID() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if Task.isCancelled || condition(state.deadlines) { return true }
                    state.watchers.append(Watcher(id: id, condition: condition, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let watcher = state.withLock { state -> Watcher? in
                guard let index = state.watchers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.watchers.remove(at: index)
            }
            watcher?.continuation.resume()
        }
    }
}

/// What a test waited for on a ``ManualClock`` did not happen in time.
public struct ManualClockTimeout: Error, CustomStringConvertible {
    public let now: UnixTime
    public let sleepers: [UnixTime]

    public var description: String {
        "the sleepers did not reach the state waited for; at \(now.milliseconds) ms they wait until \(sleepers.map(\.milliseconds))"
    }
}
