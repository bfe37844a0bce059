import Dispatch
import Foundation
import LienThongCore
internal import Logging
internal import NIOCore
internal import NIOPosix
internal import NIOSSL
internal import PostgresNIO
import Synchronization

/// The store on PostgreSQL, through postgres-nio: a few connections kept open, each used by one transaction
/// or snapshot at a time on the calling thread, which waits for the database's answers (never a thread of
/// Swift's cooperative pool: the async operations move to the store's own queue first). Write transactions
/// of every daemon sharing the database run one after another (the clock row's lock, docs/STORE.md).
struct PostgresDatabase: StoreDatabase {
    private let connections: PostgresConnections

    /// Connects once, to fail early when the database cannot be reached, then brings the schema up to date — or,
    /// not `migrating`, checks that it is.
    init(_ location: PostgresLocation, migrating: Bool = true) throws(StoreError) {
        do {
            connections = try PostgresConnections(location)
            try connections.withConnection { connection in
                let session = PostgresSession(connection, logger: connections.queryLogger)
                if migrating {
                    try PostgresMigrator.migrate(session)
                } else {
                    try PostgresMigrator.checkUpToDate(session)
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.open, doing: LocalizedMessage("store.doing.open", ["location": "\(location)"]), underlying: PostgresFailure(error))
        }
    }

    func commitWatch() throws(StoreError) -> any CommitWatch {
        do {
            return try PostgresCommitListener(connections.connectListener())
        } catch {
            throw StoreError(.open, doing: LocalizedMessage("store.doing.listen"), underlying: PostgresFailure(error))
        }
    }

    func write<Result>(_ body: (any StoreSession) throws -> Result) throws -> Result {
        try transaction(.write, begin: "BEGIN", body)
    }

    func read<Result>(_ body: (any StoreSession) throws -> Result) throws -> Result {
        // One snapshot for every statement of the read, as SQLite's read transaction gives.
        try transaction(.read, begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    func write<Result: Sendable>(_ body: @escaping @Sendable (any StoreSession) throws -> Result) async throws -> Result {
        try await Self.offCooperativePool { try self.write(body) }
    }

    func read<Result: Sendable>(_ body: @escaping @Sendable (any StoreSession) throws -> Result) async throws -> Result {
        try await Self.offCooperativePool { try self.read(body) }
    }

    /// Where transactions that would otherwise hold a thread of the cooperative pool while they wait run.
    private static let queue = DispatchQueue(label: "lienthong.store.postgres", attributes: .concurrent)

    private static func offCooperativePool<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Swift.Result { try work() }) }
        }
    }

    /// Runs `body` between `begin` and `COMMIT`, rolling back when it throws. PostgreSQL's errors come as a
    /// ``StoreError`` (``StoreError/Code/busy`` for a lock waited on too long, a serialization failure or a
    /// deadlock: trying again may work); what `body` throws itself comes as it is.
    private func transaction<Result>(_ code: StoreError.Code, begin: String, _ body: (any StoreSession) throws -> Result) throws -> Result {
        do {
            return try connections.withConnection { connection in
                let session = PostgresSession(connection, logger: connections.queryLogger)
                try session.simple(begin)
                do {
                    let result = try body(session)
                    try session.flush()
                    try session.simple("COMMIT")
                    return result
                } catch {
                    if !connection.isClosed { try? session.simple("ROLLBACK") }
                    throw error
                }
            }
        } catch let error as PSQLError {
            let failure = PostgresFailure(error)
            throw StoreError(failure.isBusy ? .busy : code, doing: code == .read ? LocalizedMessage("store.doing.read") : LocalizedMessage("store.doing.write"), underlying: failure)
        }
    }
}

/// PostgreSQL's error in one line: the server's message and SQLSTATE, or what broke the connection. The
/// statement and its values are left out: they may hold record contents.
struct PostgresFailure: Error, CustomStringConvertible {
    let description: String
    /// Trying again later may work: a lock waited on too long, a serialization failure, a deadlock.
    let isBusy: Bool

    init(_ error: any Error) {
        guard let error = error as? PSQLError else {
            description = "\(error)"
            isBusy = false
            return
        }
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState] ?? "?"
            description = "\(message) (SQLSTATE \(state))"
            isBusy = ["55P03", "40001", "40P01"].contains(state)
        } else {
            description = "PostgreSQL connection: \(error.code)"
            isBusy = false
        }
    }
}

/// The connections of one store, opened when needed and kept while they work: at most
/// ``PostgresConnections/maximumOpen``; a transaction that finds them all busy waits for one.
final class PostgresConnections: Sendable {
    /// How many connections one lienthong process opens at most.
    static let maximumOpen = 4
    private let configuration: PostgresConnection.Configuration
    private let idle = Locked<[PostgresConnection]>([])
    private let slots = DispatchSemaphore(value: PostgresConnections.maximumOpen)
    private let nextID = Atomic<Int>(0)
    private let logger: Logger

    init(_ location: PostgresLocation) throws {
        var logger = Logger(label: "lienthong.store.postgres")
        logger.logLevel = .critical
        self.logger = logger
        let password: String?
        if let file = location.passwordFile {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            password = String(text.hasSuffix("\n") ? text.dropLast() : text[...])
        } else {
            password = nil
        }
        let tls: PostgresConnection.Configuration.TLS
        switch location.tls {
        case .disable:
            tls = .disable
        case .require:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            tls = .require(try NIOSSLContext(configuration: settings))
        case .verifyFull:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .fullVerification
            if let roots = location.rootCertificatesFile { settings.trustRoots = .file(roots) }
            tls = .require(try NIOSSLContext(configuration: settings))
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: password, database: location.database, tls: tls
        )
        configuration.options.connectTimeout = .seconds(10)
        // A lock waited on as long as SQLite's busy timeout, then `busy`. A session left idle inside a transaction
        // (its daemon paused or cut off while it held the clock row's lock) is ended by the server after as long,
        // its transaction rolled back, so that the other daemons write again. The daemons' sessions are named in
        // pg_stat_activity.
        let timeout = "\(Int(Store.busyTimeoutSeconds * 1000))"
        configuration.options.additionalStartupParameters = [
            ("lock_timeout", timeout), ("idle_in_transaction_session_timeout", timeout), ("application_name", "lienthong"),
        ]
        self.configuration = configuration
    }

    deinit {
        for connection in idle.withLock({ $0 }) { try? connection.close().wait() }
    }

    /// Runs `body` with a connection of its own; a connection that broke is closed, not kept.
    func withConnection<Result>(_ body: (PostgresConnection) throws -> Result) throws -> Result {
        slots.wait()
        defer { slots.signal() }
        let connection = try idle.withLock { $0.popLast() } ?? connect()
        do {
            let result = try body(connection)
            keep(connection)
            return result
        } catch {
            keep(connection)
            throw error
        }
    }

    private func keep(_ connection: PostgresConnection) {
        if connection.isClosed { return }
        idle.withLock { $0.append(connection) }
    }

    /// A connection of its own, outside the pool, that listens for the own feed's commits.
    func connectListener() throws -> PostgresConnection { try connect() }

    private func connect() throws -> PostgresConnection {
        try PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: nextID.add(1, ordering: .relaxed).newValue, logger: logger
        ).wait()
    }

    var queryLogger: Logger { logger }
}

/// A connection that `LISTEN`s on the own feed's channel: every commit that adds to the own feed, by any
/// daemon sharing the database, notifies it (docs/STORE.md). It owns the connection and closes it when released.
final class PostgresCommitListener: CommitWatch {
    private let connection: PostgresConnection
    private let notified = DispatchSemaphore(value: 0)

    init(_ connection: PostgresConnection) throws {
        self.connection = connection
        connection.addListener(channel: LiveFeedSQL.channel) { [notified] _, _ in notified.signal() }
        _ = try connection.query(PostgresQuery(unsafeSQL: "LISTEN \(LiveFeedSQL.channel)"), logger: Logger(label: "lienthong.store.listen")).wait()
    }

    deinit { try? connection.close().wait() }

    func waitForCommit(timeoutMilliseconds: Int32) -> Bool {
        guard notified.wait(timeout: .now() + .milliseconds(Int(timeoutMilliseconds))) == .success else { return false }
        // Several notifications in a burst wake the follower once.
        while notified.wait(timeout: .now()) == .success {}
        return true
    }

    /// Whether the connection broke: the follower opens another.
    var isBroken: Bool { connection.isClosed }
}
