import Foundation
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongMerge
import LienThongPoller
import LienThongPublisher
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Testing

/// Row 2 of issue 9 over loopback: bo-y-te pulls `dan-cu` (authority of bo-cong-an) from its owner, a real
/// publisher, and from so-tu-phap, a pinned peer that turns hostile and claims the owner's counters.
@Suite("A false claim pulled over loopback (issue 9 row 2)")
struct FalseClaimPullTests {
    @Test("a pinned peer's version claiming vv {owner: 2^53-1} hides nothing, drops no correction, and is quarantined once the owner's feed is caught up")
    func falseClaimOverLoopback() async throws {
        let ownerStore = try TemporaryStore()
        try seedOwnFeed(ownerStore.store)
        let ownerStoreHandle = ownerStore.store
        let owner = Publisher(settings: publisherSettings(), store: ownerStoreHandle, logger: quietLogger)
        // The hostile peer's whole feed: its own version of the owner's record, with a forged vector.
        let forged = RecordVersion(
            dataset: danCu, id: "cd-001", origin: soTuPhap, hlc: HybridTimestamp(milliseconds: (wallClock() - 30) * 1000, counter: 0),
            vv: VersionVector([boCongAn: VersionVector.maximumCounter, soTuPhap: 1]), deleted: false, data: .object(["ho_ten": .string("forged")])
        )
        let hostilePage = { @Sendable in
            let now = wallClock()
            let payload = FeedPage.payload(
                publisher: soTuPhap, audience: boYTe, dataset: danCu, after: 0, head: 1, issuedAt: now, expiresAt: now + 300,
                records: [(seq: 1, version: forged.json)]
            )
            return Array(try! JWSSigner(key: soTuPhapKey).sign(payload: payload.serialized(), type: FeedPage.type).utf8)
        }
        let hostile = try LoopbackServer { _ in .response(status: 200, headers: [("Content-Type", "application/jose")], body: hostilePage()) }
        defer { hostile.stop() }

        let receiver = try TemporaryStore()
        let receiverStore = receiver.store
        let puller = FeedPuller(agency: boYTe, client: testClient, store: receiverStore, tokens: boYTeSigner, clockSkewSeconds: 300)
        let policy = MergePolicy.authority(owner: boCongAn)
        let fromHostile = PulledFeed(
            peer: soTuPhap, baseURL: try #require(URL(string: hostile.url)), dataset: danCu, policy: policy, keys: [soTuPhapKey.publicKey],
            transfer: TransferOptions(), directSources: [boCongAn]
        )
        let visible = { @Sendable in try await receiverStore.read { try $0.visibleRecord(dataset: danCu, id: "cd-001") }?.version }
        try await owner.serving { port in
            let fromOwner = PulledFeed(
                peer: boCongAn, baseURL: URL(string: "http://127.0.0.1:\(port)")!, dataset: danCu, policy: policy,
                keys: [publisherKey.publicKey], transfer: TransferOptions(), directSources: [soTuPhap]
            )
            #expect(try await puller.pullUntilCaughtUp(fromOwner).applied == 3)
            let first = try #require(try await visible())
            #expect(first.origin == boCongAn)

            // The forged version is held: the owner's version stays visible and the record has one sibling.
            _ = try await puller.pullUntilCaughtUp(fromHostile)
            #expect(try await visible() == first)
            #expect(try await receiverStore.read { try $0.siblings(dataset: danCu, id: "cd-001") } == [first])

            // The owner corrects its record; the correction is applied, not dropped as covered by the claim,
            // and the owner's feed, caught up by a page fetched after the hold, shows the claim false. Fetch
            // times are whole seconds: a page fetched in the second of the hold does not judge it.
            try await Task.sleep(for: .milliseconds(1100))
            try await ownerStoreHandle.write { tx in
                try tx.edit(dataset: danCu, id: "cd-001", agency: boCongAn, deleted: false,
                            data: .object(["ho_ten": .string("Nguyễn Thị Lan"), "ngay_sinh": .string("1990-01-11")]), policy: .lww)
            }
            #expect(try await puller.pullUntilCaughtUp(fromOwner).applied == 1)
        }
        let corrected = try #require(try await visible())
        #expect(corrected.origin == boCongAn && corrected.vv == VersionVector([boCongAn: 2]))
        #expect(corrected.data["ngay_sinh"] == .string("1990-01-11"))
        #expect(try await receiverStore.read { try $0.siblings(dataset: danCu, id: "cd-001") } == [corrected])
        let quarantined = try await receiverStore.read { try $0.quarantined() }
        #expect(quarantined.map(\.reason) == ["false claim"])
        #expect(quarantined.first?.peer == soTuPhap.rawValue)
    }
}
