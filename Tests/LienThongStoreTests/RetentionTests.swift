import Foundation
import LienThongCore
import LienThongMerge
@_spi(Testing) import LienThongStore
import LienThongTestSupport
import Testing

/// The purge of what retention no longer keeps (docs/PRIVACY.md, "How long").
@Suite("Store: retention purges exactly what it should")
struct RetentionTests {
    static let day: Int64 = 86_400_000
    let otherDataset = try! DatasetName("dan-cu")

    func at(_ day: Int64) -> UnixTime { UnixTime(milliseconds: day * Self.day) }

    /// r1 edited on days 1, 2 and 20 (two superseded versions: on day 2 and day 20); r2 edited on day 1 and in
    /// open conflict with bo-cong-an's concurrent version since day 2; a dan-cu record edited on days 1 and 2;
    /// a record quarantined on day 1, one on day 50, and a page refused on day 1.
    func seeded(_ backend: StoreBackend) throws -> TemporaryStore {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        func edit(_ dataset: DatasetName, _ id: String, _ value: Int64, on day: Int64) throws {
            try store.write(at: at(day)) { tx in
                try tx.edit(dataset: dataset, id: id, agency: soXayDung, deleted: false, data: .object(["v": .integer(value)]), policy: .lww)
            }
        }
        try edit(dataset, "r1", 1, on: 1)
        try edit(dataset, "r1", 2, on: 2)
        try edit(dataset, "r1", 3, on: 20)
        try edit(dataset, "r2", 1, on: 1)
        try store.write(at: at(2)) { tx in
            try tx.receive(version("r2", origin: boCongAn, hlc: 2 * Self.day, vv: [boCongAn: 1]), from: boCongAn, rules: rules(.manual))
        }
        try edit(otherDataset, "d1", 1, on: 1)
        try edit(otherDataset, "d1", 2, on: 2)
        try store.write(at: at(1)) { tx in
            try tx.quarantine(peer: boCongAn, dataset: dataset, recordID: "q1", reason: .recordRule(.idLength), detail: "too long", raw: "{}")
            try tx.quarantinePage(peer: boCongAn, refusedBy: "signature", detail: "bad", body: RefusedBody(Array("x".utf8), sha256: "00"))
        }
        try store.write(at: at(50)) { tx in
            try tx.quarantine(peer: boCongAn, dataset: dataset, recordID: "q2", reason: .recordRule(.idLength), detail: "too long", raw: "{}")
        }
        return temporary
    }

    func historyRows(_ temporary: TemporaryStore, _ id: String) throws -> [String] {
        try temporary.store.read { try $0.rawRows("SELECT data FROM history WHERE record_id = '\(id)' ORDER BY seq") }.map { $0[0] ?? "" }
    }

    @Test("versions superseded before history_days and items last seen before quarantine_days go; the rest stays", arguments: StoreBackend.tested)
    func exactly(backend: StoreBackend) throws {
        let temporary = try seeded(backend)
        let retention = [dataset: RetentionDays(history: 15, quarantine: 90), otherDataset: RetentionDays(history: 365, quarantine: 90)]
        let dryRun = try temporary.store.write(at: at(110)) { tx in try tx.purgeExpired(retention: retention, pagesDays: 100, dryRun: true) }
        #expect(try historyRows(temporary, "r1").count == 2, "a dry run removes nothing")
        let counts = try temporary.store.write(at: at(110)) { tx in try tx.purgeExpired(retention: retention, pagesDays: 100, dryRun: false) }
        #expect(counts == dryRun)
        // r1's first version left on day 2, before the cut of day 95; its second left on day 20, also before.
        // With 15 days both go; dan-cu's, kept 365 days, stays.
        #expect(counts.history == [dataset: 2])
        #expect(try historyRows(temporary, "r1").isEmpty)
        #expect(try historyRows(temporary, "d1") == [#"{"v":1}"#])
        // q1 came on day 1 (before the cut of day 20), q2 on day 50 (after); the refused page on day 1, kept 100 days.
        #expect(counts.quarantine == [dataset: 1, nil: 1])
        #expect(try temporary.store.read { try $0.quarantined() }.map { $0.recordID ?? "page" } == ["q2"])
        // What is shown never goes.
        #expect(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "r1") }?.version.data == .object(["v": .integer(3)]))
    }

    @Test("a version is kept until its history_days have passed since it was superseded, not since it was made", arguments: StoreBackend.tested)
    func fromSuperseded(backend: StoreBackend) throws {
        let temporary = try seeded(backend)
        // On day 30 with 15 days: the version superseded on day 2 goes, the one superseded on day 20 stays,
        // although both were made before day 15.
        let counts = try temporary.store.write(at: at(30)) { tx in
            try tx.purgeExpired(retention: [dataset: RetentionDays(history: 15, quarantine: 90)], pagesDays: 90, dryRun: false)
        }
        #expect(counts.history == [dataset: 1])
        #expect(try historyRows(temporary, "r1") == [#"{"v":2}"#])
    }

    @Test("history_days 0 keeps no superseded version, and an open conflict's siblings survive it", arguments: StoreBackend.tested)
    func openConflictSurvives(backend: StoreBackend) throws {
        let temporary = try seeded(backend)
        _ = try temporary.store.write(at: at(60)) { tx in
            try tx.purgeExpired(retention: [dataset: RetentionDays(history: 0, quarantine: 0)], pagesDays: 0, dryRun: false)
        }
        #expect(try historyRows(temporary, "r1").isEmpty)
        let siblings = try temporary.store.read { try $0.siblings(dataset: dataset, id: "r2") }
        #expect(siblings.count == 2)
        #expect(try temporary.store.read { try $0.openConflicts(dataset: dataset) }.map(\.version.id) == ["r2"])
        #expect(try temporary.store.read { try $0.quarantined() }.isEmpty)
    }
}

@Suite("Store: history_days 0 keeps no superseded version at all")
struct NoHistoryTests {
    @Test("a version is deleted as soon as a later one supersedes it, in the datasets named only", arguments: StoreBackend.tested)
    func deletedAtOnce(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        let other = try DatasetName("dan-cu")
        temporary.store.keepNoHistory(of: [dataset])
        for value in 1...3 {
            try temporary.store.write { tx in
                for target in [dataset, other] {
                    try tx.edit(dataset: target, id: "r1", agency: soXayDung, deleted: false, data: .object(["v": .integer(Int64(value))]), policy: .lww)
                }
            }
        }
        // A received version that displaces the local one is no different.
        try temporary.store.write { tx in
            try tx.receive(version("r1", origin: boCongAn, hlc: 9_000_000_000_000, vv: [soXayDung: 3, boCongAn: 1]), from: boCongAn, rules: rules(.lww))
        }
        #expect(try temporary.count("version", where: "dataset = 'tiem-chung'") == 1)
        #expect(try temporary.count("history", where: "dataset = 'tiem-chung'") == 0)
        #expect(try temporary.count("history", where: "dataset = 'dan-cu'") == 2)
        #expect(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "r1") }?.version.origin == boCongAn)
    }
}
