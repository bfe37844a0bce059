import Foundation
import Hummingbird
import LienThongCore
import LienThongStore
import Logging
import ServiceLifecycle
import Synchronization

/// Wakes held requests when the own feed grows: follows the store's commits (``Store/followCommits(recheckMilliseconds:isStopped:hint:)``)
/// on a thread of its own, and after each hint reads the heads of the datasets that have requests waiting —
/// one read per hint, whatever the number of requests — and wakes those the head passed.
struct CommitFollower: Sendable {
    let store: Store
    let heldRequests: HeldRequests
    let logger: Logger

    /// Follows until cancelled. A store that cannot be followed (its folder unreadable, PostgreSQL unreachable)
    /// is logged and tried again every few seconds; held requests still end at their deadline meanwhile.
    func run() async {
        let stopped = Atomic(false)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                let thread = Thread { [store, heldRequests, logger] in
                    while !stopped.load(ordering: .relaxed) {
                        do {
                            try store.followCommits(isStopped: { stopped.load(ordering: .relaxed) }) {
                                heldRequests.noteCommitHint()
                                let datasets = heldRequests.datasetsWaiting
                                guard !datasets.isEmpty else { return }
                                do {
                                    let heads = try store.read { snapshot in
                                        try Dictionary(uniqueKeysWithValues: datasets.map { ($0, try snapshot.ownFeedHead(dataset: $0)) })
                                    }
                                    heldRequests.wake(heads: heads)
                                } catch {
                                    logger.warning("cannot read the own feed's heads for held requests", metadata: ["error": "\(error)"])
                                }
                            }
                        } catch {
                            logger.warning("cannot follow the store's commits; held requests end at their deadline", metadata: ["error": "\(error)"])
                            for _ in 0..<50 where !stopped.load(ordering: .relaxed) { usleep(100_000) }
                        }
                    }
                    finished.resume()
                }
                thread.name = "lienthong commit follower"
                thread.start()
            }
        } onCancel: {
            stopped.store(true, ordering: .relaxed)
        }
    }
}

/// The publisher as one service: the Hummingbird application and the commit follower. A graceful shutdown
/// first answers the held requests (they would otherwise keep the shutdown waiting for their deadline), then
/// lets Hummingbird finish the requests in flight.
struct PublisherService<Inner: ApplicationProtocol>: Service {
    let application: Inner
    let follower: CommitFollower

    func run() async throws {
        // However the application ends — a graceful shutdown, or cancellation, after which Hummingbird still
        // waits for the requests in flight — no request stays held.
        try await withTaskCancellationHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    await withGracefulShutdownHandler {
                        await cancelWhenGracefulShutdown { await follower.run() }
                    } onGracefulShutdown: {
                        follower.heldRequests.wakeAll(stopping: true)
                    }
                }
                try await application.run()
                // The follower stops with the application.
                group.cancelAll()
            }
        } onCancel: {
            follower.heldRequests.wakeAll(stopping: true)
        }
    }
}
