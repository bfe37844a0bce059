import Foundation
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongPoller
import LienThongPublisher
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Logging
import Testing

private let boCongAn = try! AgencyID("bo-cong-an")
private let boYTe = try! AgencyID("bo-y-te")
private let danCu = try! DatasetName("dan-cu")
private let tiemChung = try! DatasetName("tiem-chung")

/// An agency that runs inside the test: its store, and a publisher granting `dataset` to `reader`.
struct InTestAgency {
    let agency: AgencyID
    let store: Store
    let key: PrivateKey
    let publisher: Publisher

    init(_ agency: AgencyID, keys: URL, store url: URL, sharing dataset: DatasetName, with reader: AgencyID) throws {
        self.agency = agency
        store = try Store(openingAt: url)
        key = try PrivateKey(contentsOf: keys.appending(path: "\(agency).key.pem"))
        publisher = Publisher(
            settings: PublisherSettings(
                agency: agency, signingKey: key,
                peers: [reader: PublisherPeer(keys: [try PublicKey(contentsOf: keys.appending(path: "\(reader).pub.pem"))], grants: [dataset: DatasetGrant(fields: nil)])],
                datasets: [dataset]
            ),
            store: store, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
    }

    /// Writes `count` records of `dataset` authored here, ids `prefix-00000`….
    func seed(_ dataset: DatasetName, count: Int, prefix: String) async throws {
        try await seed(dataset, records: Array(0..<count), prefix: prefix)
    }

    /// One local edit per element of `records`, of the record with that number: a number met again is an
    /// update of the record already authored.
    func seed(_ dataset: DatasetName, records: [Int], prefix: String) async throws {
        let agency = agency
        try await store.write { transaction in
            for (position, index) in records.enumerated() {
                try transaction.edit(
                    dataset: dataset, id: String(format: "%@-%05d", prefix, index), agency: agency, deleted: false,
                    data: .object(["ho_ten": .string("Nguyễn Văn \(index)"), "que_quan": .string("Hà Nội"), "lan": .integer(Int64(position))]),
                    policy: .lww
                )
            }
        }
    }

}

/// The daemon's configuration for bo-y-te, which pulls dan-cu from bo-cong-an and shares tiem-chung with it.
func daemonConfig(
    publisherPort: Int, sharedFields: String, extraPeer: String = "", store: String = "state/store.sqlite", intervalSeconds: Int = 1
) -> String {
    """
    agency: bo-y-te
    store: \(store)
    signing_key: keys/bo-y-te.key.pem
    listen: "127.0.0.1:0"
    datasets:
      dan-cu: { policy: authority, owner: bo-cong-an }
      tiem-chung: { policy: lww }
      ho-tich: { policy: manual }
    peers:
      bo-cong-an:
        url: "http://127.0.0.1:\(publisherPort)"
        keys: [keys/bo-cong-an.pub.pem]
        pull: [dan-cu]
        share:
          tiem-chung: { fields: [\(sharedFields)] }
        interval_seconds: \(intervalSeconds)
    \(extraPeer)
    """
}

@Suite("lienthong daemon", .serialized)
struct DaemonTests {
    @Test("becomes ready, syncs, applies a changed grant on SIGHUP, keeps its configuration on a bad one, exits 0 on SIGTERM")
    func lifecycle() async throws {
        let scratch = try ScratchFolder()
        try scratch.makeKeys(for: ["bo-y-te", "bo-cong-an", "so-tu-phap"])
        let keys = scratch.url.appending(path: "keys")
        let boCongAnAgency = try InTestAgency(boCongAn, keys: keys, store: scratch.url.appending(path: "bo-cong-an.sqlite"), sharing: danCu, with: boYTe)
        try await boCongAnAgency.seed(danCu, count: 300, prefix: "cd")
        // bo-y-te's own records, written before the daemon starts.
        let daemonStore = try Store(openingAt: scratch.url.appending(path: "state/store.sqlite"))
        try await daemonStore.write { transaction in
            try transaction.edit(
                dataset: tiemChung, id: "tc-1", agency: boYTe, deleted: false,
                data: .object(["ma_dinh_danh": .string("001"), "vaccine": .string("AZ")]), policy: .lww
            )
        }
        let broken = try LoopbackServer { _ in .response(status: 503, headers: [("Retry-After", "7")], body: []) }
        let brokenPeer = """
              so-tu-phap: { url: "\(broken.url)", keys: [keys/so-tu-phap.pub.pem], pull: [ho-tich], interval_seconds: 1 }
            """
        let config = scratch.path("lienthong.yaml")

        try await boCongAnAgency.publisher.serving { port in
            try daemonConfig(publisherPort: port, sharedFields: "ma_dinh_danh", extraPeer: brokenPeer).write(toFile: config, atomically: true, encoding: .utf8)
            let notify = try NotifySocket()
            let daemon = try DaemonProcess(config: config, folder: scratch.url, notifySocket: notify.path, watchdogMicroseconds: 1_000_000)

            // READY=1 once the listener is bound, with a status line that names the port.
            let ready = try #require(try await notify.waitFor { $0.contains("READY=1") }, "no READY=1; log: \(daemon.log)")
            let listening = try #require(ready.firstMatch(of: /listening on 127\.0\.0\.1:(\d+)/), "\(ready)")
            let daemonPort = try #require(Int(listening.1))

            // It syncs bo-cong-an's feed; the broken peer fails and backs off.
            let stored = StoreFile(path: scratch.path("state/store.sqlite"))
            #expect(try await stored.waitFor("SELECT COUNT(*) FROM record WHERE dataset = 'dan-cu'", equals: 300), "log: \(daemon.log)")
            #expect(try await notify.waitFor { $0.contains("peers healthy 1/2; records 301") } != nil, "\(notify.messages.suffix(3))")
            #expect(try await notify.waitFor { $0.contains("WATCHDOG=1") } != nil)

            // `status` reads the store while the daemon runs.
            let status = try CommandRunner.run(["status", "--config", config, "--json"])
            #expect(status.status == 0, "\(status.stderr)")
            let report = try JSONValue(parsing: Array(status.stdout))
            let feeds = try #require(report["feeds"]?.arrayValue)
            let pulled = try #require(feeds.first { $0["peer"]?.stringValue == "bo-cong-an" })
            #expect(pulled["cursor"] == .integer(300) && pulled["head"] == .integer(300) && pulled["lag"] == .integer(0))
            #expect(pulled["last_success"]?.stringValue != nil)
            let failing = try #require(feeds.first { $0["peer"]?.stringValue == "so-tu-phap" })
            #expect(failing["last_error"]?.stringValue?.contains("publisher answered 503") == true, "\(failing)")
            #expect((failing["consecutive_failures"]?.int64Value ?? 0) >= 1)
            #expect(failing["next_attempt_at"]?.stringValue != nil)
            let text = try CommandRunner.run(["status", "--config", config])
            #expect(text.stdoutText.contains("bo-cong-an  dan-cu"), "\(text.stdoutText)")
            #expect(text.stdoutText.contains("retry in"), "\(text.stdoutText)")

            // bo-cong-an pulls tiem-chung from the daemon: only the granted field.
            let client = testClient
            let boCongAnPuller = FeedPuller(
                agency: boCongAn, client: client, store: boCongAnAgency.store,
                tokens: RequestTokenSigner(agency: boCongAn, key: boCongAnAgency.key), clockSkewSeconds: 300
            )
            let fromDaemon = PulledFeed(
                peer: boYTe, baseURL: try #require(URL(string: "http://127.0.0.1:\(daemonPort)")), dataset: tiemChung, policy: .lww,
                keys: [try PublicKey(contentsOf: keys.appending(path: "bo-y-te.pub.pem"))], transfer: TransferOptions()
            )
            _ = try await boCongAnPuller.pullUntilCaughtUp(fromDaemon)
            let first = try await boCongAnAgency.store.read { try $0.visibleRecord(dataset: tiemChung, id: "tc-1") }
            #expect(first?.version.data == .object(["ma_dinh_danh": .string("001")]))

            // SIGHUP with the grant widened: the next page carries the new field.
            try daemonConfig(publisherPort: port, sharedFields: "ma_dinh_danh, vaccine", extraPeer: brokenPeer)
                .write(toFile: config, atomically: true, encoding: .utf8)
            daemon.send(SIGHUP)
            #expect(try await notify.waitFor { $0.contains("RELOADING=1") } != nil)
            #expect(try await notify.waitFor(.seconds(10)) { _ in notify.count { $0.contains("READY=1") } >= 2 } != nil)
            try await daemonStore.write { transaction in
                try transaction.edit(
                    dataset: tiemChung, id: "tc-2", agency: boYTe, deleted: false,
                    data: .object(["ma_dinh_danh": .string("002"), "vaccine": .string("Pfizer")]), policy: .lww
                )
            }
            _ = try await boCongAnPuller.pullUntilCaughtUp(fromDaemon)
            let second = try await boCongAnAgency.store.read { try $0.visibleRecord(dataset: tiemChung, id: "tc-2") }
            #expect(second?.version.data == .object(["ma_dinh_danh": .string("002"), "vaccine": .string("Pfizer")]))

            // A bad configuration is logged and the one in force stays: the listener still serves.
            try "agency: [not, an, id]\n".write(toFile: config, atomically: true, encoding: .utf8)
            daemon.send(SIGHUP)
            #expect(try await notify.waitFor(.seconds(10)) { _ in notify.count { $0.contains("READY=1") } >= 3 } != nil)
            #expect(daemon.log.contains("configuration not reloaded; the previous one stays in force"), "\(daemon.log)")
            _ = try await boCongAnPuller.pullUntilCaughtUp(fromDaemon)

            // SIGTERM: STOPPING=1, exit status 0 well within 10 seconds.
            let stopAsked = ContinuousClock.now
            daemon.send(SIGTERM)
            let status0 = try await daemon.waitForExit(.seconds(10))
            #expect(status0 == 0, "log: \(daemon.log)")
            #expect(ContinuousClock.now - stopAsked < .seconds(10))
            #expect(notify.count { $0.contains("STOPPING=1") } == 1)
            // Never record contents in the log.
            #expect(!daemon.log.contains("Nguyễn") && !daemon.log.contains("Pfizer"))
        }
    }

    @Test("a configuration that cannot be used stops the daemon at once with exit status 2")
    func badConfiguration() throws {
        let scratch = try ScratchFolder()
        try "agency: bo-y-te\n".write(toFile: scratch.path("lienthong.yaml"), atomically: true, encoding: .utf8)
        let outcome = try CommandRunner.run(["daemon", "--config", scratch.path("lienthong.yaml")])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("store: missing"), "\(outcome.stderr)")
    }
}

/// The daemon killed with SIGKILL at random moments of a large initial sync — of new records, and of updates
/// to records already held, ids drawn at random — : each time, after a restart, the sync completes with the
/// store intact and equal to an uninterrupted run's. `LIENTHONG_CRASH_ROUNDS` sets the number of kills
/// (default 20; `.ci/crash-soak` runs more).
extension LargeSyncTests {
    @Suite("crash safety", .serialized)
    struct CrashSafetyTests {
        static let records = 4000
        static let rounds = ProcessInfo.processInfo.environment["LIENTHONG_CRASH_ROUNDS"].flatMap(Int.init) ?? 20

        /// The versions the publisher authors, as record numbers: each record once (inserts), or ids drawn at random
        /// from half as many records, so that most versions update a record the puller holds already (updates).
        static func versions(updates: Bool) -> [Int] {
            guard updates else { return Array(0..<records) }
            var generator = SeededGenerator(seed: 11)
            return (0..<records).map { _ in Int.random(in: 0..<(records / 2), using: &generator) }
        }

        @Test("SIGKILL during the initial sync never loses, duplicates or corrupts a record", arguments: StoreBackend.tested, [false, true])
        func killedDuringInitialSync(backend: StoreBackend, updates: Bool) async throws {
            let scratch = try ScratchFolder()
            try scratch.makeKeys()
            let publisher = try InTestAgency(
                boCongAn, keys: scratch.url.appending(path: "keys"), store: scratch.url.appending(path: "bo-cong-an.sqlite"), sharing: danCu, with: boYTe
            )
            let versions = Self.versions(updates: updates)
            let distinct = Set(versions).count
            try await publisher.seed(danCu, records: versions, prefix: "cd")
            let config = scratch.path("lienthong.yaml")
            var (configured, store) = try StoreProbe.fresh(backend, in: scratch.url)
            let caughtUp = "SELECT position FROM cursor WHERE peer = 'bo-cong-an' AND dataset = 'dan-cu'"

            try await publisher.publisher.serving { port in
                try daemonConfig(publisherPort: port, sharedFields: "ma_dinh_danh", store: configured).write(toFile: config, atomically: true, encoding: .utf8)

                // The uninterrupted run: its export is the reference, its duration bounds the moments to kill at.
                let started = ContinuousClock.now
                let notify = try NotifySocket()
                let reference = try DaemonProcess(config: config, folder: scratch.url, notifySocket: notify.path)
                #expect(try await store.waitFor(caughtUp, equals: Int64(Self.records), timeout: .seconds(120)), "\(reference.log)")
                let syncDuration = ContinuousClock.now - started
                #expect(try await notify.waitFor(.seconds(30)) { $0.contains("READY=1") } != nil)
                reference.send(SIGTERM)
                #expect(try await reference.waitForExit(.seconds(10)) == 0)
                let expected = try CommandRunner.run(["export", "--config", config, "--dataset", "dan-cu"]).stdoutText
                #expect(expected.split(separator: "\n").count == distinct)

                var generator = SeededGenerator(seed: 2026)
                var killedMidSync = 0
                // The moments to kill at are drawn from a window that shrinks whenever a kill comes too late, so
                // that kills keep landing mid-sync however loaded the machine is.
                var window = syncDuration
                for round in 1...Self.rounds {
                    (configured, store) = try StoreProbe.fresh(backend, in: scratch.url)
                    try daemonConfig(publisherPort: port, sharedFields: "ma_dinh_danh", store: configured).write(toFile: config, atomically: true, encoding: .utf8)
                    let victim = try DaemonProcess(config: config, folder: scratch.url)
                    // Drawn from the first three quarters: a sync that runs faster than the reference one (a warmer
                    // page cache, a quieter machine) still meets most kills before its end.
                    let moment = window * Double.random(in: 0.05...0.75, using: &generator)
                    try await Task.sleep(for: moment)
                    victim.send(SIGKILL)
                    // terminationReason may only be read once the process has exited: Foundation stops the test
                    // process otherwise.
                    let exited = try await victim.waitForExit(.seconds(30)) != nil
                    #expect(exited && victim.process.terminationReason == .uncaughtSignal, "round \(round): SIGKILL not reported within 30 s")
                    let position = (try? store.integer(caughtUp)) ?? 0
                    if position < Int64(Self.records) { killedMidSync += 1 } else { window = window * 0.6 }

                    let notify = try NotifySocket()
                    let survivor = try DaemonProcess(config: config, folder: scratch.url, notifySocket: notify.path)
                    // Before READY=1 the process may not have reached its own signal handling yet.
                    #expect(try await notify.waitFor(.seconds(30)) { $0.contains("READY=1") } != nil, "round \(round): \(survivor.log)")
                    #expect(try await store.waitFor(caughtUp, equals: Int64(Self.records), timeout: .seconds(120)), "round \(round): \(survivor.log)")
                    survivor.send(SIGTERM)
                    #expect(try await survivor.waitForExit(.seconds(10)) == 0, "round \(round): \(survivor.log)")

                    if backend == .sqlite { #expect(try store.text("PRAGMA integrity_check") == "ok", "round \(round)") }
                    // Each record applied exactly once: the pages' applied counts add up to the feed, no more.
                    #expect(try store.integer(store.appliedSQL) == Int64(Self.records), "round \(round)")
                    // Every version kept once: the ones superseded in history, the latest of each record visible.
                    #expect(try store.integer("SELECT COUNT(*) FROM history") == Int64(Self.records - distinct), "round \(round)")
                    #expect(try store.integer("SELECT COUNT(*) FROM version") == Int64(Self.records), "round \(round)")
                    let export = try CommandRunner.run(["export", "--config", config, "--dataset", "dan-cu"]).stdoutText
                    #expect(export == expected, "round \(round): the export differs from the uninterrupted run's")
                }
                // Most kills must land mid-sync, or the test proves little.
                #expect(killedMidSync * 4 >= Self.rounds * 3, "only \(killedMidSync) of \(Self.rounds) kills landed mid-sync")
            }
        }
    }
}
