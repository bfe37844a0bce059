import Foundation
import LienThongCore
import LienThongFeed
import LienThongPoller
import LienThongPublisher
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Testing

/// The puller's side of live feeds (docs/PROTOCOL.md, "Live feeds"), against a real publisher over loopback.
@Suite("Puller: live feeds")
struct LivePullTests {
    @Test("the mode follows the dataset list: live with the advertised wait_max, polled without one", arguments: [Int64(25), 7, nil] as [Int64?])
    func modeFromDatasetList(waitMax: Int64?) async throws {
        let publisherStore = try TemporaryStore()
        try seedOwnFeed(publisherStore.store)
        var settings = publisherSettings()
        settings.longPoll = LongPollSettings(waitMaxSeconds: waitMax, perPeer: 4, total: 10)
        let publisher = Publisher(settings: settings, store: publisherStore.store, logger: quietLogger)
        let local = try TemporaryStore()
        let puller = FeedPuller(agency: boYTe, client: testClient, store: local.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        try await publisher.serving { port in
            let mode = PullMode(listing: try await puller.listing(of: pulledFeed(peer: boCongAn, port: port, dataset: danCu, key: publisherKey)))
            #expect(mode == (waitMax.map { .live(waitSeconds: $0) } ?? .polled))
            // A dataset the list does not grant is an error that says so.
            let refused = await #expect(throws: PullError.self) {
                try await puller.listing(of: pulledFeed(peer: boCongAn, port: port, dataset: hoTich, key: publisherKey))
            }
            #expect(refused?.description.contains("does not grant") == true)
        }
    }

    @Test(
        "a dataset list's wait_max is read from 1 to 55; 0, 56 or a non-integer refuses the list",
        arguments: [(JSONValue.integer(1), true), (.integer(55), true), (.integer(0), false), (.integer(56), false), (.string("25"), false)]
    )
    func waitMaxBounds(waitMax: JSONValue, accepted: Bool) throws {
        let now = wallTime()
        guard case .object(var list) = try DatasetList.payload(
            publisher: boCongAn, audience: boYTe, issuedAt: now.seconds, expiresAt: now.seconds + 60, datasets: [(danCu, 3, nil)], waitMaxSeconds: 25
        ), case .array(let entries) = list["datasets"], case .object(var entry) = entries.first else {
            Issue.record("the payload has no dataset entry")
            return
        }
        entry["wait_max"] = waitMax
        list["datasets"] = .array([.object(entry)])
        let compact = Array(try JWSSigner(key: publisherKey).sign(json: .object(list), type: DatasetList.type).utf8)
        let read = { () throws(DatasetListError) -> [DatasetName: DatasetList.Entry] in
            try DatasetList.verify(compact, keys: [publisherKey.publicKey], publisher: boCongAn, audience: boYTe, now: now, clockSkewSeconds: 300)
        }
        if accepted {
            #expect(try read()[danCu] == DatasetList.Entry(head: 3, waitMaxSeconds: waitMax.int64Value))
        } else {
            let error = #expect(throws: DatasetListError.self) { try read() }
            #expect(error?.description.contains("wait_max") == true)
        }
    }

    @Test("a live pull is held until the publisher commits, then brings the new record, its delay measured")
    func heldUntilCommit() async throws {
        let publisherStore = try TemporaryStore()
        try seedOwnFeed(publisherStore.store)
        let publisher = Publisher(settings: publisherSettings(), store: publisherStore.store, logger: quietLogger)
        let local = try TemporaryStore()
        let puller = FeedPuller(agency: boYTe, client: testClient, store: local.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        let writer = publisherStore.store
        try await publisher.serving { port in
            let feed = pulledFeed(peer: boCongAn, port: port, dataset: danCu, key: publisherKey)
            let initial = try await puller.pullUntilCaughtUp(feed)
            #expect(initial.cursor == 3)
            async let live = puller.pullUntilCaughtUp(feed, waitSeconds: 20)
            for _ in 0..<2000 where publisher.heldRequestCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
            try #require(publisher.heldRequestCount == 1)
            let started = ContinuousClock.now
            try await writer.write { transaction in
                try transaction.edit(dataset: danCu, id: "cd-004", agency: boCongAn, deleted: false, data: .object(["ho_ten": .string("Mới")]), policy: .lww)
            }
            let summary = try await live
            // Held for up to 20 s: it ended with the commit.
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(summary.mode == .live(waitSeconds: 20))
            #expect(summary.applied == 1 && summary.cursor == 4)
            #expect(summary.delays.total == 1)
            #expect(try await local.store.read { try $0.visibleRecord(dataset: danCu, id: "cd-004") } != nil)
            // Nothing more: the next live pull is held to its end, then answered 304 thanks to the kept ETag.
            let quiet = try await puller.pullUntilCaughtUp(feed, waitSeconds: 1)
            #expect(quiet.unchanged)
        }
    }
}
