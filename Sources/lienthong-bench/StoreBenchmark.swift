import ArgumentParser
import Foundation
import GRDB
import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongSigning
import LienThongStore

/// Applying verified pages into an on-disk store, beside a plain SQLite insert of the same rows.
struct StoreBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Apply N records in pages into an on-disk store, beside a plain SQLite insert; then put N lines."
    )

    @Option(help: "Records to apply.") var records = 1_000_000
    @Option(help: "Records per page.") var pageSize = 1_000
    @Option(help: "Folder for the databases (default: a new temporary folder, removed afterwards).") var folder: String?

    func run() throws {
        let workFolder = folder.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appending(path: "lienthong-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)
        defer { if folder == nil { try? FileManager.default.removeItem(at: workFolder) } }
        let audience = try AgencyID("bo-y-te")
        let dataset = try DatasetName("dan-cu")
        print("\(records) records in pages of \(pageSize), SQLite in WAL mode with synchronous=FULL, in \(workFolder.path)")

        let (plainRate, applyRate) = try Self.measureApply(records: records, pageSize: pageSize, in: workFolder)
        let applyPeak = Self.peakMemoryMegabytes()

        // put: the same number of JSON lines, as `lienthong put` reads them, in one transaction.
        var lines: [UInt8] = []
        for index in 0..<records {
            lines += JSONValue.object(["id": .string("cd-\(index)"), "data": Self.data(index)]).serialized()
            lines.append(0x0A)
        }
        let putStore = try Store(openingAt: workFolder.appending(path: "put.sqlite"))
        let putSeconds = try timed {
            try putStore.write { transaction in
                try LocalEditLines.forEach(in: lines) { edit in
                    try transaction.edit(dataset: dataset, id: edit.id, agency: audience, deleted: edit.deleted, data: edit.data, policy: .lww)
                }
            }
        }

        let putRate = Double(records) / putSeconds
        print(String(format: "plain SQLite insert   %10.0f records/s", plainRate))
        print(String(format: "lienthong apply       %10.0f records/s  = %.2f × plain", applyRate, applyRate / plainRate))
        print(String(format: "lienthong put         %10.0f records/s  (%.1f s)  = %.2f × plain", putRate, putSeconds, putRate / plainRate))
        print(String(format: "peak memory after apply %.0f MB, at the end %.0f MB (resident, whole process)", applyPeak, Self.peakMemoryMegabytes()))
    }

    /// Records per second of a plain SQLite insert and of lienthong applying the same records as verified pages.
    static func measureApply(records: Int, pageSize: Int, in workFolder: URL) throws -> (plain: Double, apply: Double) {
        let publisher = try AgencyID("bo-cong-an")
        let audience = try AgencyID("bo-y-te")
        let dataset = try DatasetName("dan-cu")
        let pages = (records + pageSize - 1) / pageSize
        // The physical limit: the same rows, inserted with one prepared statement, one transaction per page.
        let plain = try DatabaseQueue(path: workFolder.appending(path: "plain.sqlite").path)
        try plain.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL")
            try db.execute(sql: "CREATE TABLE plain (dataset TEXT, record_id TEXT, origin TEXT, hlc_ms INTEGER, hlc_counter INTEGER, vv TEXT, deleted INTEGER, data TEXT)")
        }
        var plainSeconds = 0.0
        for page in 0..<pages {
            let rows = (page * pageSize..<min(records, (page + 1) * pageSize)).map { Self.version($0, publisher: publisher, dataset: dataset) }
            plainSeconds += try timed {
                try plain.write { db in
                    let insert = try db.cachedStatement(sql: "INSERT INTO plain VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                    for row in rows {
                        try insert.execute(arguments: [
                            dataset.rawValue, row.id, publisher.rawValue, row.hlc.milliseconds, row.hlc.counter, row.vv.json.serializedText,
                            row.deleted, row.data.serializedText,
                        ])
                    }
                }
            }
        }

        // lienthong: pages signed and verified outside the timing, then applied (record rules, merge, SQL).
        let key = try PrivateKey.generate(.ed25519)
        let verifier = JWSVerifier(keys: [key.publicKey], requiredType: FeedPage.type)
        let store = try Store(openingAt: workFolder.appending(path: "lienthong.sqlite"))
        let time = store.clock.now
        let now = time.seconds
        var applySeconds = 0.0
        for page in 0..<pages {
            let range = page * pageSize..<min(records, (page + 1) * pageSize)
            let payload = FeedPage.payload(
                publisher: publisher, audience: audience, dataset: dataset, after: Int64(range.lowerBound), head: Int64(records),
                issuedAt: now, expiresAt: now + 600,
                records: range.map { (seq: Int64($0 + 1), version: Self.version($0, publisher: publisher, dataset: dataset).json) }
            )
            let compact = try JWSSigner(key: key).sign(json: payload, type: FeedPage.type)
            let verified = try FeedPage(
                compact: Array(compact.utf8), verifier: verifier,
                expected: PageExpectation(publisher: publisher, audience: audience, pulledDatasets: [dataset], now: time, clockSkewSeconds: 300)
            )
            applySeconds += try timed { _ = try verified.apply(
                    to: store, rules: MergeRules(policy: .lww, receiver: audience, directSources: [publisher]), clockSkewSeconds: 300, now: time
                ) }
        }
        return (Double(records) / plainSeconds, Double(records) / applySeconds)
    }

    static func data(_ index: Int) -> JSONValue {
        .object([
            "ho_ten": .string("Nguyễn Văn \(index)"), "ngay_sinh": .string("1990-01-\(10 + index % 19)"), "tinh": .string("Hà Nội"),
            "ma_dinh_danh": .string(String(format: "001090%06d", index % 1_000_000)),
        ])
    }

    static func version(_ index: Int, publisher: AgencyID, dataset: DatasetName) -> RecordVersion {
        RecordVersion(
            dataset: dataset, id: "cd-\(index)", origin: publisher, hlc: HybridTimestamp(milliseconds: 1_700_000_000_000 + Int64(index), counter: 0),
            vv: VersionVector([publisher: 1]), deleted: false, data: data(index)
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
