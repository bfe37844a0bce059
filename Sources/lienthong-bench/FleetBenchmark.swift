import ArgumentParser
import Foundation
import LienThongCore
import LienThongPublisher
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Logging

/// A fleet's combined pull rate: 1, 2, 3 … `lienthong daemon` processes sharing one PostgreSQL store pull the
/// feeds of one publisher (this process, over loopback), each feed by one daemon at a time under its lease;
/// the clock runs from the daemons' start until every feed's cursor reaches its head.
struct FleetBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Pull F feeds into one PostgreSQL store with 1, 2, 3 … daemons; their combined rate."
    )

    @Option(parsing: .upToNextOption, help: "The fleet sizes to measure, one run each.") var daemons: [Int] = [1, 2, 3]
    @Option(help: "Feeds (datasets of the one publisher).") var feeds = 6
    @Option(help: "Versions over all feeds (each feed an equal share; each version a new record).") var records = 300_000
    @Option(help: "The lienthong binary the daemons run (default: the one built beside this benchmark).") var lienthong: String?
    @Option(help: "Append the figures as JSON lines to this file.") var results: String?

    func run() async throws {
        let binary = lienthong ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appending(path: "lienthong").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchmarkFailure(description: "no lienthong binary at \(binary): build it (swift build -c release) or pass --lienthong")
        }
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let publisherAgency = try AgencyID("bo-cong-an")
        let pullerAgency = try AgencyID("bo-y-te")
        let publisherKey = try PrivateKey.generate(.ed25519)
        let pullerKey = try PrivateKey.generate(.ed25519)
        try CreatedFile.create(atPath: folder.appending(path: "bo-y-te.key.pem").path, mode: CreatedFile.ownerOnly)
        try pullerKey.pemText().write(to: folder.appending(path: "bo-y-te.key.pem"), atomically: false, encoding: .utf8)
        try publisherKey.publicKey.pemText.write(to: folder.appending(path: "bo-cong-an.pub.pem"), atomically: true, encoding: .utf8)
        let datasets = try (1...feeds).map { try DatasetName("ds-\($0)") }
        let perFeed = records / feeds
        let store = try Store(openingAt: folder.appending(path: "publisher.sqlite"))
        for dataset in datasets {
            try await Workload.author(Array(0..<perFeed), agency: publisherAgency, dataset: dataset, into: store)
        }
        let publisher = Publisher(
            settings: PublisherSettings(
                agency: publisherAgency, signingKey: publisherKey,
                peers: [pullerAgency: PublisherPeer(keys: [pullerKey.publicKey], grants: Dictionary(uniqueKeysWithValues: datasets.map { ($0, DatasetGrant(fields: nil)) }))],
                datasets: Set(datasets)
            ),
            store: store, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        )
        let cluster = PostgresCluster(durable: true)
        print("\(perFeed * feeds) versions in \(feeds) feeds of one publisher (this process, loopback) into one PostgreSQL store (fsync on), pulled by fleets of \(daemons.map(String.init).joined(separator: ", ")) daemons")
        try await publisher.serving { port in
            var single: Double?
            for size in daemons {
                let database = try cluster.newDatabase()
                let processes = try (1...size).map { index in
                    let config = folder.appending(path: "d\(index).yaml")
                    try Self.configuration(daemon: "d\(index)", port: port, database: database, datasets: datasets)
                        .write(to: config, atomically: true, encoding: .utf8)
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: binary)
                    process.arguments = ["daemon", "--config", config.path]
                    process.standardOutput = FileHandle.nullDevice
                    process.standardError = FileHandle.nullDevice
                    return process
                }
                let started = ContinuousClock.now
                for process in processes { try process.run() }
                defer {
                    for process in processes where process.isRunning {
                        process.terminate()
                        process.waitUntilExit()
                    }
                }
                // Opened once the daemons have created the store's tables.
                var opened: Store?
                var applied: Int64 = 0
                while applied < Int64(perFeed * feeds) {
                    guard ContinuousClock.now - started < .seconds(600) else { throw BenchmarkFailure(description: "\(size) daemons: not caught up in 600 s") }
                    try await Task.sleep(for: .milliseconds(100))
                    opened = opened ?? (try? Store(reading: .postgres(database)))
                    guard let reader = opened else { continue }
                    applied = (try? await reader.read { snapshot in
                        try datasets.reduce(Int64(0)) { sum, dataset in sum + (try snapshot.cursor(peer: publisherAgency, dataset: dataset)?.position ?? 0) }
                    }) ?? 0
                }
                let elapsed = ContinuousClock.now - started
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let rate = Double(perFeed * feeds) / seconds
                single = single ?? rate
                let holders = try await (opened ?? Store(reading: .postgres(database))).read { try $0.pullLeases() }.reduce(into: [String: Int]()) { $0[$1.holder, default: 0] += 1 }
                print(String(format: "%d daemon%@  %10.0f records/s  (%.1f s)  = %.2f × one daemon; feeds per daemon: %@", size, size == 1 ? " " : "s", rate, seconds,
                             rate / (single ?? rate), holders.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
                try keep(.object([
                    "benchmark": .string("fleet"), "daemons": .integer(Int64(size)), "feeds": .integer(Int64(feeds)), "versions": .integer(Int64(perFeed * feeds)),
                    "records_per_second": .number(String(format: "%.0f", rate)), "at": .integer(SystemClock().now.seconds),
                ]), in: results)
            }
        }
    }

    /// Daemon `daemon`'s configuration: bo-y-te pulling every dataset from the publisher at `port`.
    static func configuration(daemon: String, port: Int, database: PostgresLocation, datasets: [DatasetName]) -> String {
        """
        agency: bo-y-te
        store: "\(database)"
        signing_key: bo-y-te.key.pem
        listen: "127.0.0.1:0"
        daemon_id: \(daemon)
        datasets:
        \(datasets.map { "  \($0): { policy: lww }" }.joined(separator: "\n"))
        peers:
          bo-cong-an:
            url: "http://127.0.0.1:\(port)"
            keys: [bo-cong-an.pub.pem]
            pull: [\(datasets.map(\.rawValue).joined(separator: ", "))]
            interval_seconds: 1

        """
    }
}
