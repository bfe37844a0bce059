import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Testing

@Suite("Feed pages: an erasure served and applied")
struct ErasurePageTests {
    /// Every body of `x` holds this, and nothing else does.
    static let erased = "ERASED-91be0"
    let rules = MergeRules(policy: .authority(owner: boCongAn), receiver: boYTe, directSources: [boCongAn])

    /// The page of bo-cong-an's own feed after `after`, as its publisher serves it: the stored record texts, signed.
    func served(_ store: Store, after: Int64) async throws -> [UInt8] {
        let texts = try await store.read { try $0.ownFeedRecordTexts(dataset: danCu, after: after, limit: 100) }
        let payload = FeedPage.payloadBytes(
            publisher: boCongAn, audience: boYTe, dataset: danCu, after: after, head: texts.seqs.last ?? after, issuedAt: now,
            expiresAt: now + 600, joinedRecords: texts.joined, last: texts.seqs.last
        )
        return Array(try JWSSigner(key: publisherKey).sign(payload: payload, type: FeedPage.type).utf8)
    }

    @Test("the owner's erasure reaches a peer in a page; the peer purges the versions it dominates and its own concurrent edit", arguments: StoreBackend.tested)
    func erasureReachesPeer(backend: StoreBackend) async throws {
        let eraser = try TemporaryStore(backend)
        let peer = try TemporaryStore(backend)
        let importer = PageImporter(store: peer.store, clockSkewSeconds: 300)
        let at = UnixTime(seconds: now - 60)
        for note in ["first", "second"] {
            try await eraser.store.write(at: at) { tx in
                try tx.edit(dataset: danCu, id: "x", agency: boCongAn, deleted: false, data: .object(["ho_ten": .string("\(Self.erased) \(note)")]), policy: rules.policy)
            }
        }
        _ = try await importer.importPage(try await served(eraser.store, after: 0), verifier: verifier, expected: expectation()) { _ in rules }
        try await peer.store.write(at: at) { tx in
            try tx.edit(dataset: danCu, id: "x", agency: boYTe, deleted: false, data: .object(["ho_ten": .string("\(Self.erased) peer")]), policy: rules.policy)
        }

        let (tombstone, _) = try await eraser.store.write(at: at) { tx in
            try tx.erase(dataset: danCu, id: "x", agency: boCongAn, reason: "court order 12/2026", policy: rules.policy)
        }
        let (page, application) = try await importer.importPage(try await served(eraser.store, after: 2), verifier: verifier, expected: expectation()) { _ in rules }
        #expect(page.records.map(\.seq) == [3])
        #expect(page.records.first?.json["erasure"] == .bool(true))
        #expect(application.applied == 1)

        #expect(try await peer.store.read { try $0.siblings(dataset: danCu, id: "x") } == [tombstone])
        #expect(try await peer.store.read { try $0.ownFeedHead(dataset: danCu) } == 1)
        #expect(try await peer.store.read { try $0.ownFeed(dataset: danCu, after: 0, limit: 10) }.isEmpty)
        let applied = try #require(try await peer.store.read { try $0.auditEvents() }.first { $0.event == "erasure applied" })
        #expect(applied.peer == boCongAn.rawValue)
        #expect(!applied.detail.contains(Self.erased))
        #expect(try StoredText.places(of: Self.erased, in: peer.location) == [])
        #expect(try StoredText.places(of: Self.erased, in: eraser.location) == [])
    }
}
