public import Foundation
public import LienThongCore

/// A private PostgreSQL cluster for the tests of one process: `initdb` into a temporary folder, a free
/// loopback port, `pg_ctl start`; run as the unprivileged user `nobody` when the tests run as root (PostgreSQL
/// refuses root). Started on first use and stopped when the process exits. Each test gets a database of its
/// own (``newDatabase()``). Nothing depends on a server configured by hand. Its methods wait for the programs
/// they run, so that synchronous tests can use them.
public final class PostgresCluster: Sendable {
    /// PostgreSQL's programs, from Debian's packages (`/usr/lib/postgresql/N/bin`); nil when it is not installed.
    public static let programs: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root))?.compactMap(Int.init).sorted() ?? []
        guard let version = versions.last else { return nil }
        let bin = "\(root)/\(version)/bin"
        return FileManager.default.isExecutableFile(atPath: bin + "/initdb") ? bin : nil
    }()

    /// Why the PostgreSQL tests do not run here, or nil when they do. In CI (`CI` set) they always run: a
    /// missing PostgreSQL fails them rather than skipping them — except under the sanitizers, which set
    /// `LIENTHONG_TESTS_SQLITE_ONLY=1` (`.ci/sanitize`): there the cluster's start and each `createdb`, run
    /// synchronously by tests on the cooperative pool's two threads, stalled every other test for seconds at a
    /// time and broke their timing bounds; the normal `swift test` stage runs them all.
    public static let unavailableReason: String? =
        if ProcessInfo.processInfo.environment["LIENTHONG_TESTS_SQLITE_ONLY"] == "1" {
            "LIENTHONG_TESTS_SQLITE_ONLY is set (the sanitizer stages): the store's tests ran on SQLite only"
        } else if programs == nil && ProcessInfo.processInfo.environment["CI"] == nil {
            "PostgreSQL is not installed (no /usr/lib/postgresql/N/bin/initdb; apt-get install postgresql): the store's tests ran on SQLite only"
        } else {
            nil
        }

    /// The user the cluster's databases are reached as.
    public static let user = "lienthong"

    /// The tests' cluster: fsync off, since the tests kill lienthong, never PostgreSQL.
    public static let shared = PostgresCluster(durable: false)

    /// Whether the cluster writes durably (fsync on, as a production server): the benchmarks' cluster.
    public let durable: Bool

    public init(durable: Bool) {
        self.durable = durable
    }

    /// The cluster's port once started, and how many databases it has made.
    private let state = Locked<(port: Int?, databases: Int)>((nil, 0))

    /// A new, empty database on the cluster (started if needed).
    public func newDatabase() throws -> PostgresLocation {
        let (port, number) = try state.withLock { state in
            let port = try state.port ?? Self.start(durable: durable)
            state.port = port
            state.databases += 1
            return (port, state.databases)
        }
        let name = "t\(getpid())_\(number)"
        try Self.run("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", Self.user, name])
        return PostgresLocation(host: "127.0.0.1", port: port, user: Self.user, database: name)
    }

    /// Runs `psql` on database `database` with `sql`, as the cluster's superuser; returns what it prints
    /// (unaligned, tuples only).
    @discardableResult
    public func psql(_ database: String, _ sql: String, user: String = PostgresCluster.user) throws -> String {
        let port = try state.withLock { state in
            let port = try state.port ?? Self.start(durable: durable)
            state.port = port
            return port
        }
        return try Self.run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
    }

    private static func start(durable: Bool) throws -> Int {
        guard Self.programs != nil else { throw ClusterError(description: "PostgreSQL is not installed: no /usr/lib/postgresql/N/bin/initdb") }
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-pg-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if getuid() == 0 { chown(folder, 65534, 65534) }
        let data = folder + "/data"
        try run("initdb", ["-D", data, "-U", Self.user, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], asUnprivileged: true)
        let port = try freeLoopbackPort()
        let options = "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=\(durable ? "on" : "off") -c max_connections=200"
        try run("pg_ctl", ["-D", data, "-o", options, "-l", folder + "/log", "-w", "start"], asUnprivileged: true)
        let first = running.withLock { running in
            running.append(data)
            return running.count == 1
        }
        if first { atexit { PostgresCluster.stopAtExit() } }
        return port
    }

    /// The data folders of the clusters running, for the exit handler.
    private static let running = Locked<[String]>([])

    /// Stops the clusters at once (SIGQUIT to each postmaster: immediate shutdown) and removes their folders.
    private static func stopAtExit() {
        for data in running.withLock({ $0 }) {
            guard let pidLine = (try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8))?.split(separator: "\n").first,
                let pid = pid_t(pidLine)
            else { continue }
            kill(pid, SIGQUIT)
            for _ in 0..<50 where kill(pid, 0) == 0 { usleep(100_000) }
            try? FileManager.default.removeItem(atPath: (data as NSString).deletingLastPathComponent)
        }
    }

    /// A port free on loopback now (taken by the cluster a moment later).
    private static func freeLoopbackPort() throws -> Int {
        let (socket, port) = try boundLoopbackSocket(backlog: nil)
        close(socket)
        return port
    }

    /// Runs one of PostgreSQL's programs to its end and returns what it printed; its errors go to a file.
    @discardableResult
    private static func run(_ program: String, _ arguments: [String], asUnprivileged: Bool = false) throws -> String {
        let path = (programs ?? "/usr/bin") + "/" + program
        let command = asUnprivileged && getuid() == 0
            ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", path] + arguments
            : [path] + arguments
        // Files, not pipes: the server pg_ctl starts would hold a pipe open after pg_ctl ends.
        let output = FileManager.default.temporaryDirectory.appending(path: "lienthong-pg-\(UUID().uuidString).out").path
        let errors = FileManager.default.temporaryDirectory.appending(path: "lienthong-pg-\(UUID().uuidString).err").path
        defer {
            unlink(output)
            unlink(errors)
        }
        let status = try spawnAndWait(command, standardOutput: output, standardError: errors)
        guard status == 0 else {
            let message = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            throw ClusterError(description: "\(program) failed (\(status)): \(message.prefix(2000))")
        }
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    struct ClusterError: Error, CustomStringConvertible {
        let description: String
    }
}

/// The store's two backends, for tests that run against both.
public enum StoreBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// The backends tested here: both, or SQLite only where PostgreSQL is not installed (outside CI).
    public static let tested: [StoreBackend] = PostgresCluster.unavailableReason == nil ? [.sqlite, .postgres] : [.sqlite]

    /// Where a new, empty store of this backend is: a file in `folder`, or a new database on the tests' cluster.
    public func newLocation(in folder: URL) throws -> StoreLocation {
        switch self {
        case .sqlite: .file(folder.appending(path: "lienthong.sqlite"))
        case .postgres: .postgres(try PostgresCluster.shared.newDatabase())
        }
    }
}
