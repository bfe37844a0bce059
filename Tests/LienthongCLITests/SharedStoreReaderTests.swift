import Foundation
import LienThongCore
import LienThongStore
import LienThongTestSupport
import Testing

private let boCongAn = try! AgencyID("bo-cong-an")
private let boYTe = try! AgencyID("bo-y-te")
private let danCu = try! DatasetName("dan-cu")

/// The system users and groups of the readers test, created when missing (never removed: another run may
/// use them). Names of their own, so that a real installation's `lienthong` users are never touched.
enum ReaderTestUsers {
    /// Runs the daemon, as the unit's `lienthong` user does.
    static let daemon = "lt-test-daemon"
    /// The store's group, as `lienthong-readers` is.
    static let readersGroup = "lt-test-readers"
    /// Another program of the agency: a member of the readers group.
    static let reader = "lt-test-reader"
    /// A user outside the group.
    static let outsider = "lt-test-outsider"

    static var available: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/useradd")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    }

    static func create() throws {
        try shell("getent group \(readersGroup) >/dev/null || groupadd --system \(readersGroup)")
        for (user, groups) in [(daemon, ""), (reader, readersGroup), (outsider, "")] {
            let extra = groups.isEmpty ? "" : "--groups \(groups)"
            try shell("id -u \(user) >/dev/null 2>&1 || useradd --system --user-group --no-create-home --shell /usr/sbin/nologin \(extra) \(user)")
        }
    }

    static func shell(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw POSIXError(.EPERM, userInfo: [NSLocalizedDescriptionKey: "failed: \(command)"]) }
    }
}

/// A child process run as another user through `setpriv`, its output in files.
final class ChildAsUser: StartedChild {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    init(_ user: String, _ executable: String, _ arguments: [String], folder: URL) throws {
        let name = "\(user)-\(UUID().uuidString.prefix(8))"
        stdoutURL = folder.appending(path: "\(name).out")
        stderrURL = folder.appending(path: "\(name).err")
        for url in [stdoutURL, stderrURL] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = CommandRunner.RunAs.setprivArguments(user, executable) + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    var output: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    deinit { killIfRunning() }
}

/// Another program of the agency reading `visible_records` and `changes` with Python's sqlite3, read-only, in
/// one read transaction per look, with no busy timeout (a lock would show as an error at once), until it has
/// seen `total` records or its time is up. It prints one JSON summary.
private let pythonReader = #"""
import json, sqlite3, sys, time
path, total, page, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
deadline = time.monotonic() + seconds
summary = {"looks": 0, "errors": [], "backwards": 0, "partial": 0, "inconsistent": 0, "seen": [], "last": 0}
connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=0)
while time.monotonic() < deadline and summary["last"] < total:
    try:
        connection.execute("BEGIN")
        records = connection.execute("SELECT count(*) FROM visible_records WHERE dataset = 'dan-cu'").fetchone()[0]
        changes, newest = connection.execute("SELECT count(*), coalesce(max(change_seq), 0) FROM changes WHERE dataset = 'dan-cu'").fetchone()
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        summary["errors"].append(str(error))
        try:
            connection.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        continue
    summary["looks"] += 1
    if records < summary["last"]:
        summary["backwards"] += 1
    if records % page != 0 and records != total:
        summary["partial"] += 1
    if changes != records or newest != records:
        summary["inconsistent"] += 1
    if records not in summary["seen"]:
        summary["seen"].append(records)
    summary["last"] = records
    time.sleep(0.002)
print(json.dumps(summary))
"""#

/// The same with the `sqlite3` command-line tool, one process per look: one statement, so one snapshot.
private let shellReader = #"""
db=$1; total=$2; end=$(( $(date +%s) + $3 ))
while [ "$(date +%s)" -lt "$end" ]; do
  if out=$(sqlite3 -readonly -batch "$db" "SELECT (SELECT count(*) FROM visible_records WHERE dataset = 'dan-cu') || ' ' || (SELECT count(*) FROM changes WHERE dataset = 'dan-cu')" 2>&1); then
    echo "$out"
    [ "${out%% *}" = "$total" ] && exit 0
  else
    echo "error: $out"
  fi
done
"""#

/// The store shared for real: under the modes lienthong gives it, members of the readers group read it in
/// place while the daemon applies a large initial sync, and follow its changes; nobody else reads it.
/// The suites that run a large initial sync through the binary, each loading both cores for a while: one
/// after the other, so that one's load does not upset the other's timing (the crash test draws its kill
/// moments from the length of an uninterrupted sync).
@Suite("large syncs through the binary, one at a time", .serialized)
struct LargeSyncTests {}

extension LargeSyncTests {
    @Suite("the store read in place by other users while the daemon writes", .serialized, .enabled(if: ReaderTestUsers.available, "needs root, useradd, setpriv and the sqlite3 tool (CI has them)"))
    struct SharedStoreReaderTests {
        static let records = 100_000
        static let pageRecords = 1000

        @Test("readers in the group read visible_records and changes while 100,000 records arrive: no lock or read-only error, counts never go back, pages whole; watch --follow sees each change once, in order; export, get, status and conflicts work for them; an outsider is refused")
        func readersDuringInitialSync() async throws {
            try ReaderTestUsers.create()
            let root = URL(fileURLWithPath: "/tmp/lienthong-readers-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: false)
            defer { try? FileManager.default.removeItem(at: root) }
            try ReaderTestUsers.shell("""
                chmod 0755 \(root.path) && install -m 0755 \(CommandRunner.binary.path) \(root.path)/lienthong \
                && install -d -m 2750 -o \(ReaderTestUsers.daemon) -g \(ReaderTestUsers.readersGroup) \(root.path)/state
                """)
            let binary = root.appending(path: "lienthong")
            let keys = root.appending(path: "keys")
            for agency in ["bo-y-te", "bo-cong-an"] {
                let keygen = try CommandRunner.run(["keygen", "--agency", agency, "--out", keys.path])
                #expect(keygen.status == 0, "\(keygen.stderr)")
            }
            try ReaderTestUsers.shell("chmod 0755 \(keys.path) && chown \(ReaderTestUsers.daemon) \(keys.path)/bo-y-te.key.pem")
            let publisher = try InTestAgency(
                boCongAn, keys: keys, store: root.appending(path: "publisher/bo-cong-an.sqlite"), sharing: danCu, with: boYTe
            )
            try await publisher.seed(danCu, count: Self.records, prefix: "cd")
            let config = root.appending(path: "lienthong.yaml").path
            let store = root.appending(path: "state/store.sqlite").path

            try await publisher.publisher.serving { port in
                try daemonConfig(publisherPort: port, sharedFields: "ma_dinh_danh").write(toFile: config, atomically: true, encoding: .utf8)
                try ReaderTestUsers.shell("chmod 0644 \(config)")
                let daemon = try DaemonProcess(
                    config: config, folder: root, runAs: CommandRunner.RunAs(user: ReaderTestUsers.daemon, binary: binary)
                )
                // The readers start as soon as the daemon has opened the store and brought its schema up to date,
                // before its first page.
                let migrated = "SELECT count(*) FROM sqlite_master WHERE name = 'dataset_status'"
                #expect(try await StoreFile(path: store).waitFor(migrated, equals: 1, timeout: .seconds(30)), "\(daemon.log)")
                let reader = ReaderTestUsers.reader
                let python = try ChildAsUser(reader, "/usr/bin/python3", ["-c", pythonReader, store, "\(Self.records)", "\(Self.pageRecords)", "240"], folder: root)
                let shell = try ChildAsUser(reader, "/bin/bash", ["-c", shellReader, "reader", store, "\(Self.records)", "240"], folder: root)
                let watch = try ChildAsUser(reader, binary.path, ["watch", "--config", config, "--dataset", "dan-cu", "--follow"], folder: root)

                #expect(try await python.waitForExit(.seconds(300)) == 0, "\(python.errors)")
                #expect(try await shell.waitForExit(.seconds(300)) == 0, "\(shell.errors)")
                try await checkPythonReader(python.output)
                checkShellReader(shell.output)
                try await checkWatch(watch)

                // Nobody outside the group reads the store, with SQLite or through lienthong.
                let outsider = try ChildAsUser(ReaderTestUsers.outsider, "/usr/bin/sqlite3", ["-readonly", store, "SELECT count(*) FROM visible_records"], folder: root)
                #expect(try await outsider.waitForExit(.seconds(30)) != 0)
                #expect(outsider.errors.contains("unable to open database"), "\(outsider.errors)")
                let outsiderWatch = try ChildAsUser(ReaderTestUsers.outsider, binary.path, ["watch", "--config", config], folder: root)
                #expect(try await outsiderWatch.waitForExit(.seconds(30)) == 2, "\(outsiderWatch.errors)")
                let outsiderExport = try ChildAsUser(ReaderTestUsers.outsider, binary.path, ["export", "--config", config, "--dataset", "dan-cu"], folder: root)
                #expect(try await outsiderExport.waitForExit(.seconds(30)) == 2, "\(outsiderExport.errors)")

                // The commands that only read open the store read-only for a member of the group.
                let export = try ChildAsUser(reader, binary.path, ["export", "--config", config, "--dataset", "dan-cu"], folder: root)
                #expect(try await export.waitForExit(.seconds(60)) == 0, "\(export.errors)")
                #expect(export.output.split(separator: "\n").count == Self.records)
                for arguments in [["get", "--config", config, "--dataset", "dan-cu", "cd-00042"], ["status", "--config", config], ["conflicts", "list", "--config", config]] {
                    let command = try ChildAsUser(reader, binary.path, arguments, folder: root)
                    #expect(try await command.waitForExit(.seconds(30)) == 0, "\(arguments[0]): \(command.errors)")
                }

                daemon.send(SIGTERM)
                #expect(try await daemon.waitForExit(.seconds(15)) == 0, "\(daemon.log)")
            }
            // The modes lienthong gave, whatever the umask, and kept after the daemon stopped: the store and both
            // companions stay, so a reader can still open the store.
            for (path, mode) in [(root.path + "/state", "2750"), (store, "640"), (store + "-wal", "640"), (store + "-shm", "640")] {
                let stat = try ChildAsUser("root", "/usr/bin/stat", ["-c", "%a %U %G", path], folder: root)
                #expect(try await stat.waitForExit(.seconds(10)) == 0)
                #expect(stat.output == "\(mode) \(ReaderTestUsers.daemon) \(ReaderTestUsers.readersGroup)\n", "\(path)")
            }
            let after = try ChildAsUser(ReaderTestUsers.reader, "/usr/bin/sqlite3", ["-readonly", store, "SELECT count(*) FROM visible_records"], folder: root)
            #expect(try await after.waitForExit(.seconds(30)) == 0, "\(after.errors)")
            #expect(after.output == "\(Self.records)\n")
        }

        private func checkPythonReader(_ output: String) async throws {
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
            #expect((summary["errors"] as? [String]) == [], "\(summary["errors"] ?? "")")
            #expect(summary["backwards"] as? Int == 0)
            #expect(summary["partial"] as? Int == 0)
            #expect(summary["inconsistent"] as? Int == 0)
            #expect(summary["last"] as? Int == Self.records)
            // It looked while the sync went on: several counts between none and all.
            let seen = (summary["seen"] as? [Int]) ?? []
            #expect(seen.filter { $0 > 0 && $0 < Self.records }.count >= 3, "\(seen)")
        }

        private func checkShellReader(_ output: String) {
            let lines = output.split(separator: "\n")
            #expect(!lines.contains { $0.hasPrefix("error") }, "\(lines.filter { $0.hasPrefix("error") }.prefix(3))")
            let counts = lines.compactMap { line -> (Int, Int)? in
                let parts = line.split(separator: " ").compactMap { Int($0) }
                return parts.count == 2 ? (parts[0], parts[1]) : nil
            }
            #expect(counts.last?.0 == Self.records)
            #expect(zip(counts, counts.dropFirst()).allSatisfy { $0.0 <= $1.0 }, "a count went back")
            #expect(counts.allSatisfy { $0.0 == $0.1 && ($0.0 % Self.pageRecords == 0) }, "a page seen in part")
            #expect(counts.filter { $0.0 > 0 && $0.0 < Self.records }.count >= 3, "\(counts.map(\.0))")
        }

        /// `watch --follow` printed each change once, in order: change_seq 1…records, each record once.
        private func checkWatch(_ watch: ChildAsUser) async throws {
            let deadline = ContinuousClock.now + .seconds(120)
            var lines: [Substring] = []
            while ContinuousClock.now < deadline {
                lines = watch.output.split(separator: "\n")
                if lines.count >= Self.records { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            kill(watch.process.processIdentifier, SIGTERM)
            _ = try await watch.waitForExit(.seconds(10))
            lines = watch.output.split(separator: "\n")
            #expect(lines.count == Self.records, "\(watch.errors)")
            // Keys come sorted: change_seq first.
            let seqs = lines.map { line in Int64(line.dropFirst(#"{"change_seq":"#.count).prefix { $0 != "," }) ?? -1 }
            #expect(seqs == Array(1...Int64(Self.records)))
            var ids = Set<String>()
            for (index, line) in lines.enumerated() where index % 997 == 0 || index == lines.count - 1 {
                let change = try JSONValue(parsing: String(line))
                guard case .object(let members) = change, case .string(let id) = members["id"], case .object(let record) = members["record"] else {
                    Issue.record("not a change: \(line)")
                    continue
                }
                #expect(members["kind"] == .string("created"))
                #expect(members["dataset"] == .string("dan-cu"))
                #expect(record["id"] == .string(id))
                ids.insert(id)
            }
            let allIDs = Set(lines.map { line in line.firstRange(of: #""id":""#).map { String(line[$0.upperBound...].prefix { $0 != "\"" }) } ?? "" })
            #expect(allIDs.count == Self.records)
            #expect(ids.isSubset(of: allIDs))
        }
    }
}
