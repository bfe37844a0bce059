import Foundation
import LienThongCore
import LienThongPublisher
import LienThongTestSupport
import Testing

private let boCongAn = try! AgencyID("bo-cong-an")
private let soTuPhap = try! AgencyID("so-tu-phap")
private let boYTe = try! AgencyID("bo-y-te")
private let danCu = try! DatasetName("dan-cu")
private let hoTich = try! DatasetName("ho-tich")

/// Several daemons of one agency sharing one PostgreSQL store (docs/STORE.md, "Several daemons"): each feed pulled
/// by one daemon at a time under its lease, taken over when its daemon dies or stalls, every page applied once.
extension LargeSyncTests {
    @Suite("a fleet of daemons on one PostgreSQL store", .serialized, .enabled(if: StoreBackend.tested.contains(.postgres), "PostgreSQL is not installed"))
    struct FleetTests {
        /// The records of the initial sync, over both feeds (`LIENTHONG_FLEET_RECORDS`, default 100,000).
        static let records = ProcessInfo.processInfo.environment["LIENTHONG_FLEET_RECORDS"].flatMap(Int.init) ?? 100_000
        static let leaseSeconds = 5

        /// bo-y-te's configuration for daemon `daemon` of the fleet: dan-cu from bo-cong-an, ho-tich from so-tu-phap.
        static func configuration(daemon: String, ports: [Int], store: String) -> String {
            """
            agency: bo-y-te
            store: \(store)
            signing_key: keys/bo-y-te.key.pem
            listen: "127.0.0.1:0"
            daemon_id: \(daemon)
            lease_seconds: \(leaseSeconds)
            datasets:
              dan-cu: { policy: authority, owner: bo-cong-an }
              ho-tich: { policy: lww }
            peers:
              bo-cong-an: { url: "http://127.0.0.1:\(ports[0])", keys: [keys/bo-cong-an.pub.pem], pull: [dan-cu], interval_seconds: 1 }
              so-tu-phap: { url: "http://127.0.0.1:\(ports[1])", keys: [keys/so-tu-phap.pub.pem], pull: [ho-tich], interval_seconds: 1 }

            """
        }

        /// The two publishers, seeded: 60 % of the records in dan-cu, the rest in ho-tich.
        static func publishers(in scratch: ScratchFolder) async throws -> (publishers: [InTestAgency], counts: [Int64]) {
            let keys = scratch.url.appending(path: "keys")
            let police = try InTestAgency(boCongAn, keys: keys, store: scratch.url.appending(path: "bo-cong-an.sqlite"), sharing: danCu, with: boYTe)
            let justice = try InTestAgency(soTuPhap, keys: keys, store: scratch.url.appending(path: "so-tu-phap.sqlite"), sharing: hoTich, with: boYTe)
            let counts = [Int64(records * 6 / 10), Int64(records - records * 6 / 10)]
            try await police.seed(danCu, count: Int(counts[0]), prefix: "cd")
            try await justice.seed(hoTich, count: Int(counts[1]), prefix: "ks")
            return ([police, justice], counts)
        }

        static func cursor(_ dataset: DatasetName) -> String {
            "SELECT COALESCE(MAX(position), 0) FROM cursor WHERE dataset = '\(dataset)'"
        }

        static func holder(_ dataset: DatasetName) -> String {
            "SELECT holder || ' ' || fence FROM pull_lease WHERE dataset = '\(dataset)'"
        }

        /// Waits until `condition` holds, at most `timeout`; returns whether it did.
        static func wait(_ timeout: Duration, every interval: Duration = .milliseconds(100), _ condition: () throws -> Bool) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if (try? condition()) == true { return true }
                try await Task.sleep(for: interval)
            }
            return false
        }

        /// A fleet's world: the keys, the two publishers seeded and serving, a new database, and the daemons named
        /// `names` started on it, each with its configuration; `body` runs while they do, and they are killed after.
        static func withFleet(
            _ names: [String],
            _ body: (_ fleet: (scratch: ScratchFolder, ports: [Int], database: PostgresLocation, configs: [String], daemons: [DaemonProcess]),
                     _ store: StoreProbe, _ counts: [Int64]) async throws -> Void
        ) async throws {
            let scratch = try ScratchFolder()
            try scratch.makeKeys(for: ["bo-y-te", "bo-cong-an", "so-tu-phap"])
            let (agencies, counts) = try await publishers(in: scratch)
            let database = try PostgresCluster.shared.newDatabase()
            try await Publisher.serving(agencies.map(\.publisher)) { ports in
                let configs = try names.map { daemon in
                    let path = scratch.path("fleet-\(daemon).yaml")
                    try configuration(daemon: daemon, ports: ports, store: "\"\(database)\"").write(toFile: path, atomically: true, encoding: .utf8)
                    return path
                }
                let daemons = try configs.map { try DaemonProcess(config: $0, folder: scratch.url) }
                defer { daemons.forEach { $0.killIfRunning() } }
                try await body((scratch, ports, database, configs, daemons), .database(database.database), counts)
            }
        }

        /// The daemon among `names` that holds dan-cu's lease while its initial sync is between a tenth and its end,
        /// and that lease (`holder fence`); nil when it was not caught within a minute.
        static func pullingMidway(_ names: [String], _ store: StoreProbe, total: Int64) async throws -> (index: Int, lease: String)? {
            var found: (index: Int, lease: String)?
            _ = try await wait(.seconds(60), every: .milliseconds(20)) {
                guard let lease = try store.text(holder(danCu)), let position = try store.integer(cursor(danCu)),
                    position >= total / 10, position < total, let index = names.firstIndex(of: String(lease.prefix { $0 != " " }))
                else { return false }
                found = (index, lease)
                return true
            }
            return found
        }

        @Test("three daemons, two publishers: one killed mid-sync, the others take its feed within twice the lease; every page applied once; the exports equal one SQLite daemon's")
        func killedDaemon() async throws {
            try await Self.withFleet(["d1", "d2", "d3"]) { fleet, store, counts in
                let (scratch, ports, database, configs, daemons) = fleet
                // The daemon pulling dan-cu, caught in the middle of its initial sync.
                let victim = try await Self.pullingMidway(["d1", "d2", "d3"], store, total: counts[0])
                let (index, lease) = try #require(victim, "dan-cu's sync was not caught mid-way: \(daemons.map(\.log))")
                daemons[index].send(SIGKILL)
                let killedAt = ContinuousClock.now
                _ = try await daemons[index].waitForExit(.seconds(10))
                // Another daemon takes the feed over, with the next fencing number.
                #expect(try await Self.wait(.seconds(30)) { try store.text(Self.holder(danCu)).map { $0 != lease } ?? false })
                let takeover = ContinuousClock.now - killedAt
                let now = try #require(try store.text(Self.holder(danCu)))
                #expect(now.hasSuffix(" \(Int(lease.split(separator: " ")[1])! + 1)"), "\(lease) → \(now)")
                #expect(takeover < .seconds(2 * Self.leaseSeconds), "taken over after \(takeover)")
                print("fleet: d\(index + 1) killed at dan-cu \(try store.integer(Self.cursor(danCu)) ?? -1)/\(counts[0]); \(now) took over after \(takeover)")

                for (dataset, count) in zip([danCu, hoTich], counts) {
                    #expect(try await store.waitFor(Self.cursor(dataset), equals: count, timeout: .seconds(300)), "\(dataset): \(daemons.map(\.log))")
                }
                // Every record applied exactly once, whoever applied it; every version kept once.
                #expect(try store.integer(store.appliedSQL) == Int64(Self.records))
                #expect(try store.integer("SELECT COUNT(*) FROM version") == Int64(Self.records))
                #expect(try store.integer("SELECT COUNT(*) FROM audit_log WHERE event = 'lease taken over'") ?? 0 >= 1)
                let status = try CommandRunner.run(["status", "--config", configs[(index + 1) % 3]])
                #expect(status.status == 0 && status.stdoutText.contains("pulled by (lease)"), "\(status.stderr)")
                for survivor in daemons.indices where survivor != index {
                    daemons[survivor].send(SIGTERM)
                    #expect(try await daemons[survivor].waitForExit(.seconds(15)) == 0, "\(daemons[survivor].log)")
                }
                // Released when their daemons stopped.
                #expect(try store.integer("SELECT COUNT(*) FROM pull_lease WHERE expires_at > \(Int64(Date().timeIntervalSince1970 * 1000) + 1000)") == 0)

                // One daemon on SQLite pulls the same feeds: the exports are the same.
                let single = scratch.path("single.yaml")
                try Self.configuration(daemon: "single", ports: ports, store: "state/single.sqlite").write(toFile: single, atomically: true, encoding: .utf8)
                let reference = try DaemonProcess(config: single, folder: scratch.url)
                let referenceStore = StoreProbe.file(StoreFile(path: scratch.path("state/single.sqlite")))
                for (dataset, count) in zip([danCu, hoTich], counts) {
                    #expect(try await referenceStore.waitFor(Self.cursor(dataset), equals: count, timeout: .seconds(300)), "\(reference.log)")
                }
                reference.send(SIGTERM)
                #expect(try await reference.waitForExit(.seconds(15)) == 0)
                for dataset in [danCu, hoTich] {
                    let fleet = try CommandRunner.run(["export", "--config", configs[0], "--dataset", dataset.rawValue])
                    let alone = try CommandRunner.run(["export", "--config", single, "--dataset", dataset.rawValue])
                    #expect(fleet.status == 0 && alone.status == 0)
                    #expect(fleet.stdoutText.split(separator: "\n").count == Int(counts[dataset == danCu ? 0 : 1]))
                    #expect(fleet.stdoutText == alone.stdoutText, "\(dataset): the fleet's export differs from one daemon's")
                }

                // A role of the agency's programs may read the views, and nothing else.
                try PostgresCluster.shared.psql(database.database, """
                    CREATE ROLE lt_reader LOGIN;
                    GRANT SELECT ON visible_records, changes, open_conflicts, dataset_status TO lt_reader;
                    """)
                #expect(try PostgresCluster.shared.psql(database.database, "SELECT COUNT(*) FROM visible_records", user: "lt_reader") == "\(Self.records)\n")
                #expect(throws: (any Error).self) { try PostgresCluster.shared.psql(database.database, "SELECT COUNT(*) FROM version", user: "lt_reader") }
                #expect(throws: (any Error).self) { try PostgresCluster.shared.psql(database.database, "DELETE FROM cursor", user: "lt_reader") }
            }
        }

        @Test("a daemon paused past its lease: another takes the feed over; resumed, it applies nothing twice")
        func pausedDaemon() async throws {
            try await Self.withFleet(["p1", "p2"]) { fleet, store, counts in
                let daemons = fleet.daemons
                let paused = try await Self.pullingMidway(["p1", "p2"], store, total: counts[0])
                let (index, lease) = try #require(paused, "dan-cu's sync was not caught mid-way")
                daemons[index].send(SIGSTOP)
                // Its lease runs out (a transaction it left open is ended by the server); the other takes over.
                #expect(try await Self.wait(.seconds(60)) { try store.text(Self.holder(danCu)).map { $0 != lease } ?? false })
                #expect(try await store.waitFor(Self.cursor(danCu), equals: counts[0], timeout: .seconds(300)))
                daemons[index].send(SIGCONT)
                // Resumed, it applies whatever it had fetched only if its fencing number still stands: it does not.
                try await Task.sleep(for: .seconds(Self.leaseSeconds))
                #expect(try store.text(Self.holder(danCu))?.hasPrefix(["p1", "p2"][1 - index] + " ") == true)
                #expect(try await store.waitFor(Self.cursor(hoTich), equals: counts[1], timeout: .seconds(300)))
                #expect(try store.integer(store.appliedSQL) == Int64(Self.records))
                #expect(try store.integer("SELECT COUNT(*) FROM version") == Int64(Self.records))
                let log = daemons[index].log
                print("fleet: p\(index + 1) paused; after SIGCONT its log says lease lost: \(log.contains("lease lost"))")
                // Both stop when told. (Once in several runs the resumed daemon overran the graceful shutdown's six
                // seconds and ended on ServiceLifecycle's fatal error instead: it must still end.)
                for daemon in daemons {
                    daemon.send(SIGTERM)
                    #expect(try await daemon.waitForExit(.seconds(15)) != nil, "\(daemon.log)")
                }
            }
        }
    }
}
