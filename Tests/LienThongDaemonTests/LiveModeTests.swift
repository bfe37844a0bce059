import Foundation
import LienThongAgency
import LienThongCore
import LienThongDaemon
import LienThongHTTP
import LienThongPoller
import LienThongPublisher
import LienThongStore
import LienThongTestSupport
import Testing

/// The daemon's pull deciding between live and polled, against a real publisher over loopback.
@Suite("The daemon's pull: live or polled")
struct LiveModeTests {
    @Test("a long poll refused for the publisher's bounds (503) polls the feed instead, and the pull status says so")
    func refusedLongPollFallsBackToPolling() async throws {
        let publisherStore = try TemporaryStore()
        try seedOwnFeed(publisherStore.store)
        var settings = publisherSettings()
        settings.longPoll = LongPollSettings(waitMaxSeconds: 25, perPeer: 1, total: 10)
        let publisher = Publisher(settings: settings, store: publisherStore.store, logger: quietLogger)
        // Two stores of bo-y-te pulling dan-cu, each with the daemon's pull: the first one's long poll takes the
        // agency's one held request.
        let (first, second) = (try TemporaryStore(), try TemporaryStore())
        let pulls = [first, second].map { local in
            PullScheduler.recordingStatus(
                FeedPuller(agency: boYTe, client: testClient, store: local.store, tokens: boYTeSigner, clockSkewSeconds: 300), store: local.store
            )
        }
        try await publisher.serving { port in
            let feed = ScheduledFeed(
                feed: PulledFeed(
                    peer: boCongAn, baseURL: URL(string: "http://127.0.0.1:\(port)")!, dataset: danCu, policy: .lww, keys: [publisherKey.publicKey],
                    transfer: TransferOptions()
                ),
                interval: .seconds(30)
            )
            func attempt(maximumWait: Int64) -> PullAttempt {
                PullAttempt(feed: feed, maximumWaitSeconds: maximumWait, retryIn: { _ in .seconds(5) }, progressed: {})
            }
            // Each catches up at once (records to send), live.
            for pull in pulls { #expect(try await pull(attempt(maximumWait: 10)).get().mode == .live(waitSeconds: 10)) }
            async let held = pulls[0](attempt(maximumWait: 10))
            for _ in 0..<2000 where publisher.heldRequestCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
            try #require(publisher.heldRequestCount == 1)
            let refused = await pulls[1](attempt(maximumWait: 10))
            guard case .failure(let error) = refused else {
                Issue.record("the second long poll was not refused: \(refused)")
                return
            }
            #expect(error.status == 503)
            #expect(try await second.store.read { try $0.pullStatus(peer: boCongAn, dataset: danCu) }?.mode == .polled)
            // The next attempt polls: answered at once, without wait.
            let polled = try await pulls[1](attempt(maximumWait: 10)).get()
            #expect(polled.mode == .polled && polled.unchanged)
            #expect(try await held.get().mode == .live(waitSeconds: 10))
            #expect(try await first.store.read { try $0.pullStatus(peer: boCongAn, dataset: danCu) }?.mode == .live)
        }
    }
}
