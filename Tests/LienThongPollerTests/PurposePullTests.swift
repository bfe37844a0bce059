import Foundation
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongPoller
import LienThongPublisher
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Testing

/// The puller's side of purpose-bound grants (docs/PROTOCOL.md, "Purposes"), over loopback.
@Suite("Pulling with a stated purpose")
struct PurposePullTests {
    static let verification = try! PurposeCode("xac-minh-tiem-chung")
    static let research = try! PurposeCode("nghien-cuu")

    /// bo-cong-an's dan-cu at `port`, pulled stating `purpose`.
    static func feed(port: Int, purpose: PurposeCode?) -> PulledFeed {
        PulledFeed(
            peer: boCongAn, baseURL: URL(string: "http://127.0.0.1:\(port)")!, dataset: danCu, policy: .lww, keys: [publisherKey.publicKey],
            transfer: TransferOptions(), purpose: purpose
        )
    }

    @Test("a real publisher whose grant names purposes serves the puller that states one of them, and refuses one stating none or another")
    func realPublisher() async throws {
        var settings = publisherSettings()
        settings.peers[boYTe]?.grants[danCu] = DatasetGrant(fields: grantedFields, purposes: [Self.verification], legalBasis: "Luật Tiêm chủng")
        let publisherStore = try TemporaryStore()
        try seedOwnFeed(publisherStore.store)
        let pullerStore = try TemporaryStore()
        let puller = FeedPuller(agency: boYTe, client: testClient, store: pullerStore.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        try await Publisher(settings: settings, store: publisherStore.store, logger: quietLogger).serving { port in
            for purpose in [nil, Self.research] {
                let error = await #expect(throws: PullError.self) { try await puller.pullUntilCaughtUp(Self.feed(port: port, purpose: purpose)) }
                #expect(error?.status == 403)
                #expect(error?.description.contains("(\"purpose\")") == true, "\(String(describing: error))")
            }
            let summary = try await puller.pullUntilCaughtUp(Self.feed(port: port, purpose: Self.verification))
            #expect(summary.applied == 3 && summary.cursor == 3)
            // The ETag kept with the cursor was made for this purpose: the next pull is a 304.
            #expect(try await puller.pullUntilCaughtUp(Self.feed(port: port, purpose: Self.verification)).unchanged)
        }
        let served = try await publisherStore.store.read { try $0.auditEvents() }.filter { $0.event == "page served" }
        #expect(served.count == 1)
        #expect(try served.allSatisfy { try JSONValue(parsing: $0.detail)["purpose"] == .string("xac-minh-tiem-chung") })
    }

    @Test(
        "a page whose echoed purpose is not the one stated is refused with reason purpose, quarantined, and nothing of it applies",
        arguments: [
            (verification, nil), (nil, verification), (verification, research),
        ] as [(PurposeCode?, PurposeCode?)]
    )
    func mismatchingEcho(stated: PurposeCode?, echoed: PurposeCode?) async throws {
        let temporary = try TemporaryStore()
        let server = try LoopbackServer { _ in
            HostilePublisherTests.ok(HostilePublisherTests.page { members in members["purpose"] = echoed.map { .string($0.rawValue) } })
        }
        let puller = FeedPuller(agency: boYTe, client: testClient, store: temporary.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        let error = await #expect(throws: PullError.self) { try await puller.pullUntilCaughtUp(Self.feed(port: server.port, purpose: stated)) }
        #expect(error?.reason == .pageRejected)
        #expect(error?.description.contains("page states purpose") == true, "\(String(describing: error))")
        #expect(try await temporary.store.read { try $0.visibleRecord(dataset: danCu, id: "cd-1") } == nil)
        #expect(try await temporary.store.read { try $0.cursor(peer: boCongAn, dataset: danCu) } == nil)
        #expect(try await temporary.store.read { try $0.quarantined() }.map(\.reason) == ["page: purpose"])
    }
}
