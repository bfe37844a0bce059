import Foundation
import LienThongCore
import LienThongMerge
@_spi(Testing) import LienThongStore
import LienThongTestSupport
import Testing

/// `lienthong erase` and the erasure tombstone's application (docs/MERGE.md and docs/STORE.md, "Erasure"), on
/// both backends: no stored body of the record remains, found by searching the SQLite file's bytes after
/// `VACUUM` or every PostgreSQL table.
@Suite("Store: erasure")
struct ErasureStoreTests {
    /// Every body of `x` holds this, and nothing else does.
    static let erased = "ERASED-7c41d"
    static func body(_ note: String) -> JSONValue { .object(["ho_ten": .string("\(erased) \(note)")]) }

    /// so-xay-dung's store with every kind of body of `x`: received, superseded by a local edit (in the own
    /// feed), a concurrent sibling, a held version, a quarantined one, a refused page naming it; and `y`,
    /// which the erasure leaves alone.
    static func storeWithBodies(_ backend: StoreBackend) throws -> TemporaryStore {
        let temporary = try TemporaryStore(backend)
        let claiming = MergeRules(policy: .lww, receiver: soXayDung, directSources: [boCongAn])
        try temporary.store.write { tx in
            try tx.receive(version("x", origin: boCongAn, hlc: 1, vv: [boCongAn: 1], data: body("received")), from: boCongAn, rules: claiming)
            try tx.edit(dataset: dataset, id: "x", agency: soXayDung, deleted: false, data: body("local"), policy: .lww)
            try tx.receive(version("x", origin: ubnd, hlc: 2, vv: [ubnd: 1], data: body("sibling")), from: ubnd, rules: claiming)
            #expect(try tx.receive(version("x", origin: ubnd, hlc: 3, vv: [ubnd: 2, boCongAn: 5], data: body("held")), from: ubnd, rules: claiming) == .held)
            try tx.quarantine(
                peer: boYTe, dataset: dataset, recordID: "x", reason: .schema, detail: "data/ho_ten: too long",
                raw: version("x", origin: boYTe, hlc: 4, vv: [boYTe: 1], data: body("quarantined")).json.serializedText
            )
            let page = Array(JWSPayloadText.compact(#"{"records":[{"id":"x","data":{"ho_ten":"Lê"}}]}"#).utf8)
            try tx.quarantinePage(peer: boYTe, refusedBy: "signature", detail: "bad signature", body: RefusedBody(page, sha256: "aa"))
            let other = Array(JWSPayloadText.compact(#"{"records":[{"id":"y","data":{}}]}"#).utf8)
            try tx.quarantinePage(peer: boYTe, refusedBy: "signature", detail: "bad signature", body: RefusedBody(other, sha256: "bb"))
            try tx.edit(dataset: dataset, id: "y", agency: soXayDung, deleted: false, data: .object(["ho_ten": .string("KEPT-y")]), policy: .lww)
        }
        return temporary
    }

    @Test("erase makes the erasure tombstone and purges every other stored body of the record, audited without contents", arguments: StoreBackend.tested)
    func erase(backend: StoreBackend) throws {
        let temporary = try Self.storeWithBodies(backend)
        #expect(try !StoredText.places(of: Self.erased, in: temporary.location).isEmpty)
        let (tombstone, purged) = try temporary.store.write { tx in
            try tx.erase(dataset: dataset, id: "x", agency: soXayDung, reason: "subject's request 2026-118", policy: .lww)
        }
        #expect(tombstone.deleted && tombstone.erasure && tombstone.data == .object([:]))
        #expect(tombstone.vv == VersionVector([boCongAn: 1, soXayDung: 2, ubnd: 1]))
        #expect(purged.description == "3 versions, 1 held, 1 quarantined, 1 blanked, 1 own-feed")
        #expect(try temporary.store.read { try $0.siblings(dataset: dataset, id: "x") } == [tombstone])
        #expect(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "x") }?.version.deleted == true)
        #expect(try temporary.store.read { try $0.ownFeed(dataset: dataset, after: 0, limit: 10) }.map(\.version.id) == ["y", "x"])
        #expect(try temporary.count("quarantine", where: "raw = ''") == 1)
        let audit = try #require(try temporary.store.read { try $0.auditEvents() }.last)
        #expect(audit.event == "erasure")
        #expect(try JSONValue(parsing: audit.detail)["reason"] == .string("subject's request 2026-118"))
        #expect(!audit.detail.contains(Self.erased))

        #expect(try StoredText.places(of: Self.erased, in: temporary.location) == [])
        #expect(try StoredText.places(of: "KEPT-y", in: temporary.location) != [])
    }

    @Test("a received erasure purges the bodies it dominates and keeps a concurrent sibling for review", arguments: StoreBackend.tested)
    func applied(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        let erasure = RecordVersion(
            dataset: dataset, id: "x", origin: boCongAn, hlc: HybridTimestamp(milliseconds: 5, counter: 0), vv: VersionVector([boCongAn: 2]),
            deleted: true, erasure: true, data: .object([:])
        )
        let concurrent = version("x", origin: ubnd, hlc: 3, vv: [boCongAn: 1, ubnd: 1], data: .object(["ho_ten": .string("CONCURRENT")]))
        try temporary.store.write { tx in
            try tx.receive(version("x", origin: boCongAn, hlc: 1, vv: [boCongAn: 1], data: Self.body("first")), from: boCongAn, rules: rules(.lww))
            try tx.receive(concurrent, from: ubnd, rules: rules(.lww))
            #expect(try tx.receive(erasure, from: boCongAn, rules: rules(.lww)) == .applied)
        }
        #expect(Set(try temporary.store.read { try $0.siblings(dataset: dataset, id: "x") }) == [erasure, concurrent])
        let visible = try #require(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "x") })
        #expect(visible.version == erasure && visible.awaitsReview)
        #expect(try temporary.count("audit_log", where: "event = 'erasure applied'") == 1)
        // The first version was superseded by the concurrent one, which saw it; the erasure saw it too.
        #expect(try StoredText.places(of: Self.erased, in: temporary.location) == [])
        #expect(try StoredText.places(of: "CONCURRENT", in: temporary.location) != [])
    }

    /// A conflict between bo-cong-an's erasure and ubnd-ha-noi's concurrent update, received under `policy`.
    static func erasureMeetsUpdate(_ backend: StoreBackend, policy: MergePolicy) throws -> (TemporaryStore, RecordVersion, RecordVersion) {
        let temporary = try TemporaryStore(backend)
        let erasure = RecordVersion(
            dataset: dataset, id: "x", origin: boCongAn, hlc: HybridTimestamp(milliseconds: 5, counter: 0), vv: VersionVector([boCongAn: 2]),
            deleted: true, erasure: true, data: .object([:])
        )
        let update = version("x", origin: ubnd, hlc: 6, vv: [boCongAn: 1, ubnd: 1], data: body("concurrent update"))
        try temporary.store.write { tx in
            try tx.receive(version("x", origin: boCongAn, hlc: 1, vv: [boCongAn: 1], data: body("first")), from: boCongAn, rules: rules(policy))
            try tx.receive(update, from: ubnd, rules: rules(policy))
            try tx.receive(erasure, from: boCongAn, rules: rules(policy))
        }
        return (temporary, erasure, update)
    }

    @Test("the authority owner's erasure drops a concurrent update, before or after it, and purges it", arguments: StoreBackend.tested)
    func ownerWins(backend: StoreBackend) throws {
        let policy = MergePolicy.authority(owner: boCongAn)
        let (temporary, erasure, _) = try Self.erasureMeetsUpdate(backend, policy: policy)
        #expect(try temporary.store.read { try $0.siblings(dataset: dataset, id: "x") } == [erasure])
        #expect(try StoredText.places(of: Self.erased, in: temporary.location) == [])
        let later = version("x", origin: ubnd, hlc: 7, vv: [boCongAn: 1, ubnd: 2], data: Self.body("after the erasure"))
        #expect(try temporary.store.write { tx in try tx.receive(later, from: ubnd, rules: rules(policy)) } == .dropped)
        #expect(try temporary.store.read { try $0.siblings(dataset: dataset, id: "x") } == [erasure])
        #expect(try temporary.count("audit_log", where: "event = 'dropped by erasure'") == 1)
        #expect(try StoredText.places(of: Self.erased, in: temporary.location) == [])
    }

    @Test("another's erasure and a concurrent update await review under every policy, the erasure shown; picking the erasure purges the update", arguments: StoreBackend.tested, [
        MergePolicy.lww, .manual, .authority(owner: ubnd),
    ])
    func reviewed(backend: StoreBackend, policy: MergePolicy) throws {
        let (temporary, erasure, update) = try Self.erasureMeetsUpdate(backend, policy: policy)
        let visible = try #require(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "x") })
        #expect(visible.version == erasure && visible.isConflict && visible.awaitsReview)
        #expect(try temporary.count("open_conflicts") == 1)
        #expect(Set(try temporary.store.read { try $0.siblings(dataset: dataset, id: "x") }) == [erasure, update])

        let resolved = try temporary.store.write { tx in
            try tx.resolveConflict(dataset: dataset, id: "x", agency: soXayDung, policy: policy, by: .pick(origin: boCongAn.rawValue))
        }
        #expect(resolved.erasure && resolved.deleted)
        #expect(try temporary.store.read { try $0.siblings(dataset: dataset, id: "x") } == [resolved])
        #expect(try temporary.count("audit_log", where: "event = 'erasure'") == 1)
        #expect(try StoredText.places(of: Self.erased, in: temporary.location) == [])
    }

    @Test("picking the update over another's erasure brings the record back", arguments: StoreBackend.tested)
    func updatePicked(backend: StoreBackend) throws {
        let (temporary, _, update) = try Self.erasureMeetsUpdate(backend, policy: .lww)
        let resolved = try temporary.store.write { tx in
            try tx.resolveConflict(dataset: dataset, id: "x", agency: soXayDung, policy: .lww, by: .pick(origin: ubnd.rawValue))
        }
        #expect(!resolved.deleted && !resolved.erasure && resolved.data == update.data)
        #expect(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "x") }?.version == resolved)
    }
}

/// A compact JWS of a payload, with a made-up header and signature: what a refused page's kept text looks like.
enum JWSPayloadText {
    static func compact(_ payload: String) -> String {
        Base64URL.encode(Array(#"{"alg":"EdDSA"}"#.utf8)) + "." + Base64URL.encode(Array(payload.utf8)) + "." + Base64URL.encode([1, 2, 3])
    }
}
