import LienThongCore
import LienThongMerge
@_spi(Testing) import LienThongStore
import LienThongTestSupport
import Testing

@Suite("Store: resolving a conflict by hand")
struct ConflictResolutionTests {
    /// A store holding `r1` with two concurrent versions, by bo-cong-an (deleted) and ubnd-ha-noi, and `r2` with one.
    func conflicted(_ backend: StoreBackend) throws -> TemporaryStore {
        let temporary = try TemporaryStore(backend)
        try temporary.store.write { tx in
            try tx.receive(version("r1", origin: boCongAn, hlc: 1, vv: [boCongAn: 1], deleted: true), from: boCongAn, rules: rules(.manual))
            try tx.receive(version("r1", origin: ubnd, hlc: 2, vv: [ubnd: 1], data: .object(["v": .integer(7)])), from: ubnd, rules: rules(.manual))
            try tx.receive(version("r2", origin: ubnd, hlc: 3, vv: [ubnd: 2]), from: ubnd, rules: rules(.manual))
        }
        return temporary
    }

    func resolve(_ temporary: TemporaryStore, _ id: String, by resolution: ConflictResolution) throws -> RecordVersion {
        try temporary.store.write { tx in try tx.resolveConflict(dataset: dataset, id: id, agency: soXayDung, policy: .manual, by: resolution) }
    }

    @Test("picking an origin keeps what it holds, a deletion too; the edit dominates every sibling and is audited", arguments: StoreBackend.tested, [
        (boCongAn, true, JSONValue.object(["v": .integer(1)])), (ubnd, false, JSONValue.object(["v": .integer(7)])),
    ])
    func pick(backend: StoreBackend, expected: (origin: AgencyID, deleted: Bool, data: JSONValue)) throws {
        let (origin, deleted, data) = expected
        let temporary = try conflicted(backend)
        let edit = try resolve(temporary, "r1", by: .pick(origin: origin.rawValue))
        #expect(edit.deleted == deleted)
        #expect(edit.data == data)
        #expect(edit.vv == VersionVector([boCongAn: 1, ubnd: 1, soXayDung: 1]))
        #expect(try temporary.store.read { try $0.siblings(dataset: dataset, id: "r1") } == [edit])
        #expect(try temporary.count("audit_log", where: "event = 'conflict resolved'") == 1)
    }

    @Test("new data replaces the record", arguments: StoreBackend.tested)
    func replace(backend: StoreBackend) throws {
        let temporary = try conflicted(backend)
        let edit = try resolve(temporary, "r1", by: .replace(data: .object(["v": .integer(9)])))
        #expect(!edit.deleted)
        #expect(try temporary.store.read { try $0.visibleRecord(dataset: dataset, id: "r1") }?.version.data == .object(["v": .integer(9)]))
    }

    @Test("a record without an open conflict, or a pick no sibling matches, is refused with its reason and changes nothing", arguments: StoreBackend.tested, [
        ("r2", ConflictResolution.pick(origin: "ubnd-ha-noi"), ConflictResolutionError.Reason.noOpenConflict),
        ("r9", ConflictResolution.replace(data: .object([:])), .noOpenConflict),
        ("r1", ConflictResolution.pick(origin: "bo-y-te"), .noSuchSibling),
    ])
    func refused(backend: StoreBackend, attempt: (id: String, resolution: ConflictResolution, reason: ConflictResolutionError.Reason)) throws {
        let (id, resolution, reason) = attempt
        let temporary = try conflicted(backend)
        let error = #expect(throws: ConflictResolutionError.self) { try resolve(temporary, id, by: resolution) }
        #expect(error?.reason == reason)
        #expect(try temporary.store.read { try $0.siblings(dataset: dataset, id: "r1") }.count == 2)
        #expect(try temporary.count("audit_log", where: "event = 'conflict resolved'") == 0)
    }
}
