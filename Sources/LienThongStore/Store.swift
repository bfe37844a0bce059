public import Foundation
import GRDB
internal import GRDBSQLite
public import LienThongCore
public import LienThongMerge

/// The shared local store that lienthong writes and the agency's other programs read in place through its
/// views (`visible_records`, `changes`, …; docs/STORE.md): one SQLite file in WAL mode, or a PostgreSQL
/// database that several daemons of one agency may share.
public struct Store: Sendable {
    private let database: any StoreDatabase
    /// Where the time of a write comes from.
    public let clock: any UnixClock
    /// The datasets that keep no superseded version (``keepNoHistory(of:)``), shared by every copy of this value.
    private let historyless = Locked<Set<DatasetName>>([])

    /// Opens (creating if needed) the store at `url` and brings its schema up to date. A new store is created
    /// with mode 0640 (and its folder, if missing, 0750) whatever the umask, so that its group — the agency's
    /// readers — may read it and nobody else; it takes the folder's group (a set-group-ID folder gives its
    /// own). SQLite gives the `-wal` and `-shm` files the store's mode, and `-wal` and `-shm` files left from an
    /// earlier run are given its mode and group again. An existing store keeps its mode.
    /// Every connection keeps the `-wal` and `-shm` files when it closes (`SQLITE_FCNTL_PERSIST_WAL`): a
    /// reader that may not write in the folder can open a WAL database only while both exist.
    /// Every write happens at `clock`'s time unless given one (``write(at:_:)``); tests and the fixtures
    /// tool fix it.
    public init(openingAt url: URL, clock: any UnixClock = SystemClock()) throws(StoreError) {
        self.clock = clock
        var configuration = GRDB.Configuration()
        configuration.foreignKeysEnabled = true
        // Other programs (and lienthong's own commands) open the store while the daemon writes, and the first
        // opening after a crash recovers the WAL under a lock: wait for a lock rather than fail at once.
        configuration.busyMode = .timeout(Store.busyTimeoutSeconds)
        configuration.prepareDatabase { db in
            // Readers only: GRDB puts the writer in WAL mode after this, and with it `synchronous = NORMAL`, under
            // which a commit survives a crash of lienthong and reaches the disk at the next checkpoint
            // (docs/STORE.md). FULL on the writer is measured in docs/PERFORMANCE.md and left for later.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = -\(Store.pageCacheKibibytes)")
            try Store.keepWriteAheadLog(db)
        }
        do throws(CreatedFileError) {
            try CreatedFile.createFolder(atPath: url.deletingLastPathComponent().path, mode: CreatedFile.groupReadableFolder)
            // SQLite would create the file with 0644; an empty file is an empty database to it.
            try CreatedFile.create(atPath: url.path, mode: CreatedFile.ownerWritesGroupReads)
        } catch where error.alreadyExists {
            // An existing store, or one another process is creating at this moment: its mode is its owner's.
        } catch {
            throw StoreError(.createFile, doing: LocalizedMessage("store.doing.create", ["location": url.path]), underlying: error)
        }
        CreatedFile.matchMode(ofCompanions: [url.path + "-wal", url.path + "-shm"], to: url.path)
        do {
            let pool = try DatabasePool(path: url.path, configuration: configuration)
            try Schema.migrator.migrate(pool)
            database = SQLiteDatabase(writer: pool)
        } catch {
            throw StoreError(.open, doing: LocalizedMessage("store.doing.open", ["location": url.path]), underlying: error)
        }
    }

    /// Opens the store at `url` for reading only, as the agency's other programs do (`lienthong watch`): nothing
    /// is created or migrated, and read access to the store, its `-wal` and `-shm` is all the user needs (the
    /// `lienthong-readers` group). Fails when the store is missing or older than this version of lienthong
    /// (the daemon migrates it when it starts).
    public init(readingAt url: URL, clock: any UnixClock = SystemClock()) throws(StoreError) {
        self.clock = clock
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(Store.busyTimeoutSeconds)
        do {
            let queue = try DatabaseQueue(path: url.path, configuration: configuration)
            let missing = try queue.read { db in try Set(Schema.migrator.migrations).subtracting(Schema.migrator.appliedIdentifiers(db)) }
            guard missing.isEmpty else {
                throw StoreError(.open, doing: LocalizedMessage("store.doing.read-at", ["location": url.path]), underlying: StoreCorruption(
                    detail: "it lacks migration \(missing.sorted().joined(separator: ", ")): start lienthong (daemon or sync) once to bring it up to date"
                ))
            }
            database = SQLiteDatabase(writer: queue)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.open, doing: LocalizedMessage("store.doing.open-for-reading", ["location": url.path]), underlying: error)
        }
    }

    /// Opens the PostgreSQL store `location` names and brings its schema up to date (docs/STORE.md, "Two
    /// backends"): several daemons may open one database.
    public init(opening location: PostgresLocation, clock: any UnixClock = SystemClock()) throws(StoreError) {
        self.init(database: try PostgresDatabase(location), clock: clock)
    }

    /// Opens the store `location` names for reading only, as the agency's other programs do: ``init(readingAt:clock:)``
    /// for a file; a PostgreSQL database without creating or migrating anything, so that a role allowed only to
    /// read may open it. Fails when the store lacks a migration of this version of lienthong.
    public init(reading location: StoreLocation, clock: any UnixClock = SystemClock()) throws(StoreError) {
        switch location {
        case .file(let url):
            try self.init(readingAt: url, clock: clock)
        case .postgres(let postgres):
            self.init(database: try PostgresDatabase(postgres, migrating: false), clock: clock)
        }
    }

    private init(database: any StoreDatabase, clock: any UnixClock) {
        self.database = database
        self.clock = clock
    }

    /// Opens the store `location` names: ``init(openingAt:clock:)`` for a file, ``init(opening:clock:)`` for PostgreSQL.
    public init(opening location: StoreLocation, clock: any UnixClock = SystemClock()) throws(StoreError) {
        switch location {
        case .file(let url): try self.init(openingAt: url, clock: clock)
        case .postgres(let postgres): try self.init(opening: postgres, clock: clock)
        }
    }

    /// Runs `body` in one write transaction happening at `time` (the store's clock's now if nil):
    /// everything it does is kept, or, if it throws, none of it. The database's errors come as a
    /// ``StoreError``; what `body` throws itself comes as it is.
    public func write<Result>(at time: UnixTime? = nil, _ body: (StoreTransaction) throws -> Result) throws -> Result {
        let now = time ?? clock.now
        return try database.write { session in try transaction(session, at: now, body) }
    }

    /// Makes every later transaction delete a version of one of `datasets` as soon as a later version
    /// supersedes it (`history_days: 0`, docs/CONFIG.md `retention`), rather than at the next purge. Called with
    /// the configuration in force, at start and on every reload.
    public func keepNoHistory(of datasets: Set<DatasetName>) {
        historyless.withLock { $0 = datasets }
    }

    /// ``write(at:_:)`` without holding the calling thread: the transaction runs on the store's own
    /// queue while the task waits.
    public func write<Result: Sendable>(
        at time: UnixTime? = nil, _ body: @escaping @Sendable (StoreTransaction) throws -> Result
    ) async throws -> Result {
        let now = time ?? clock.now
        return try await database.write { session in try transaction(session, at: now, body) }
    }

    /// ``read(_:)`` without holding the calling thread.
    public func read<Result: Sendable>(_ body: @escaping @Sendable (StoreSnapshot) throws -> Result) async throws -> Result {
        try await database.read { session in try body(StoreSnapshot(session: session)) }
    }

    /// Runs `body` on a consistent snapshot of the store.
    public func read<Result>(_ body: (StoreSnapshot) throws -> Result) throws -> Result {
        try database.read { session in try body(StoreSnapshot(session: session)) }
    }

    /// Blocks the calling thread, calling `hint` each time a commit by any process may have added to the own
    /// feed — SQLite: a write in the store's folder (inotify); PostgreSQL: a notification on
    /// `lienthong_own_feed`, which every such commit sends — and again `recheckMilliseconds` after each, in case
    /// the commit became visible just after the hint. Returns once `isStopped` says so (asked at least every
    /// four times `recheckMilliseconds`). A hint says to look: the store stays the truth. For publishers that
    /// hold requests.
    public func followCommits(recheckMilliseconds: Int32 = 50, isStopped: () -> Bool, hint: () -> Void) throws(StoreError) {
        var watch = try database.commitWatch()
        var recheckDue = false
        while !isStopped() {
            if watch.isBroken {
                watch = try database.commitWatch()
                hint()
            }
            if watch.waitForCommit(timeoutMilliseconds: recheckDue ? recheckMilliseconds : 4 * recheckMilliseconds) {
                hint()
                recheckDue = true
            } else if recheckDue {
                hint()
                recheckDue = false
            }
        }
    }

    /// Runs `body` as one transaction at `now`, then saves what outlives it.
    private func transaction<Result>(_ session: any StoreSession, at now: UnixTime, _ body: (StoreTransaction) throws -> Result) throws -> Result {
        let transaction = try StoreTransaction(session, now: now, historyless: historyless.withLock { $0 })
        let result = try body(transaction)
        try transaction.finish()
        return result
    }

    /// Asks SQLite to keep the `-wal` and `-shm` files when the last connection closes (it empties the
    /// `-wal` instead), and to cut the `-wal` back to ``walSizeLimitBytes`` after a checkpoint: readers
    /// without write access to the folder need both files to exist (docs/STORE.md).
    static func keepWriteAheadLog(_ db: Database) throws {
        var persist: Int32 = 1
        let code = sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
        guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot keep the write-ahead log") }
        try db.execute(sql: "PRAGMA journal_size_limit = \(walSizeLimitBytes)")
    }

    /// How large the `-wal` file stays after a checkpoint, at most: 64 MiB, about one large transaction.
    public static let walSizeLimitBytes = 64 << 20

    /// SQLite's page cache per connection, at most: enough to keep the `record` b-tree's inner pages and the
    /// pages a large transaction dirties, so that applying a page reads and writes each b-tree page once.
    public static let pageCacheKibibytes = 16 * 1024

    /// How long an operation waits for another connection's lock before it fails.
    public static let busyTimeoutSeconds: Double = 10
}

extension StoreError {
    /// SQLite's `error` met while reading or writing: ``Code/busy`` when a lock was held too long.
    init(_ error: DatabaseError, _ code: Code) {
        let busy = error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
        self.init(busy ? .busy : code, doing: code == .read ? LocalizedMessage("store.doing.read") : LocalizedMessage("store.doing.write"), underlying: error)
    }
}
