import Foundation
import GRDB
import LienThongCore
import LienThongMerge
@testable import LienThongStore
import LienThongTestSupport
import Testing

/// A store written by the v4 schema keeps every record, sibling, superseded version and claims counter when
/// migration v5 moves them into `version` and the new `record` rows.
@Suite("Store: migrations v5 and v6 from a v4 store")
struct MigrationTests {
    @Test("records, an open conflict, history and counters of records known only through held versions all survive")
    func fromV4() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appending(path: "v4.sqlite")
        let old = try DatabaseQueue(path: url.path)
        try Schema.migrator.migrate(old, upTo: "v4: quarantine digests")
        try old.write { db in
            try db.execute(sql: """
                INSERT INTO record VALUES ('dan-cu', 'plain', 'bo-cong-an', 5, 0, '{"bo-cong-an":2}', 0, '{"v":2}', 'bo-cong-an', 50, 1, 0);
                INSERT INTO history (dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at, superseded_at)
                    VALUES ('dan-cu', 'plain', 'bo-cong-an', 4, 0, '{"bo-cong-an":1}', 0, '{"v":1}', 'bo-cong-an', 40, 50);
                INSERT INTO record VALUES ('dan-cu', 'torn', 'bo-y-te', 9, 0, '{"bo-y-te":1}', 0, '{"who":"y"}', 'bo-y-te', 90, 2, 1);
                INSERT INTO sibling VALUES ('dan-cu', 'torn', 'bo-y-te', 9, 0, '{"bo-y-te":1}', 0, '{"who":"y"}', 'bo-y-te', 90);
                INSERT INTO sibling VALUES ('dan-cu', 'torn', 'bo-cong-an', 8, 0, '{"bo-cong-an":1}', 0, '{"who":"c"}', 'bo-cong-an', 80);
                INSERT INTO origin_counter VALUES ('dan-cu', 'plain', 'bo-cong-an', 2);
                INSERT INTO origin_counter VALUES ('dan-cu', 'torn', 'bo-cong-an', 1), ('dan-cu', 'torn', 'bo-y-te', 1);
                INSERT INTO origin_counter VALUES ('dan-cu', 'held-only', 'bo-y-te', 3);
                """)
        }
        let store = try Store(openingAt: url)
        let danCu = try DatasetName("dan-cu")
        let plain = try #require(try store.read { try $0.visibleRecord(dataset: danCu, id: "plain") })
        #expect(plain.version.data == .object(["v": .integer(2)]))
        #expect(plain.siblingCount == 1)
        let torn = try #require(try store.read { try $0.visibleRecord(dataset: danCu, id: "torn") })
        #expect(torn.version.origin.rawValue == "bo-y-te")
        #expect(torn.awaitsReview)
        #expect(try store.read { try $0.siblings(dataset: danCu, id: "torn") }.map(\.origin.rawValue) == ["bo-y-te", "bo-cong-an"])
        #expect(try store.read { try $0.visibleRecord(dataset: danCu, id: "held-only") } == nil)
        try DatabaseQueue(path: url.path).read { db in
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM version") == 4)
            #expect(try Row.fetchAll(db, sql: "SELECT record_id, superseded_at FROM history").map { [$0["record_id"], "\($0["superseded_at"] as Int64)"] } == [["plain", "50"]])
            let authored = try Row.fetchAll(db, sql: "SELECT id, authored FROM record ORDER BY id").map { [$0["id"], $0["authored"]] as [String] }
            #expect(authored == [["held-only", #"{"bo-y-te":3}"#], ["plain", #"{"bo-cong-an":2}"#], ["torn", #"{"bo-cong-an":1,"bo-y-te":1}"#]])
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM visible_records") == 2)
            // Migration v6 logs every record shown as created, so that the change log read from its start
            // shows every record; a record known only through held versions shows nothing yet.
            let logged = try Row.fetchAll(db, sql: "SELECT id, kind FROM changes ORDER BY change_seq").map { [$0["id"], $0["kind"]] as [String] }
            #expect(logged == [["plain", "created"], ["torn", "created"]])
        }
    }
}

/// Entries written before migration v11 stay, outside the chain; the chain starts after them.
@Suite("Store: migration v11, the audit chain, on a store with entries")
struct AuditChainMigrationTests {
    @Test("entries from before stay unchained, the next entry starts the chain after them, and the walk accepts both")
    func fromV10() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appending(path: "v10.sqlite")
        let old = try DatabaseQueue(path: url.path)
        try Schema.migrator.migrate(old, upTo: PeerSchemaSQL.ownFeedTagIdentifier)
        try old.write { db in
            try db.execute(sql: """
                INSERT INTO audit_log (at, event, peer, dataset, detail) VALUES (1, 'page served', 'bo-y-te', 'dan-cu', '{"after":0}');
                INSERT INTO audit_log (at, event, peer, dataset, detail) VALUES (2, 'page served', 'bo-y-te', 'dan-cu', '{"after":1}');
                """)
        }
        let store = try Store(openingAt: url)
        try store.write(at: UnixTime(milliseconds: 3)) { tx in try tx.audit("purged", peer: nil, dataset: nil, detail: .object([:])) }
        let entries = try store.read { snapshot in
            var all: [AuditEntry] = []
            try snapshot.forEachAuditEntry { all.append($0) }
            return all
        }
        #expect(entries.map(\.seq) == [1, 2, 3])
        #expect(entries.prefix(2).allSatisfy { $0.previous == nil && $0.sha256 == nil })
        #expect(entries[2].previous == AuditEntry.genesis)
        var check = AuditChainCheck(checkpoints: [:])
        for entry in entries { check.take(entry) }
        #expect(check.finish(head: try store.read { try $0.auditHead() }) == nil)
        #expect(check.unchained == 2 && check.chained == 1)
    }
}
