import Foundation
import LienThongAgency
import LienThongCore
import LienThongDaemon
import LienThongFeed
import LienThongHTTP
import LienThongPoller
import LienThongPublisher
import LienThongSchema
import LienThongStore
import LienThongTestSupport
import Testing

/// The daemon's pull noting the schema each peer lists (docs/SCHEMA.md, "The shared dictionary").
@Suite("The daemon's pull: the peer's schema")
struct PeerSchemaTests {
    static let schema = try! DatasetSchema(declaration: try! JSONValue(parsing: #"{"additional": "allow", "fields": {"ho_ten": {"type": "string"}}}"#))

    @Test("the digest of the schema the peer lists is noted with the feed's pull status, or none", arguments: [true, false])
    func notedAfterThePull(listsSchema: Bool) async throws {
        let publisherStore = try TemporaryStore()
        try seedOwnFeed(publisherStore.store)
        var settings = publisherSettings()
        if listsSchema { settings.schemas = [danCu: Self.schema] }
        let publisher = Publisher(settings: settings, store: publisherStore.store, logger: quietLogger)
        let local = try TemporaryStore()
        let pull = PullScheduler.recordingStatus(
            FeedPuller(agency: boYTe, client: testClient, store: local.store, tokens: boYTeSigner, clockSkewSeconds: 300), store: local.store
        )
        try await publisher.serving { port in
            let feed = ScheduledFeed(
                feed: PulledFeed(
                    peer: boCongAn, baseURL: URL(string: "http://127.0.0.1:\(port)")!, dataset: danCu, policy: .lww, keys: [publisherKey.publicKey],
                    transfer: TransferOptions(), schema: Self.schema
                ),
                interval: .seconds(30)
            )
            _ = try await pull(PullAttempt(feed: feed, maximumWaitSeconds: 1, retryIn: { _ in .seconds(5) }, progressed: {})).get()
        }
        let noted = try await local.store.read { try $0.pullStatus(peer: boCongAn, dataset: danCu) }?.peerSchemaSHA256
        #expect(noted == (listsSchema ? try DatasetList.schemaDigest(Self.schema.declaration) : PeerSchema.none))
    }
}
