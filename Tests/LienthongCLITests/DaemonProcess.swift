import Foundation
import LienThongCore
import LienThongTestSupport
import GRDB
import Synchronization
import Testing

/// A datagram socket standing in for systemd's notify socket: it collects every message the daemon sends.
final class NotifySocket {
    let path: String
    private let inbox: Inbox

    /// The socket and what arrived on it, shared with the thread that receives.
    private final class Inbox: Sendable {
        let descriptor: Int32
        let received = Mutex<[String]>([])
        let open = Mutex(true)

        init(descriptor: Int32) {
            self.descriptor = descriptor
        }

        func receiveLoop() {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while open.withLock({ $0 }) {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count > 0 {
                    let message = String(decoding: buffer[0..<count], as: UTF8.self)
                    received.withLock { $0.append(message) }
                }
            }
            close(descriptor)
        }
    }

    init() throws {
        // sun_path holds 108 bytes: a short name in /tmp, not the (long) scratch folder.
        let path = "/tmp/lt-notify-\(UUID().uuidString.prefix(8)).sock"
        self.path = path
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.utf8.enumerated() { bytes[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard descriptor >= 0, bound == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        // recv wakes every 100 ms to see whether the socket is still wanted.
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let inbox = Inbox(descriptor: descriptor)
        self.inbox = inbox
        Thread { inbox.receiveLoop() }.start()
    }

    deinit {
        // The receiving thread closes the socket when it sees this.
        inbox.open.withLock { $0 = false }
        unlink(path)
    }

    var messages: [String] { inbox.received.withLock { $0 } }

    /// Waits until a message satisfies `match` (at most `timeout`), and returns it.
    func waitFor(_ timeout: Duration = .seconds(30), _ match: (String) -> Bool) async throws -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let message = messages.first(where: match) { return message }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// How many messages satisfy `match` so far.
    func count(_ match: (String) -> Bool) -> Int { messages.filter(match).count }
}

/// `lienthong daemon` as a child process, with its stderr in a file.
final class DaemonProcess: StartedChild {
    let process = Process()
    let stderrURL: URL

    /// Starts `lienthong daemon --config config extraArguments…`, under `umask` when given, on the test bed's
    /// `host` (a network namespace) when given, as another user when given.
    init(
        config: String, folder: URL, notifySocket: String? = nil, watchdogMicroseconds: Int? = nil, extraArguments: [String] = [],
        umask: String? = nil, host: String? = nil, runAs: CommandRunner.RunAs? = nil
    ) throws {
        stderrURL = folder.appending(path: "daemon-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        CommandRunner.prepare(process, ["daemon", "--config", config] + extraArguments, umask: umask, host: host, runAs: runAs)
        var environment = childEnvironment()
        environment["NOTIFY_SOCKET"] = notifySocket
        environment["WATCHDOG_USEC"] = watchdogMicroseconds.map(String.init)
        environment["LIENTHONG_LOG_LEVEL"] = "debug"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    var log: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    deinit { killIfRunning() }
}

/// A child process a test started, waited for and, when the test is done with it, killed if still running.
protocol StartedChild {
    var process: Process { get }
}

extension StartedChild {
    /// Waits for the process to end, at most `timeout`; returns its exit status, or nil if it is still running.
    func waitForExit(_ timeout: Duration) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// Kills the process with SIGKILL and waits for it, if it still runs.
    func killIfRunning() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Reads a store file directly with SQLite, as another program of the agency would.
struct StoreFile {
    let path: String

    func scalar<Value: DatabaseValueConvertible>(_ sql: String, as type: Value.Type = Value.self) throws -> Value? {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration).read { try Value.fetchOne($0, sql: sql) }
    }

    /// Waits until `sql` gives `expected`, at most `timeout`; returns whether it did.
    func waitFor<Value: DatabaseValueConvertible & Equatable>(_ sql: String, equals expected: Value, timeout: Duration = .seconds(60)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: path), (try? scalar(sql, as: Value.self)) == expected { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

/// Reads a store as another program of the agency would: a SQLite file directly, a PostgreSQL database with psql.
enum StoreProbe {
    case file(StoreFile)
    case database(String)

    /// A new, empty store of `backend` for a daemon whose configuration lives in `folder`: what its `store:` key
    /// says, and the probe that reads it. A SQLite store goes to `state/store.sqlite`, removed first.
    static func fresh(_ backend: StoreBackend, in folder: URL) throws -> (configured: String, probe: StoreProbe) {
        switch try backend.newLocation(in: folder.appending(path: "state")) {
        case .file(let url):
            if FileManager.default.fileExists(atPath: url.deletingLastPathComponent().path) {
                try FileManager.default.removeItem(at: url.deletingLastPathComponent())
            }
            return ("state/lienthong.sqlite", .file(StoreFile(path: url.path)))
        case .postgres(let database):
            return ("\"\(database)\"", .database(database.database))
        }
    }

    /// The first column of the first row `sql` gives, as text (nil: no row or NULL).
    func text(_ sql: String) throws -> String? {
        switch self {
        case .file(let file):
            return try file.scalar(sql, as: DatabaseValue.self).flatMap { value in
                switch value.storage {
                case .int64(let integer): String(integer)
                case .string(let text): text
                case .double(let number): String(number)
                default: nil
                }
            }
        case .database(let name):
            let output = try PostgresCluster.shared.psql(name, sql)
            let line = output.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            return line.isEmpty ? nil : line
        }
    }

    func integer(_ sql: String) throws -> Int64? { try text(sql).flatMap { Int64($0) } }

    /// Waits until `sql` gives `expected`, at most `timeout`; returns whether it did.
    func waitFor(_ sql: String, equals expected: Int64, timeout: Duration = .seconds(60)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? integer(sql)) == expected { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// How many records the `page applied` lines of the audit log say were applied, in all.
    var appliedSQL: String {
        switch self {
        case .file: "SELECT SUM(json_extract(detail, '$.applied')) FROM audit_log WHERE event = 'page applied'"
        case .database: "SELECT SUM((detail::json->>'applied')::bigint) FROM audit_log WHERE event = 'page applied'"
        }
    }
}
