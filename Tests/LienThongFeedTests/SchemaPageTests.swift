import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongSchema
import LienThongStore
import LienThongTestSupport
import Testing

@Suite("Feed pages: records checked against the receiver's schema")
struct SchemaPageTests {
    let rules = MergeRules(policy: .lww, receiver: boYTe, directSources: [boCongAn])
    let schema = try! DatasetSchema(declaration: try! JSONValue(parsing: #"""
        {"fields": {
          "so_dinh_danh": {"type": "string", "required": true, "pii": true, "format": "cccd",
                           "cccd": {"birth_date": "ngay_sinh", "sex": "gioi_tinh"}},
          "ho_ten": {"type": "string", "required": true, "max_length": 100},
          "ngay_sinh": {"type": "date", "required": true},
          "gioi_tinh": {"type": "string", "enum": ["nam", "nữ"]}}}
        """#))

    func resident(_ number: String, born: String = "1990-05-01", sex: String = "nam") -> JSONValue {
        .object(["so_dinh_danh": .string(number), "ho_ten": .string("Trần Văn Bình"), "ngay_sinh": .string(born), "gioi_tinh": .string(sex)])
    }

    @Test("a page that mixes valid and invalid records: the valid apply, each invalid one is quarantined with reason schema", arguments: StoreBackend.tested)
    func mixedPage(backend: StoreBackend) async throws {
        let temporary = try TemporaryStore(backend)
        let importer = PageImporter(store: temporary.store, clockSkewSeconds: 300, schemas: [danCu: schema])
        var deletion = try #require(record("e").objectValue)
        deletion["deleted"] = .bool(true)
        deletion["data"] = .object([:])
        let raw = try page(records: [
            (1, record("a", data: resident("001090123456"))),
            (2, record("b", data: resident("00109012345"))),  // 11 digits
            (3, record("c", data: resident("001190123456"))),  // digit 4 says female, the record says nam
            (4, record("d", data: .object(["ho_ten": .string("Lê Thị Hạnh")]))),  // required fields missing
            (5, .object(deletion)),  // a deletion carries no data to check
            (6, record("f", data: resident("079185000321", born: "1985-12-31", sex: "nữ"))),
        ])
        let (_, application) = try await importer.importPage(raw, verifier: verifier, expected: expectation()) { _ in rules }
        #expect(application.applied == 3)
        #expect(application.quarantined == 3)
        #expect(application.cursor == 6)
        let kept = try await temporary.store.read { try $0.quarantined() }.sorted { ($0.recordID ?? "") < ($1.recordID ?? "") }
        #expect(kept.map(\.recordID) == ["b", "c", "d"])
        #expect(kept.allSatisfy { $0.reason == "schema" })
        #expect(kept.map(\.detail) == [
            "field so_dinh_danh breaks format (cccd: 12 digits): found a string of 11 characters: digits",
            "field so_dinh_danh breaks cccd (digit 4 agrees with gioi_tinh): found a string of 12 characters: digits",
            "field ngay_sinh breaks required (present): found no such member",
        ])
        // The detail never carries the value; the raw record is kept for review, as for any quarantined record.
        #expect(kept.allSatisfy { !$0.detail.contains("001") })
        let visible = try await temporary.store.read { snapshot in try ["a", "b", "c", "d", "f"].map { try snapshot.visibleRecord(dataset: danCu, id: $0) != nil } }
        #expect(visible == [true, false, false, false, true])
    }

    @Test("without a schema the same records apply")
    func noSchema() async throws {
        let temporary = try TemporaryStore()
        let importer = PageImporter(store: temporary.store, clockSkewSeconds: 300)
        let raw = try page(records: [(1, record("b", data: resident("00109012345")))])
        let (_, application) = try await importer.importPage(raw, verifier: verifier, expected: expectation()) { _ in rules }
        #expect(application.applied == 1 && application.quarantined == 0)
    }
}
