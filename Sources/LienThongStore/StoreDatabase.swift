import Foundation
import GRDB

/// A backend's database: transactions and snapshots, each given a ``StoreSession`` for its duration.
protocol StoreDatabase: Sendable {
    /// Runs `body` in one write transaction, committed when it returns and rolled back when it throws.
    func write<Result>(_ body: (any StoreSession) throws -> Result) throws -> Result
    /// ``write(_:)`` on the backend's own threads while the task waits.
    func write<Result: Sendable>(_ body: @escaping @Sendable (any StoreSession) throws -> Result) async throws -> Result
    /// Runs `body` on one consistent snapshot.
    func read<Result>(_ body: (any StoreSession) throws -> Result) throws -> Result
    /// ``read(_:)`` on the backend's own threads while the task waits.
    func read<Result: Sendable>(_ body: @escaping @Sendable (any StoreSession) throws -> Result) async throws -> Result
    /// A watch that wakes when a commit by any process may have added to the own feed.
    func commitWatch() throws(StoreError) -> any CommitWatch
}

/// Wakes a thread when the store may have changed: a hint to look, never the truth.
protocol CommitWatch {
    /// Blocks the calling thread until a commit may have happened or `timeoutMilliseconds` pass; whether one woke it.
    func waitForCommit(timeoutMilliseconds: Int32) -> Bool
    /// Whether the watch broke (a connection lost) and must be opened again.
    var isBroken: Bool { get }
}

/// The store's SQLite file, through GRDB: a pool of readers and one writer in WAL mode (or one read-only
/// connection).
struct SQLiteDatabase: StoreDatabase {
    let writer: any DatabaseWriter

    func commitWatch() throws(StoreError) -> any CommitWatch {
        try StoreFileWatch(storeURL: URL(fileURLWithPath: writer.path))
    }

    func write<Result>(_ body: (any StoreSession) throws -> Result) throws -> Result {
        do {
            return try writer.write { db in try body(SQLiteSession(db)) }
        } catch let error as DatabaseError {
            throw StoreError(error, .write)
        }
    }

    func write<Result: Sendable>(_ body: @escaping @Sendable (any StoreSession) throws -> Result) async throws -> Result {
        do {
            return try await writer.write { db in try body(SQLiteSession(db)) }
        } catch let error as DatabaseError {
            throw StoreError(error, .write)
        }
    }

    func read<Result>(_ body: (any StoreSession) throws -> Result) throws -> Result {
        do {
            return try writer.read { db in try body(SQLiteSession(db)) }
        } catch let error as DatabaseError {
            throw StoreError(error, .read)
        }
    }

    func read<Result: Sendable>(_ body: @escaping @Sendable (any StoreSession) throws -> Result) async throws -> Result {
        do {
            return try await writer.read { db in try body(SQLiteSession(db)) }
        } catch let error as DatabaseError {
            throw StoreError(error, .read)
        }
    }
}
