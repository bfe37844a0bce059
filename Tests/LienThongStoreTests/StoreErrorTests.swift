import Foundation
import GRDB
import LienThongCore
@_spi(Testing) import LienThongStore
import LienThongTestSupport
import Testing

@Suite("Store errors: SQLite's failures come typed, with a code and SQLite's error; the caller's own pass through")
struct StoreErrorTests {
    struct CallerError: Error {}

    @Test("a write the database refuses is a StoreError with code write and the database's error, and nothing of it is kept", arguments: StoreBackend.tested)
    func writeFailureIsTyped(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        switch temporary.location {
        case .file(let url):
            try DatabaseQueue(path: url.path).write { db in
                try db.execute(sql: "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
            }
        case .postgres(let database):
            try PostgresCluster.shared.psql(database.database, """
                CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
                CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse();
                """)
        }
        let error = #expect(throws: StoreError.self) {
            try temporary.store.write { try $0.audit("test event", peer: nil, dataset: nil, detail: .object([:])) }
        }
        #expect(error?.code == .write)
        #expect(backend == .postgres || error?.underlying is DatabaseError)
        #expect(error?.description.hasPrefix("cannot write to the store: ") == true, "\(String(describing: error))")
        #expect(error?.description.contains("refused by the test") == true)
        #expect(try temporary.count("audit_log") == 0)
    }

    @Test("what the caller's body throws comes out as it is, not as a StoreError", arguments: StoreBackend.tested)
    func callerErrorsPassThrough(backend: StoreBackend) async throws {
        let temporary = try TemporaryStore(backend)
        #expect(throws: CallerError.self) { try temporary.store.write { _ in throw CallerError() } }
        await #expect(throws: CallerError.self) { try await temporary.store.write { _ in throw CallerError() } }
        #expect(throws: CallerError.self) { try temporary.store.read { _ in throw CallerError() } }
    }

    @Test("a store that cannot be opened is a StoreError with code open")
    func openFailureIsTyped() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appending(path: "lienthong.sqlite")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("not a database, but long enough to be read as one: ".utf8 + Data(repeating: 0x41, count: 4096)).write(to: url)
        let error = #expect(throws: StoreError.self) { try Store(openingAt: url) }
        #expect(error?.code == .open)
    }
}

/// Whether the store's tests run on PostgreSQL too: here, or why not.
@Suite("Store: the PostgreSQL backend under test")
struct PostgresAvailabilityTests {
    @Test(
        "a private PostgreSQL cluster starts for the tests and gives each test a database of its own",
        .enabled(if: PostgresCluster.unavailableReason == nil, Comment(rawValue: PostgresCluster.unavailableReason ?? ""))
    )
    func clusterStarts() throws {
        let first = try PostgresCluster.shared.newDatabase()
        let second = try PostgresCluster.shared.newDatabase()
        #expect(first.database != second.database && first.port == second.port)
        #expect(try PostgresCluster.shared.psql(first.database, "SELECT current_setting('server_version_num')::int >= 120000") == "t\n")
    }
}
