import ArgumentParser
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

/// A sync between two agencies over loopback, as in production: the publisher is a process of its own
/// (`serve-feed`), the puller this one, each with its on-disk store. Beside it, in the same run: the store's
/// physical limit for the same rows (one prepared upsert plus the history row) and `openssl speed` for the
/// page verifications.
struct SyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Pull N versions in pages from a publisher in another process, beside the store's physical limit and openssl speed."
    )

    @Option(help: "inserts: each version a new record; updates: ids drawn at random, most versions update a record already held.")
    var workload = Workload.inserts
    @Option(help: "Versions to sync.") var records = 1_000_000
    @Option(help: "Distinct records the versions are spread over (default: all distinct for inserts, half the versions for updates).")
    var ids: Int?
    @Option(help: "Seed of the random ids.") var seed: UInt64 = 20_261_205
    @Option(help: "Records per page.") var pageSize = 1_000
    @Option(help: "full: the puller may see every field; reduced: two of the four fields (the publisher reduces each record).")
    var grant = GrantKind.full
    @Option(help: "The publisher's key: Ed25519 or P-256 (ES256 pages).") var key = KeyKind.ed25519
    @Option(help: "standard: four fields, no schema; wide: ten fields, no schema; wide-schema: the ten fields declared in a schema that the publisher and the puller check.")
    var shape = RecordShape.standard
    @Option(help: "Append the figures as one JSON line to this file.") var results: String?
    @Option(help: "Reader processes looking records up by id in the puller's store while it syncs (point-reads); then one alone for 5 s.")
    var readers = 0
    @Option(help: "The readers' nice value: 19 leaves them only the CPU the sync does not use.") var readerNice = 0
    @Option(help: "Lookups per second of each reader at most during the sync (0: as fast as it can).") var readerRate = 0
    @Option(help: "The store the readers read: the puller's (the one being written), or the publisher's (a control: the same reads, no contention for the puller's store).")
    var readerStore = ReaderStore.puller
    @Option(help: "The puller's store: sqlite, a file; postgres, a database on a private PostgreSQL cluster (fsync on) the benchmark starts.")
    var backend = StoreBackend.sqlite

    func validate() throws {
        if backend == .postgres, readers > 0 { throw ValidationError("--readers reads a SQLite store: not with --backend postgres") }
    }

    enum ReaderStore: String, ExpressibleByArgument, Sendable {
        case puller, publisher
    }

    enum KeyKind: String, ExpressibleByArgument, Sendable {
        case ed25519 = "Ed25519", p256 = "P-256"

        var type: KeyType { self == .ed25519 ? .ed25519 : .p256 }
    }

    enum GrantKind: String, ExpressibleByArgument, Sendable {
        case full, reduced

        var grant: DatasetGrant { self == .full ? DatasetGrant(fields: nil) : DatasetGrant(fields: ["ho_ten", "ngay_sinh"]) }
    }

    func run() async throws {
        let workFolder = FileManager.default.temporaryDirectory.appending(path: "lienthong-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workFolder) }
        let publisherAgency = try AgencyID("bo-cong-an")
        let pullerAgency = try AgencyID("bo-y-te")
        let dataset = try DatasetName("dan-cu")
        let publisherKey = try PrivateKey.generate(key.type)
        let pullerKey = try PrivateKey.generate(.ed25519)
        try publisherKey.pemText().write(to: workFolder.appending(path: "publisher.key.pem"), atomically: true, encoding: .utf8)
        try pullerKey.publicKey.pemText.write(to: workFolder.appending(path: "puller.pub.pem"), atomically: true, encoding: .utf8)
        let ids = ids ?? workload.defaultIDs(versions: records)
        print("\(records) versions of \(ids) records (\(workload.rawValue)) in pages of \(pageSize) over loopback, in \(workFolder.path)")

        let cluster = backend == .postgres ? PostgresCluster(durable: true) : nil
        let pullerStore = try cluster.map { try Store(opening: .postgres(try $0.newDatabase())) }
            ?? Store(openingAt: workFolder.appending(path: "puller.sqlite"))
        let puller = FeedPuller(
            agency: pullerAgency, client: runningForTheProcess(try HTTPClient()), store: pullerStore,
            tokens: RequestTokenSigner(agency: pullerAgency, key: pullerKey), clockSkewSeconds: 300, pageLimit: Int64(pageSize)
        )
        let arguments = [
            "serve-feed", "--folder", workFolder.path, "--workload", workload.rawValue, "--records", String(records), "--ids", String(ids),
            "--seed", String(seed), "--grant", grant.rawValue, "--shape", shape.rawValue,
        ]
        let (summary, seconds, measured, readerFigures) = try await withChild(URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path, arguments) { nextLine in
            let words = (try await nextLine() ?? "").split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard words.count == 4, words[0] == "PORT", let port = Int(words[1]), words[2] == "PID", let pid = Int(words[3]) else {
                throw BenchmarkFailure(description: "the publisher did not start")
            }
            let feed = PulledFeed(
                peer: publisherAgency, baseURL: URL(string: "http://127.0.0.1:\(port)")!, dataset: dataset, policy: .lww,
                keys: [publisherKey.publicKey], transfer: TransferOptions(), schema: shape.schema
            )
            let readerProcesses = readers > 0
                ? try ReaderProcesses(
                    count: readers, store: workFolder.appending(path: "\(readerStore.rawValue).sqlite"), ids: ids, niceness: readerNice, rate: readerRate,
                    in: workFolder
                )
                : nil
            let before = ProcessUsage.now()
            let publisherBefore = ProcessUsage.cpuSeconds(ofProcess: pid)
            let start = ContinuousClock.now
            let summary = try await puller.pullUntilCaughtUp(feed)
            let elapsed = ContinuousClock.now - start
            let readerFigures = try readerProcesses?.stop()
            let after = ProcessUsage.now()
            let publisherCPU = ProcessUsage.cpuSeconds(ofProcess: pid) - publisherBefore
            return (summary, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                    (puller: ProcessUsage(writtenBytes: after.writtenBytes - before.writtenBytes, cpuSeconds: after.cpuSeconds - before.cpuSeconds),
                     publisherCPU: publisherCPU), readerFigures)
        }
        let syncPeak = StoreBenchmark.peakMemoryMegabytes()
        // The same reader with no writer, on the store the sync filled.
        let aloneFigures = readers > 0
            ? try ReaderProcesses(count: 1, store: workFolder.appending(path: "puller.sqlite"), ids: ids, niceness: 0, seconds: 5, in: workFolder).stop()
            : nil
        let usage = measured.puller
        guard summary.applied == records else {
            throw BenchmarkFailure(description: "the sync applied \(summary.applied) of \(records) versions")
        }
        let indexes = workload.recordIndexes(versions: records, ids: ids, seed: seed)
        let physicalRate = try cluster.map { cluster in
            try physicalPostgresUpsertRate(
                indexes, publisher: publisherAgency, dataset: dataset, transactionSize: TransactionBounds.standard.maximumRecords, in: try cluster.newDatabase()
            )
        } ?? physicalUpsertRate(
            indexes, publisher: publisherAgency, dataset: dataset, transactionSize: TransactionBounds.standard.maximumRecords, in: workFolder
        )
        let (speedName, speedKey) = key == .ed25519 ? ("ed25519", "Ed25519") : ("ecdsap256", "nistp256")
        let verifyRate = try await OpenSSLSpeed.verifyRates([speedName], seconds: 3)[speedKey] ?? 0
        let syncRate = Double(records) / seconds
        let pages = summary.pages
        guard summary.quarantined == 0 else { throw BenchmarkFailure(description: "\(summary.quarantined) versions were quarantined") }
        print(String(format: "sync                  %10.0f records/s  (%.1f s, %d pages, records %@)  = %.2f × the store's physical limit", syncRate, seconds, pages, shape.rawValue, syncRate / physicalRate))
        print(String(format: "physical limit        %10.0f records/s  (version append + record row upsert + change row, %d a transaction, same run)", physicalRate, TransactionBounds.standard.maximumRecords))
        print(String(format: "page verifications    %10.0f pages/s by openssl speed: %.2f s of the sync's %.1f s", verifyRate, Double(pages) / max(verifyRate, 1), seconds))
        print(String(format: "written to disk       %10.0f bytes per record (/proc/self/io write_bytes of the puller)", Double(usage.writtenBytes) / Double(records)))
        print(String(format: "CPU                   %10.3f s per 1,000 records (puller: user + system)", usage.cpuSeconds * 1000 / Double(records)))
        print(String(format: "publisher CPU         %10.3f s per 1,000 records served (%@ grant) = %.2f × the puller's", measured.publisherCPU * 1000 / Double(records), grant.rawValue, measured.publisherCPU / max(usage.cpuSeconds, 0.001)))
        print(String(format: "peak memory           %10.0f MB (resident, the puller)", syncPeak))
        var readerJSON: [String: JSONValue] = [
            "readers": .integer(Int64(readers)), "reader_nice": .integer(Int64(readerNice)), "reader_store": .string(readerStore.rawValue),
            "reader_rate": .integer(Int64(readerRate)),
        ]
        if let during = readerFigures, let alone = aloneFigures {
            let rates = during.lookupsPerSecond.map { String(format: "%.0f", $0) }.joined(separator: ", ")
            let aloneRate = alone.lookupsPerSecond.first ?? 0
            print(String(format: "readers               %@ lookups/s each during the sync (%d at nice %d in the %@'s store, at most %d/s each (0: unpaced), %.0f%% found, %d errors)", rates, readers, readerNice, readerStore.rawValue, readerRate, during.hitShare * 100, during.errors))
            print(String(format: "reader alone          %10.0f lookups/s (one reader, no writer, 5 s, %d errors): the first reader ran at %.2f × that", aloneRate, alone.errors, (during.lookupsPerSecond.first ?? 0) / max(aloneRate, 1)))
            readerJSON["reader_lookups_per_second"] = .array(during.lookupsPerSecond.map { .number(String(format: "%.0f", $0)) })
            readerJSON["reader_alone_lookups_per_second"] = .number(String(format: "%.0f", aloneRate))
            readerJSON["reader_errors"] = .integer(Int64(during.errors + alone.errors))
        }
        try keep(.object([
            "benchmark": .string("sync"), "backend": .string(backend.rawValue), "workload": .string(workload.rawValue), "versions": .integer(Int64(records)), "ids": .integer(Int64(ids)),
            "seed": .number(String(seed)), "page_size": .integer(Int64(pageSize)), "records_per_second": .number(String(format: "%.0f", syncRate)),
            "physical_records_per_second": .number(String(format: "%.0f", physicalRate)),
            "ratio_to_physical": .number(String(format: "%.3f", syncRate / physicalRate)),
            "bytes_written_per_record": .number(String(format: "%.0f", Double(usage.writtenBytes) / Double(records))),
            "cpu_seconds_per_1000_records": .number(String(format: "%.4f", usage.cpuSeconds * 1000 / Double(records))),
            "grant": .string(grant.rawValue), "shape": .string(shape.rawValue), "publisher_cpu_seconds_per_1000_records": .number(String(format: "%.4f", measured.publisherCPU * 1000 / Double(records))),
            "peak_rss_mb": .number(String(format: "%.0f", syncPeak)), "key": .string(key.rawValue), "openssl_verify_per_second": .number(String(format: "%.0f", verifyRate)),
            "at": .integer(SystemClock().now.seconds),
        ].merging(readerJSON) { first, _ in first }), in: results)
    }
}

/// The publisher of the sync benchmark, in a process of its own: it authors the workload in its store, serves
/// its feed on a free loopback port, prints `PORT n`, and serves until it is terminated.
struct ServeFeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve-feed", shouldDisplay: false)

    @Option var folder: String
    @Option var workload = Workload.inserts
    @Option var records = 1_000_000
    @Option var ids: Int
    @Option var seed: UInt64
    @Option var grant = SyncBenchmark.GrantKind.full
    @Option var shape = RecordShape.standard

    func run() async throws {
        let folder = URL(fileURLWithPath: folder)
        let agency = try AgencyID("bo-cong-an")
        let dataset = try DatasetName("dan-cu")
        let key = try PrivateKeyFile(reading: folder.appending(path: "publisher.key.pem"), access: .groupOrOthersAllowed).key
        let pullerKey = try PublicKey(contentsOf: folder.appending(path: "puller.pub.pem"))
        let store = try Store(openingAt: folder.appending(path: "publisher.sqlite"))
        try await Workload.author(
            workload.recordIndexes(versions: records, ids: ids, seed: seed), agency: agency, dataset: dataset, into: store, data: shape.data, schema: shape.schema
        )
        let publisher = Publisher(
            settings: PublisherSettings(
                agency: agency, signingKey: key,
                peers: [try AgencyID("bo-y-te"): PublisherPeer(keys: [pullerKey], grants: [dataset: grant.grant])],
                datasets: [dataset], schemas: shape.schema.map { [dataset: $0] } ?? [:]
            ),
            store: store, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        )
        try await publisher.serving { port in
            FileHandle.standardOutput.write(Data("PORT \(port) PID \(getpid())\n".utf8))
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}
