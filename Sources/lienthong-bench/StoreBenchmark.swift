import ArgumentParser
import Foundation
import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongSigning
import LienThongStore
import LienThongTestSupport

/// Applying verified pages of a workload into an on-disk store (no HTTP), beside the store's physical limit
/// for the same rows in the same run.
struct StoreBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Apply N versions in verified pages into an on-disk store, beside the store's physical limit."
    )

    @Option(help: "inserts: each version a new record; updates: ids drawn at random, most versions update a record already held.")
    var workload = Workload.inserts
    @Option(help: "Versions to apply.") var records = 1_000_000
    @Option(help: "Distinct records (default: all distinct for inserts, half the versions for updates).") var ids: Int?
    @Option(help: "Seed of the random ids.") var seed: UInt64 = 20_261_205
    @Option(help: "Records per page.") var pageSize = 1_000
    @Option(help: "Records the store holds before the measured versions (a multiple of the page size); updates then spread over them.")
    var preload = 0
    @Option(help: "Folder for the databases (default: a new temporary folder, removed afterwards).") var folder: String?
    @Option(help: "sqlite: a file in the folder; postgres: databases on a private PostgreSQL cluster (fsync on) the benchmark starts.")
    var backend = StoreBackend.sqlite
    @Option(help: "Append the figures as one JSON line to this file.") var results: String?

    func validate() throws {
        guard preload >= 0, preload % pageSize == 0 else { throw ValidationError("--preload must be a multiple of --page-size") }
    }

    func run() throws {
        let workFolder = folder.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appending(path: "lienthong-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)
        defer { if folder == nil { try? FileManager.default.removeItem(at: workFolder) } }
        let ids = ids ?? (preload > 0 ? preload : workload.defaultIDs(versions: records))
        // The preloaded records come first, as inserts; the measured versions follow.
        let indexes = Array(0..<preload) + workload.recordIndexes(versions: records, ids: ids, seed: seed).map { workload == .inserts ? $0 + preload : $0 }
        let kind = backend == .sqlite
            ? "SQLite in WAL mode with synchronous=FULL, in \(workFolder.path)" : "PostgreSQL \(PostgresCluster.programs ?? "?") with fsync on, on loopback"
        print("\(records) versions of \(ids) records (\(workload.rawValue)) in pages of \(pageSize) into a store holding \(preload), \(kind)")

        let publisher = try AgencyID("bo-cong-an")
        let dataset = try DatasetName("dan-cu")
        let physicalRate: Double
        let location: StoreLocation
        switch backend {
        case .sqlite:
            physicalRate = try physicalUpsertRate(indexes, measuredFrom: preload, publisher: publisher, dataset: dataset, transactionSize: pageSize, in: workFolder)
            location = .file(workFolder.appending(path: "lienthong.sqlite"))
        case .postgres:
            let cluster = PostgresCluster(durable: true)
            physicalRate = try physicalPostgresUpsertRate(
                indexes, measuredFrom: preload, publisher: publisher, dataset: dataset, transactionSize: pageSize, in: try cluster.newDatabase()
            )
            location = .postgres(try cluster.newDatabase())
        }
        let (applyRate, usage) = try Self.measureApply(indexes, measuredFrom: preload, pageSize: pageSize, into: location)
        let peak = Self.peakMemoryMegabytes()
        print(String(format: "physical limit        %10.0f records/s  (version append + record row upsert + change row, one page a transaction%@)", physicalRate,
            backend == .postgres ? "; three batched statements by postgres-nio" : ""))
        print(String(format: "lienthong apply       %10.0f records/s  = %.2f × physical", applyRate, applyRate / physicalRate))
        print(String(format: "written to disk       %10.0f bytes per record while applying", Double(usage.writtenBytes) / Double(records)))
        print(String(format: "CPU                   %10.3f s per 1,000 records while applying", usage.cpuSeconds * 1000 / Double(records)))
        print(String(format: "peak memory           %10.0f MB (resident, whole process)", peak))
        try keep(.object([
            "benchmark": .string("store"), "backend": .string(backend.rawValue), "workload": .string(workload.rawValue), "versions": .integer(Int64(records)), "ids": .integer(Int64(ids)),
            "page_size": .integer(Int64(pageSize)), "preload": .integer(Int64(preload)), "records_per_second": .number(String(format: "%.0f", applyRate)),
            "physical_records_per_second": .number(String(format: "%.0f", physicalRate)),
            "ratio_to_physical": .number(String(format: "%.3f", applyRate / physicalRate)),
            "bytes_written_per_record": .number(String(format: "%.0f", Double(usage.writtenBytes) / Double(records))),
            "cpu_seconds_per_1000_records": .number(String(format: "%.4f", usage.cpuSeconds * 1000 / Double(records))),
            "peak_rss_mb": .number(String(format: "%.0f", peak)), "at": .integer(SystemClock().now.seconds),
        ]), in: results)
    }

    /// Records per second of lienthong applying the versions of `indexes` from `measuredFrom` on as verified
    /// pages (signed and verified outside the timing), and what the applying wrote and cost; the versions
    /// before `measuredFrom` fill the store first, untimed.
    static func measureApply(_ indexes: [Int], measuredFrom: Int = 0, pageSize: Int, into location: StoreLocation) throws -> (rate: Double, usage: ProcessUsage) {
        let publisher = try AgencyID("bo-cong-an")
        let audience = try AgencyID("bo-y-te")
        let dataset = try DatasetName("dan-cu")
        let key = try PrivateKey.generate(.ed25519)
        let verifier = JWSVerifier(keys: [key.publicKey], requiredType: FeedPage.type)
        let store = try Store(opening: location)
        let time = store.clock.now
        let rules = MergeRules(policy: .lww, receiver: audience, directSources: [publisher])
        let counters = versionCounters(indexes)
        var seconds = 0.0
        var written: Int64 = 0
        var cpu = 0.0
        for start in stride(from: 0, to: indexes.count, by: pageSize) {
            let range = start..<min(indexes.count, start + pageSize)
            let records = range.map { position -> (seq: Int64, version: JSONValue) in
                (Int64(position + 1), version(position, record: indexes[position], counter: counters[position], publisher: publisher, dataset: dataset).json)
            }
            let payload = FeedPage.payload(
                publisher: publisher, audience: audience, dataset: dataset, after: Int64(start), head: Int64(indexes.count),
                issuedAt: time.seconds, expiresAt: time.seconds + 600, records: records
            )
            let compact = try JWSSigner(key: key).sign(json: payload, type: FeedPage.type)
            let verified = try FeedPage(
                compact: Array(compact.utf8), verifier: verifier,
                expected: PageExpectation(publisher: publisher, audience: audience, pulledDatasets: [dataset], now: time, clockSkewSeconds: 300)
            )
            let before = ProcessUsage.now()
            let pageSeconds = try timed { _ = try verified.apply(to: store, rules: rules, clockSkewSeconds: 300, now: time) }
            let after = ProcessUsage.now()
            guard start >= measuredFrom else { continue }
            seconds += pageSeconds
            written += after.writtenBytes - before.writtenBytes
            cpu += after.cpuSeconds - before.cpuSeconds
        }
        return (Double(indexes.count - measuredFrom) / seconds, ProcessUsage(writtenBytes: written, cpuSeconds: cpu))
    }

    static func data(_ index: Int) -> JSONValue {
        .object([
            "ho_ten": .string("Nguyễn Văn \(index)"), "ngay_sinh": .string("1990-01-\(10 + index % 19)"), "tinh": .string("Hà Nội"),
            "ma_dinh_danh": .string(String(format: "001090%06d", index % 1_000_000)),
        ])
    }

    /// The `counter`-th version of record `record` by `publisher`, authored as the `position`-th of the workload.
    static func version(_ position: Int, record: Int, counter: Int64 = 1, publisher: AgencyID, dataset: DatasetName) -> RecordVersion {
        RecordVersion(
            dataset: dataset, id: "cd-\(record)", origin: publisher, hlc: HybridTimestamp(milliseconds: 1_700_000_000_000 + Int64(position), counter: 0),
            vv: VersionVector([publisher: counter]), deleted: false, data: data(position)
        )
    }

    static func peakMemoryMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

/// Seconds that `body` took.
func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
