import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongStore
import LienThongTestSupport
import Testing

@Suite("Feed pages: the importer")
struct PageImporterTests {
    let rules = MergeRules(policy: .lww, receiver: boYTe, directSources: [boCongAn])

    @Test("a verified page is applied with its cursor and audited; surrounding white space is ignored", arguments: StoreBackend.tested)
    func applies(backend: StoreBackend) async throws {
        let temporary = try TemporaryStore(backend)
        let importer = PageImporter(store: temporary.store, clockSkewSeconds: 300)
        let raw = try page(records: [(1, record("a")), (2, record("b"))]) + Array("\n".utf8)
        let (imported, application) = try await importer.importPage(raw, verifier: verifier, expected: expectation()) { _ in rules }
        #expect(imported.last == 2)
        #expect(application.applied == 2 && application.cursor == 2)
        #expect(try await temporary.store.read { try $0.auditEvents() }.filter { $0.event == "page applied" }.count == 1)
        #expect(try await temporary.store.read { try $0.quarantined() }.isEmpty)
    }

    @Test("a refused page is thrown with its rejection, kept in quarantine once per body, and audited once", arguments: StoreBackend.tested)
    func refusedOnce(backend: StoreBackend) async throws {
        let temporary = try TemporaryStore(backend)
        let importer = PageImporter(store: temporary.store, clockSkewSeconds: 300)
        let raw = try page(records: [(1, record("a"))], key: strangerKey)
        for _ in 0..<2 {
            let error = await #expect(throws: PageImportError.self) {
                try await importer.importPage(raw, verifier: verifier, expected: expectation()) { _ in rules }
            }
            #expect(error?.reason == .refused)
            #expect(error?.rejection?.reason == .signature)
        }
        let kept = try await temporary.store.read { try $0.quarantined() }
        #expect(kept.map(\.reason) == ["page: signature"])
        #expect(kept.first?.timesSeen == 2)
        #expect(try await temporary.store.read { try $0.auditEvents() }.filter { $0.event == "page refused" }.count == 1)
        #expect(try await temporary.store.read { try $0.cursor(peer: boCongAn, dataset: danCu) } == nil)
    }

    @Test("a page whose head is below the cursor passes the checks, is refused when applied, and is quarantined", arguments: StoreBackend.tested)
    func rollbackAtApply(backend: StoreBackend) async throws {
        let temporary = try TemporaryStore(backend)
        let importer = PageImporter(store: temporary.store, clockSkewSeconds: 300)
        _ = try await importer.importPage(try page(records: [(1, record("a")), (2, record("b"))]), verifier: verifier, expected: expectation()) { _ in rules }
        // Asked for nothing in particular (offline), a page of head 1 passes every page check.
        let rolledBack = try page(records: [(1, record("a"))])
        let checked = try await importer.verify(rolledBack, verifier: verifier, expected: expectation())
        let error = await #expect(throws: PageImportError.self) { try await importer.apply(checked, raw: rolledBack, rules: rules, now: fixedNow) }
        #expect(error?.reason == .refused)
        #expect(error?.rejection?.reason == .rollback)
        #expect(try await temporary.store.read { try $0.quarantined() }.map(\.reason) == ["page: rollback"])
        #expect(try await temporary.store.read { try $0.cursor(peer: boCongAn, dataset: danCu) }?.position == 2)
    }
}
