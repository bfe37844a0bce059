import LienThongCore
import LienThongFeed
import LienThongPublisher
@_spi(Testing) import LienThongStore
import LienThongTestSupport
import Testing

/// `audit disclosures` answers from the log and the own feed (docs/PRIVACY.md, "Answering a data subject"):
/// a record served over real HTTP to two peers with different field grants.
@Suite("Disclosures: who received a record, which fields, for what")
struct DisclosureTests {
    static let verification = try! PurposeCode("xac-minh-tiem-chung")

    /// dan-cu granted to bo-y-te with two fields for one purpose, and to so-tu-phap whole without purposes.
    static var settings: PublisherSettings {
        var settings = publisherSettings()
        settings.peers[boYTe]?.grants[danCu] = DatasetGrant(fields: grantedFields, purposes: [verification], legalBasis: "Điều 17")
        settings.peers[soTuPhap]?.grants[danCu] = DatasetGrant(fields: nil)
        return settings
    }

    @Test("a record served to two peers: each with its fields and purpose, each version; still answered after the record is erased")
    func twoPeers() async throws {
        try await withPublisher(settings: Self.settings) { server in
            let store = server.temporary.store
            #expect(try await server.get("/v1/feeds/dan-cu?after=0&limit=10", purpose: Self.verification).status == 200)
            #expect(try await server.get("/v1/feeds/dan-cu?after=0&limit=10", as: soTuPhapSigner).status == 200)
            // A second version of cd-002, seq 4, served to bo-y-te only.
            try await store.write { transaction in
                try transaction.edit(
                    dataset: danCu, id: "cd-002", agency: boCongAn, deleted: false, data: .object(["ho_ten": .string("Trần Văn B")]), policy: .lww
                )
            }
            #expect(try await server.get("/v1/feeds/dan-cu?after=3&limit=10", purpose: Self.verification).status == 200)

            let expected: [(String?, Int64?, [String]?, String?)] = [
                ("bo-y-te", 2, grantedFields.sorted(), "xac-minh-tiem-chung"), ("so-tu-phap", 2, nil, nil),
                ("bo-y-te", 4, grantedFields.sorted(), "xac-minh-tiem-chung"),
            ]
            func answered() async throws -> [(String?, Int64?, [String]?, String?)] {
                try await store.read { try $0.disclosures(dataset: danCu, id: "cd-002") }.map { ($0.recipient, $0.seq, $0.fields, $0.purpose) }
            }
            #expect(try await answered().elementsEqual(expected) { $0 == $1 })
            // cd-001 was served in the first two pages only.
            #expect(try await store.read { try $0.disclosures(dataset: danCu, id: "cd-001") }.map(\.recipient) == ["bo-y-te", "so-tu-phap"])
            // The erasure purges cd-002's versions from the own feed; its entry keeps their seqs, so the answer stands.
            _ = try await store.write { transaction in
                try transaction.erase(dataset: danCu, id: "cd-002", agency: boCongAn, reason: "yêu cầu số 12/2026", policy: .lww)
            }
            #expect(try await store.read { try $0.rawRows("SELECT COUNT(*) FROM own_feed WHERE record_id = 'cd-002'") } == [["1"]])
            #expect(try await answered().elementsEqual(expected) { $0 == $1 })
        }
    }
}
