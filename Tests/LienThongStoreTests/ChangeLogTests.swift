import Foundation
import LienThongCore
import LienThongMerge
@_spi(Testing) import LienThongStore
import LienThongTestSupport
import Testing

/// The change log (`changes`) and the views other programs read: their shapes are a contract (docs/STORE.md).
@Suite("Store: the change log and the views for other programs")
struct ChangeLogTests {
    func logged(_ temporary: TemporaryStore) throws -> [[String]] {
        try temporary.rows("SELECT change_seq, id, kind FROM changes ORDER BY change_seq").map { $0.map { $0 ?? "NULL" } }
    }

    @Test("every change to what visible_records shows is logged once, with its kind; what changes nothing shown is not", arguments: StoreBackend.tested)
    func kinds(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        try store.write(at: UnixTime(milliseconds: 1_000)) { tx in
            try tx.edit(dataset: dataset, id: "r1", agency: soXayDung, deleted: false, data: .object(["a": .integer(1)]), policy: .lww)
        }
        try store.write(at: UnixTime(milliseconds: 2_000)) { tx in
            try tx.edit(dataset: dataset, id: "r1", agency: soXayDung, deleted: false, data: .object(["a": .integer(2)]), policy: .lww)
        }
        // A concurrent version from a peer: two siblings, the conflict opens (and it is shown, being newer).
        let concurrent = version("r1", origin: boCongAn, hlc: 9_000, vv: [boCongAn: 1])
        try store.write(at: UnixTime(milliseconds: 3_000)) { tx in try tx.receive(concurrent, from: boCongAn, rules: rules(.lww)) }
        // The same version again changes nothing shown.
        try store.write(at: UnixTime(milliseconds: 3_500)) { tx in try tx.receive(concurrent, from: boCongAn, rules: rules(.lww)) }
        _ = try store.write(at: UnixTime(milliseconds: 4_000)) { tx in
            try tx.resolveConflict(dataset: dataset, id: "r1", agency: soXayDung, policy: .lww, by: .pick(origin: "bo-cong-an"))
        }
        try store.write(at: UnixTime(milliseconds: 5_000)) { tx in
            try tx.edit(dataset: dataset, id: "r1", agency: soXayDung, deleted: true, data: .object([:]), policy: .lww)
        }
        // A version held for a claim about a direct source shows nothing.
        let claiming = version("r2", origin: boCongAn, hlc: 9_500, vv: [boCongAn: 1, ubnd: 4])
        try store.write(at: UnixTime(milliseconds: 6_000)) { tx in
            try tx.receive(claiming, from: boCongAn, rules: MergeRules(policy: .lww, receiver: soXayDung, directSources: [ubnd]))
        }
        #expect(try logged(temporary) == [
            ["1", "r1", "created"], ["2", "r1", "updated"], ["3", "r1", "conflict_opened"], ["4", "r1", "conflict_closed"], ["5", "r1", "deleted"],
        ])
        let changes = try store.read { try $0.changes(after: 0, dataset: nil, limit: 10) }
        #expect(changes.map(\.changedAt) == [1_000, 2_000, 3_000, 4_000, 5_000])
        // Each with the record as shown now: the tombstone.
        #expect(changes.allSatisfy { $0.record.version.deleted })
    }

    @Test("a change is logged in the transaction that makes it: rolled back, neither is kept", arguments: StoreBackend.tested)
    func sameTransaction(backend: StoreBackend) throws {
        struct Abandon: Error {}
        let temporary = try TemporaryStore(backend)
        #expect(throws: Abandon.self) {
            try temporary.store.write(at: UnixTime(milliseconds: 1_000)) { tx in
                try tx.edit(dataset: dataset, id: "r1", agency: soXayDung, deleted: false, data: .object([:]), policy: .lww)
                throw Abandon()
            }
        }
        #expect(try temporary.count("visible_records") == 0)
        #expect(try temporary.count("changes") == 0)
    }

    @Test("changes after N, of one dataset or all, oldest first, in batches", arguments: StoreBackend.tested)
    func after(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        let other = try DatasetName("dan-cu")
        try temporary.store.write(at: UnixTime(milliseconds: 1_000)) { tx in
            for index in 0..<5 {
                try tx.edit(dataset: index.isMultiple(of: 2) ? dataset : other, id: "r\(index)", agency: soXayDung, deleted: false, data: .object([:]), policy: .lww)
            }
        }
        let all = try temporary.store.read { try $0.changes(after: 1, dataset: nil, limit: 3) }
        #expect(all.map(\.changeSeq) == [2, 3, 4])
        #expect(all.map(\.id) == ["r1", "r2", "r3"])
        let mine = try temporary.store.read { try $0.changes(after: 0, dataset: dataset, limit: 10) }
        #expect(mine.map(\.id) == ["r0", "r2", "r4"])
        #expect(mine.allSatisfy { $0.dataset == dataset && $0.kind == .created })
        // One indexed query: the plan names the index, not a scan of the log.
        guard backend == .sqlite else { return }
        let plan = try temporary.rows("EXPLAIN QUERY PLAN SELECT * FROM changes WHERE dataset = 'tiem-chung' AND change_seq > 1 ORDER BY change_seq")
            .map { $0[3] ?? "" }
        #expect(plan.contains { $0.contains("change_log_by_dataset") }, "\(plan)")
    }

    @Test("pruning deletes the oldest changes past the retention, in order; asking for changes after a pruned one is refused", arguments: StoreBackend.tested)
    func pruning(backend: StoreBackend) async throws {
        let temporary = try TemporaryStore(backend)
        let day: Int64 = 86_400_000
        for (index, at) in [1 * day, 2 * day, 40 * day].enumerated() {
            try await temporary.store.write(at: UnixTime(milliseconds: at)) { tx in
                try tx.edit(dataset: dataset, id: "r\(index)", agency: soXayDung, deleted: false, data: .object([:]), policy: .lww)
            }
        }
        let reopened = try Store(opening: temporary.location, clock: FixedClock(UnixTime(milliseconds: 40 * day)))
        #expect(try await reopened.pruneChanges(keptDays: 30) == 2)
        #expect(try await reopened.pruneChanges(keptDays: 30) == 0)
        let bounds = try await reopened.read { try $0.changeLogBounds() }
        #expect(bounds.last == 3 && bounds.prunedThrough == 2)
        #expect(try await reopened.read { try $0.changes(after: 2, dataset: nil, limit: 10) }.map(\.id) == ["r2"])
        let refused = await #expect(throws: ChangesPrunedError.self) { try await reopened.read { try $0.changes(after: 1, dataset: nil, limit: 10) } }
        #expect(refused?.description.hasPrefix("changes after 1 are no longer kept: the change log was pruned through 2") == true)
        // However old, the newest change stays, so that the log never numbers a change with a number it gave.
        let later = try Store(opening: temporary.location, clock: FixedClock(UnixTime(milliseconds: 80 * day)))
        #expect(try await later.pruneChanges(keptDays: 30) == 0)
        try await later.write { tx in try tx.edit(dataset: dataset, id: "r9", agency: soXayDung, deleted: false, data: .object([:]), policy: .lww) }
        #expect(try await later.read { try $0.changes(after: 3, dataset: nil, limit: 10) }.map(\.changeSeq) == [4])
        #expect(try await later.pruneChanges(keptDays: 30) == 1)
        #expect(try await later.read { try $0.changeLogBounds() }.prunedThrough == 3)
    }

    /// The columns of each view, in order: what other programs are written against (docs/STORE.md).
    static let viewColumns: [(String, [String])] = [
        ("visible_records", ["dataset", "id", "data", "deleted", "origin", "hlc", "conflict"]),
        ("open_conflicts", ["dataset", "id", "sibling_count", "awaits_review", "siblings"]),
        ("dataset_status", [
            "dataset", "peer", "cursor", "head", "lag", "cursor_moved_at", "last_attempt_at", "last_success_at", "last_error", "last_error_at",
            "consecutive_failures", "next_attempt_at",
        ]),
        ("changes", ["change_seq", "dataset", "id", "kind", "changed_at"]),
    ]

    @Test("each view has exactly its documented columns, in order", arguments: StoreBackend.tested, viewColumns)
    func viewShape(backend: StoreBackend, view: (name: String, columns: [String])) throws {
        let temporary = try TemporaryStore(backend)
        let names = try temporary.rows(backend == .sqlite
            ? "SELECT name FROM pragma_table_info('\(view.name)')"
            : "SELECT column_name FROM information_schema.columns WHERE table_name = '\(view.name)' ORDER BY ordinal_position"
        ).map { $0[0] ?? "" }
        #expect(names == view.columns)
    }

    @Test("open_conflicts lists each record in conflict with its siblings as JSON, the visible one marked", arguments: StoreBackend.tested)
    func openConflicts(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        try temporary.store.write(at: UnixTime(milliseconds: 1_000)) { tx in
            try tx.receive(version("torn", origin: boCongAn, hlc: 10, vv: [boCongAn: 1], data: .object(["who": .string("c")])), from: boCongAn, rules: rules(.manual))
            try tx.receive(version("torn", origin: ubnd, hlc: 20, vv: [ubnd: 1], deleted: true, data: .object([:])), from: ubnd, rules: rules(.manual))
            try tx.receive(version("calm", origin: ubnd, hlc: 20, vv: [ubnd: 1]), from: ubnd, rules: rules(.manual))
        }
        let rows = try temporary.rows("SELECT id, sibling_count, awaits_review, siblings FROM open_conflicts")
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row[0] == "torn")
        #expect(row[1] == "2")
        #expect(row[2] == "1")
        // In canonical order, greatest (hlc, origin) first; under `manual` the version shown stays the one
        // shown before the conflict opened.
        let siblings = try JSONValue(parsing: row[3] ?? "")
        let expected = try JSONValue(parsing: """
            [{"data":{},"deleted":true,"hlc":[20,0],"origin":"ubnd-ha-noi","visible":false,"vv":{"ubnd-ha-noi":1}},
             {"data":{"who":"c"},"deleted":false,"hlc":[10,0],"origin":"bo-cong-an","visible":true,"vv":{"bo-cong-an":1}}]
            """)
        #expect(siblings.serializedText == expected.serializedText)
    }

    @Test("dataset_status joins each feed's cursor and its pulls, with the lag", arguments: StoreBackend.tested)
    func datasetStatus(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        try temporary.store.write(at: UnixTime(milliseconds: 7_000)) { tx in
            try tx.setCursor(peer: boCongAn, dataset: dataset, position: 40, head: 100)
            _ = try tx.recordPullFailure(peer: ubnd, dataset: dataset, reason: "connection refused", nextAttemptAt: 9_000)
        }
        let rows = try temporary.rows("SELECT peer, cursor, head, lag, cursor_moved_at, last_error, consecutive_failures FROM dataset_status ORDER BY peer")
        #expect(rows.count == 2)
        #expect(rows[0][0] == "bo-cong-an")
        #expect(rows[0][3] == "60")
        #expect(rows[0][4] == "7000")
        #expect(rows[1][0] == "ubnd-ha-noi")
        #expect(rows[1][1] == nil)
        #expect(rows[1][5] == "connection refused")
        #expect(rows[1][6] == "1")
    }

    @Test("a store opened for reading only reads the views and writes nothing")
    func readingOnly() throws {
        let temporary = try TemporaryStore(.sqlite)
        try temporary.store.write(at: UnixTime(milliseconds: 1_000)) { tx in
            try tx.edit(dataset: dataset, id: "r1", agency: soXayDung, deleted: false, data: .object([:]), policy: .lww)
        }
        let reader = try Store(readingAt: temporary.url)
        #expect(try reader.read { try $0.changes(after: 0, dataset: nil, limit: 10) }.map(\.id) == ["r1"])
        #expect(throws: StoreError.self) {
            try reader.write { tx in try tx.edit(dataset: dataset, id: "r2", agency: soXayDung, deleted: false, data: .object([:]), policy: .lww) }
        }
        #expect(throws: StoreError.self) { try Store(readingAt: temporary.folder.appending(path: "missing.sqlite")) }
    }
}
