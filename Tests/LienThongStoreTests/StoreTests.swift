import Foundation
import GRDB
@_spi(Testing) import LienThongStore
import LienThongCore
import LienThongMerge
import LienThongTestSupport
import Testing

/// A store of one backend — a file in a fresh folder, removed afterwards, or a fresh database on the tests'
/// PostgreSQL cluster.
final class TemporaryStore {
    let folder: URL
    let backend: StoreBackend
    let location: StoreLocation
    let store: Store

    init(_ backend: StoreBackend, clock: any UnixClock = SystemClock()) throws {
        folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-store-\(UUID().uuidString)")
        self.backend = backend
        location = try backend.newLocation(in: folder)
        store = try Store(opening: location, clock: clock)
    }

    /// The SQLite file (SQLite only).
    var url: URL { location.fileURL ?? folder }

    /// The store opened again, as another process (or a restarted one) opens it.
    func reopened() throws -> Store { try Store(opening: location) }

    /// The export of `dataset`, one line per visible record, as `lienthong export` prints it.
    func export(_ dataset: DatasetName) throws -> [String] {
        var lines: [String] = []
        try store.read { snapshot in
            try snapshot.forEachVisibleRecord(dataset: dataset) { lines.append($0.exportJSON.serializedText) }
        }
        return lines
    }

    /// The rows `sql` (in the backend's dialect) returns, each column as text.
    func rows(_ sql: String) throws -> [[String?]] {
        try store.read { try $0.rawRows(sql) }
    }

    /// The first column of the first row `sql` returns, as an integer.
    func integer(_ sql: String) throws -> Int64? {
        (try rows(sql).first?.first ?? nil).flatMap { Int64($0) }
    }

    /// The rows of `table` that meet `condition` (SQL).
    func count(_ table: String, where condition: String = "TRUE") throws -> Int {
        Int(try integer("SELECT COUNT(*) FROM \(table) WHERE \(condition)") ?? -1)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }
}

let dataset = try! DatasetName("tiem-chung")
let boYTe = try! AgencyID("bo-y-te")
let boCongAn = try! AgencyID("bo-cong-an")
let ubnd = try! AgencyID("ubnd-ha-noi")
/// The agency whose store the tests write: it receives from the others.
let soXayDung = try! AgencyID("so-xay-dung")

/// The merge rules of a receiver that checks no claims, as before claims were checked.
func rules(_ policy: MergePolicy) -> MergeRules {
    MergeRules(policy: policy, receiver: soXayDung, directSources: [])
}

func version(
    _ id: String, origin: AgencyID, hlc: Int64, vv: [AgencyID: Int64], deleted: Bool = false, data: JSONValue = .object(["v": .integer(1)])
) -> RecordVersion {
    RecordVersion(
        dataset: dataset, id: id, origin: origin, hlc: HybridTimestamp(milliseconds: hlc, counter: 0), vv: VersionVector(vv),
        deleted: deleted, data: data
    )
}

@Suite("Store: local edits")
struct LocalEditTests {
    @Test("an edit becomes the visible record and joins the own feed; the next one moves it to history", arguments: StoreBackend.tested)
    func editsAndHistory(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        let first = try temporary.store.write(at: UnixTime(milliseconds: 1_000)) { tx in
            try tx.edit(dataset: dataset, id: "r1", agency: boYTe, deleted: false, data: .object(["a": .integer(1)]), policy: .lww)
        }
        #expect(first.vv == VersionVector([boYTe: 1]))
        #expect(first.hlc == HybridTimestamp(milliseconds: 1_000, counter: 0))
        let second = try temporary.store.write(at: UnixTime(milliseconds: 1_000)) { tx in
            try tx.edit(dataset: dataset, id: "r1", agency: boYTe, deleted: false, data: .object(["a": .integer(2)]), policy: .lww)
        }
        #expect(second.vv == VersionVector([boYTe: 2]))
        #expect(second.hlc == HybridTimestamp(milliseconds: 1_000, counter: 1))

        let visible = try #require(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "r1") })
        #expect(visible.version == second)
        #expect(!visible.isConflict)
        #expect(try temporary.count("history") == 1)
        #expect(try temporary.integer("SELECT MAX(seq) FROM own_feed") == 2)
    }

    @Test("the clock never runs backwards, even when the wall clock does or the store is reopened", arguments: StoreBackend.tested)
    func clockSurvivesReopen(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        try temporary.store.write(at: UnixTime(milliseconds: 5_000)) { tx in
            try tx.edit(dataset: dataset, id: "r1", agency: boYTe, deleted: false, data: .object([:]), policy: .lww)
        }
        let reopened = try temporary.reopened()
        let later = try reopened.write(at: UnixTime(milliseconds: 4_000)) { tx in
            try tx.edit(dataset: dataset, id: "r2", agency: boYTe, deleted: false, data: .object([:]), policy: .lww)
        }
        #expect(later.hlc > HybridTimestamp(milliseconds: 5_000, counter: 0))
    }

    @Test("the clock advances past every stamp received", arguments: StoreBackend.tested)
    func clockObservesReceived(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        try temporary.store.write(at: UnixTime(milliseconds: 1_000)) { tx in
            try tx.receive(version("r1", origin: boCongAn, hlc: 9_000, vv: [boCongAn: 1]), from: boCongAn, rules: rules(.lww))
        }
        let edit = try temporary.store.write(at: UnixTime(milliseconds: 1_000)) { tx in
            try tx.edit(dataset: dataset, id: "r1", agency: boYTe, deleted: false, data: .object([:]), policy: .lww)
        }
        #expect(edit.hlc > HybridTimestamp(milliseconds: 9_000, counter: 0))
        #expect(edit.vv == VersionVector([boCongAn: 1, boYTe: 1]))
    }
}

@Suite("Store: receiving versions")
struct ReceiveTests {
    @Test("stale and duplicate deliveries add nothing", arguments: StoreBackend.tested)
    func staleAndDuplicate(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        let newer = version("r1", origin: boCongAn, hlc: 2, vv: [boCongAn: 2], data: .object(["v": .integer(2)]))
        let older = version("r1", origin: boCongAn, hlc: 1, vv: [boCongAn: 1])
        let results = try temporary.store.write { tx in
            [try tx.receive(newer, from: boCongAn, rules: rules(.lww)), try tx.receive(newer, from: boCongAn, rules: rules(.lww)),
             try tx.receive(older, from: boCongAn, rules: rules(.lww))]
        }
        #expect(results == [.applied, .redundant, .redundant])
        #expect(try temporary.export(dataset).count == 1)
        #expect(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "r1") }?.version == newer)
    }

    @Test("equivocation: same origin and vector, other data: quarantined and audited, the first kept", arguments: StoreBackend.tested)
    func equivocation(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        let first = version("r1", origin: boCongAn, hlc: 1, vv: [boCongAn: 1], data: .object(["ten": .string("A")]))
        let twin = version("r1", origin: boCongAn, hlc: 1, vv: [boCongAn: 1], data: .object(["ten": .string("B")]))
        let result = try temporary.store.write { tx in
            try tx.receive(first, from: boCongAn, rules: rules(.lww))
            return try tx.receive(twin, from: boCongAn, rules: rules(.lww))
        }
        #expect(result == .equivocation)
        #expect(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "r1") }?.version == first)
        let quarantined = try temporary.store.read { try $0.quarantined() }
        #expect(quarantined.map(\.reason) == ["equivocation"])
        #expect(quarantined.first?.raw.contains("\"B\"") == true)
        #expect(!(quarantined.first?.detail.contains("\"B\"") ?? true))
        #expect(try temporary.store.read { try $0.auditEvents() }.map(\.event) == ["equivocation"])
    }

    @Test("concurrent versions are both kept; the visible one follows the policy", arguments: StoreBackend.tested, [
        (MergePolicy.lww, "bo-y-te"), (.authority(owner: try! AgencyID("bo-cong-an")), "bo-cong-an"), (.manual, "bo-y-te"),
    ])
    func concurrentEdits(backend: StoreBackend, expected: (policy: MergePolicy, winner: String)) throws {
        let (policy, winner) = expected
        let temporary = try TemporaryStore(backend)
        let fromPolice = version("r1", origin: boCongAn, hlc: 10, vv: [boCongAn: 1])
        let fromHealth = version("r1", origin: boYTe, hlc: 20, vv: [boYTe: 1])
        try temporary.store.write { tx in
            try tx.receive(fromPolice, from: boCongAn, rules: rules(policy))
            try tx.receive(fromHealth, from: boYTe, rules: rules(policy))
        }
        let visible = try #require(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "r1") })
        #expect(visible.version.origin.rawValue == winner)
        #expect(visible.siblingCount == 2)
        #expect(visible.awaitsReview == (policy == .manual))
        #expect(try temporary.store.read { try $0.openConflicts(dataset: dataset) }.count == 1)
    }

    @Test("a concurrent delete never hides an update, whatever the stamps", arguments: StoreBackend.tested)
    func tombstoneAgainstUpdate(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        let base = version("r1", origin: boCongAn, hlc: 1, vv: [boCongAn: 1])
        let update = version("r1", origin: boCongAn, hlc: 2, vv: [boCongAn: 2], data: .object(["v": .integer(2)]))
        let delete = version("r1", origin: boYTe, hlc: 99, vv: [boCongAn: 1, boYTe: 1], deleted: true, data: .object([:]))
        try temporary.store.write { tx in
            for version in [base, delete, update] { try tx.receive(version, from: version.origin, rules: rules(.lww)) }
        }
        let visible = try #require(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "r1") })
        #expect(visible.version == update)
        #expect(visible.siblingCount == 2)
    }

    @Test("resolving a conflict with a local edit closes it, and the losers stay in history", arguments: StoreBackend.tested)
    func resolveCloses(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        try temporary.store.write { tx in
            try tx.receive(version("r1", origin: boCongAn, hlc: 10, vv: [boCongAn: 1]), from: boCongAn, rules: rules(.manual))
            try tx.receive(version("r1", origin: ubnd, hlc: 20, vv: [ubnd: 1]), from: ubnd, rules: rules(.manual))
        }
        #expect(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "r1") }?.awaitsReview == true)
        let resolved = try temporary.store.write { tx in
            try tx.edit(dataset: dataset, id: "r1", agency: boYTe, deleted: false, data: .object(["v": .integer(3)]), policy: .manual)
        }
        #expect(resolved.vv == VersionVector([boCongAn: 1, ubnd: 1, boYTe: 1]))
        let visible = try #require(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "r1") })
        #expect(!visible.isConflict)
        #expect(!visible.awaitsReview)
        #expect(try temporary.count("history") == 2)
    }

    @Test("each version is appended once; the record row points at the siblings as conflicts open, grow, shrink and close", arguments: StoreBackend.tested)
    func siblingRows(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        func rows(_ table: String) throws -> Int { try temporary.count(table) }
        func pointers() throws -> (siblings: String, count: Int) {
            let row = try #require(try temporary.rows("SELECT siblings, sibling_count FROM record WHERE id = 'r1'").first)
            return (row[0] ?? "", Int(row[1] ?? "") ?? -1)
        }
        func siblings() throws -> Set<String> {
            Set(try temporary.store.read { try $0.siblings(dataset: dataset, id: "r1") }.map { "\($0.origin)" })
        }
        let a1 = version("r1", origin: boCongAn, hlc: 1, vv: [boCongAn: 1])
        let b1 = version("r1", origin: boYTe, hlc: 2, vv: [boYTe: 1])
        let c1 = version("r1", origin: ubnd, hlc: 3, vv: [ubnd: 1])
        let a2 = version("r1", origin: boCongAn, hlc: 4, vv: [boCongAn: 2, boYTe: 1], data: .object(["v": .integer(2)]))
        let final = version("r1", origin: ubnd, hlc: 5, vv: [boCongAn: 2, boYTe: 1, ubnd: 2], data: .object(["v": .integer(3)]))
        func receive(_ version: RecordVersion) throws {
            try temporary.store.write { tx in try tx.receive(version, from: version.origin, rules: rules(.lww)) }
        }
        try receive(a1)
        #expect(try (rows("record"), rows("version"), rows("history")) == (1, 1, 0))
        #expect(try pointers() == ("[1]", 1))
        try receive(b1)
        #expect(try (rows("version"), rows("history")) == (2, 0))
        #expect(try pointers().count == 2)
        try receive(c1)
        #expect(try siblings() == ["bo-cong-an", "bo-y-te", "ubnd-ha-noi"])
        try receive(a2)  // covers a1 and b1, concurrent with c1
        #expect(try (rows("version"), rows("history")) == (4, 2))
        #expect(try siblings() == ["bo-cong-an", "ubnd-ha-noi"])
        #expect(try pointers() == ("[4,3]", 2))
        try receive(final)  // covers everything: the conflict closes
        #expect(try (rows("record"), rows("version"), rows("history")) == (1, 5, 4))
        #expect(try pointers() == ("[5]", 1))
        let visible = try #require(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "r1") })
        #expect(visible.version == final)
        #expect(visible.siblingCount == 1)
        #expect(try siblings() == ["ubnd-ha-noi"])
        // History says when each left the set: when the version that displaced it came.
        let superseded = try temporary.rows("SELECT seq, superseded_at FROM history ORDER BY seq").map { $0.map { Int64($0 ?? "") ?? -1 } }
        #expect(superseded.map(\.first) == [1, 2, 3, 4])
        #expect(superseded.allSatisfy { $0[1] > 0 })
        // The query STORE.md gives for one record's lineage finds every version of it.
        let lineage = try temporary.rows(backend == .sqlite ? """
            WITH RECURSIVE lineage(seq) AS (
                SELECT value FROM record, json_each(record.siblings) WHERE record.dataset = 'tiem-chung' AND record.id = 'r1'
                UNION SELECT displaced.value FROM lineage JOIN version ON version.seq = lineage.seq, json_each(version.supersedes) displaced
            )
            SELECT version.seq FROM lineage JOIN version USING (seq) ORDER BY seq
            """ : """
            WITH RECURSIVE lineage(seq) AS (
                SELECT listed::bigint FROM record, json_array_elements_text(record.siblings::json) listed
                WHERE record.dataset = 'tiem-chung' AND record.id = 'r1'
                UNION SELECT displaced::bigint FROM lineage JOIN version ON version.seq = lineage.seq,
                    json_array_elements_text(version.supersedes::json) displaced
            )
            SELECT version.seq FROM lineage JOIN version USING (seq) ORDER BY seq
            """).map { Int64($0[0] ?? "") ?? -1 }
        #expect(lineage == [1, 2, 3, 4, 5])
    }

    @Test("a failure inside a write transaction leaves nothing of it", arguments: StoreBackend.tested)
    func transactionIsAtomic(backend: StoreBackend) throws {
        struct Injected: Error {}
        let temporary = try TemporaryStore(backend)
        #expect(throws: Injected.self) {
            try temporary.store.write { tx in
                try tx.receive(version("r1", origin: boCongAn, hlc: 1, vv: [boCongAn: 1]), from: boCongAn, rules: rules(.lww))
                throw Injected()
            }
        }
        #expect(try temporary.export(dataset).isEmpty)
    }
}

@Suite("Store: the shared read-only view")
struct SharedViewTests {
    /// A visible record, and another in conflict.
    private func writeTwoRecords(_ store: Store) throws {
        try store.write(at: UnixTime(milliseconds: 7_000)) { tx in
            try tx.edit(dataset: dataset, id: "cd-1", agency: boYTe, deleted: false, data: .object(["ten": .string("Lê Thị Mai")]), policy: .lww)
            try tx.receive(version("cd-2", origin: boCongAn, hlc: 1, vv: [boCongAn: 1]), from: boCongAn, rules: rules(.lww))
            try tx.receive(version("cd-2", origin: ubnd, hlc: 2, vv: [ubnd: 1]), from: ubnd, rules: rules(.lww))
        }
    }

    @Test("other programs read visible_records with plain SQL while lienthong writes (SQLite)")
    func visibleRecordsView() throws {
        let temporary = try TemporaryStore(.sqlite)
        try writeTwoRecords(temporary.store)
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        let reader = try DatabaseQueue(path: temporary.url.path, configuration: configuration)
        let rows = try reader.read { db in
            try Row.fetchAll(db, sql: "SELECT dataset, id, data, deleted, origin, hlc, conflict FROM visible_records ORDER BY id")
        }
        #expect(rows.count == 2)
        #expect(rows[0]["data"] as String == #"{"ten":"Lê Thị Mai"}"#)
        #expect(rows[0]["hlc"] as String == "[7000,0]")
        #expect(rows[0]["conflict"] as Bool == false)
        #expect(rows[1]["conflict"] as Bool == true)
        #expect(rows[1]["origin"] as String == "ubnd-ha-noi")
        let journal = try reader.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
    }

    @Test("other programs read visible_records with plain SQL (psql), in PostgreSQL's own types", .enabled(if: StoreBackend.tested.contains(.postgres)))
    func visibleRecordsViewOnPostgres() throws {
        let temporary = try TemporaryStore(.postgres)
        try writeTwoRecords(temporary.store)
        guard case .postgres(let database) = temporary.location else { return }
        let output = try PostgresCluster.shared.psql(database.database, """
            SELECT id, data->>'ten', deleted, origin, hlc->>0, conflict FROM visible_records ORDER BY id
            """)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first == "cd-1|Lê Thị Mai|f|bo-y-te|7000|f")
        #expect(lines.last?.hasPrefix("cd-2|") == true)
        #expect(lines.last?.hasSuffix("|f|ubnd-ha-noi|2|t") == true)
    }
}

@Suite("Store: convergence")
struct ConvergenceTests {
    @Test("stores fed the same versions in different orders, with duplicates, export the same", arguments: StoreBackend.tested, 0..<6 as Range<UInt64>)
    func converges(backend: StoreBackend, seed: UInt64) throws {
        let agencies = Array([boCongAn, boYTe, ubnd, try AgencyID("so-tu-phap"), try AgencyID("bo-gd-dt")].prefix(3 + Int(seed % 3)))
        let history = History.generate(seed: seed, agencies: agencies, records: 8, operations: 60, dataset: dataset)
        for policy in [MergePolicy.lww, .authority(owner: agencies[1]), .manual] {
            var exports: [[String]] = []
            for order in 0..<3 as Range<UInt64> {
                let temporary = try TemporaryStore(backend)
                try temporary.store.write { tx in
                    for version in history.deliveries(seed: seed &* 31 &+ order, duplicates: 10) {
                        try tx.receive(version, from: version.origin, rules: rules(policy))
                    }
                }
                exports.append(try temporary.export(dataset))
            }
            #expect(!exports[0].isEmpty)
            #expect(exports.allSatisfy { $0 == exports[0] }, "seed \(seed), policy \(policy)")
        }
    }
}

@Suite("Store: the own feed as JSON text")
struct OwnFeedTextTests {
    @Test("records put together from stored text equal the versions' JSON with their seq", arguments: StoreBackend.tested)
    func splicedRecordsMatch(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        let ids = ["cd-1", "a \"quoted\" id\\with\nbreaks", "Nguyễn/Ω"]
        try temporary.store.write(at: UnixTime(milliseconds: 3_000)) { tx in
            for (index, id) in ids.enumerated() {
                try tx.edit(dataset: dataset, id: id, agency: boYTe, deleted: index == 2, data: .object([
                    "ho_ten": .string("Lê \"Văn\" \(index)"), "so": .number("1.50e+3"), "danh_sach": .array([.null, .bool(true)]),
                ]), policy: .lww)
            }
        }
        let (texts, versions) = try temporary.store.read { snapshot in
            (try snapshot.ownFeedRecordTexts(dataset: dataset, after: 0, limit: 10), try snapshot.ownFeed(dataset: dataset, after: 0, limit: 10))
        }
        #expect(texts.seqs == [1, 2, 3])
        for (text, version) in zip(texts.records, versions) {
            guard case .object(var members) = version.version.json else { Issue.record("not an object"); continue }
            members["seq"] = .integer(version.seq)
            #expect(try JSONValue(parsing: text.json) == .object(members))
            #expect(Array(text.json) == JSONValue.object(members).serialized())
        }
    }
}

@Suite("pull status")
struct PullStatusTests {
    @Test("failures count up with their backoff, a success resets them and keeps the last error for operators", arguments: StoreBackend.tested)
    func failuresAndSuccess(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let peer = try AgencyID("bo-cong-an")
        let dataset = try DatasetName("dan-cu")
        #expect(try store.read { try $0.pullStatus(peer: peer, dataset: dataset) } == nil)

        let failures = try store.write(at: UnixTime(milliseconds: 1_000)) { try $0.recordPullFailure(peer: peer, dataset: dataset, reason: "publisher answered 503", nextAttemptAt: 6_000) }
        #expect(failures == 1)
        #expect(try store.write(at: UnixTime(milliseconds: 7_000)) { try $0.recordPullFailure(peer: peer, dataset: dataset, reason: "timed out", nextAttemptAt: nil) } == 2)
        let failing = try #require(try store.read { try $0.pullStatus(peer: peer, dataset: dataset) })
        #expect(!failing.isHealthy && failing.consecutiveFailures == 2 && failing.lastError == "timed out" && failing.lastErrorAt == 7_000)
        #expect(failing.nextAttemptAt == nil && failing.lastSuccessAt == nil && failing.lastAttemptAt == 7_000)

        try store.write(at: UnixTime(milliseconds: 9_000)) { try $0.recordPullSuccess(peer: peer, dataset: dataset) }
        let healthy = try #require(try store.read { try $0.pullStatuses() }.first)
        #expect(healthy.isHealthy && healthy.lastSuccessAt == 9_000 && healthy.nextAttemptAt == nil)
        #expect(healthy.lastError == "timed out" && healthy.lastErrorAt == 7_000)
    }
}
