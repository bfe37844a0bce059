import ArgumentParser
import Foundation
import GRDB
import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongSchema
import LienThongStore
import LienThongTestSupport

/// What a benchmark's publisher authors: `inserts` gives each version a new id in increasing order (an initial
/// load); `updates` draws each version's id at random from `ids` with a fixed seed, so that most versions
/// update a record already held, anywhere in the key space — what agencies re-send day after day. Each
/// version of an id is a local edit that dominates the one before.
enum Workload: String, ExpressibleByArgument, CaseIterable, Sendable {
    case inserts, updates

    /// The record index of each of `versions` versions, in the order they are authored.
    func recordIndexes(versions: Int, ids: Int, seed: UInt64) -> [Int] {
        switch self {
        case .inserts:
            return Array(0..<versions)
        case .updates:
            var generator = SeededGenerator(seed: seed)
            return (0..<versions).map { _ in Int.random(in: 0..<max(ids, 1), using: &generator) }
        }
    }

    /// The ids a workload of `versions` versions is spread over unless told: all distinct for inserts, half
    /// as many as versions for updates (each record updated about twice).
    func defaultIDs(versions: Int) -> Int { self == .inserts ? versions : max(versions / 2, 1) }

    /// Writes the workload as local edits of `agency` into `store`, in transactions of 10,000, each record's
    /// data made by `data` from its position. With `schema`, each is checked against it first and tagged with
    /// it, as `lienthong put` does.
    static func author(
        _ indexes: [Int], agency: AgencyID, dataset: DatasetName, into store: Store, data: @escaping @Sendable (Int) -> JSONValue = StoreBenchmark.data,
        schema: DatasetSchema? = nil
    ) async throws {
        let schemaTag = try schema.map { try DatasetList.schemaTag($0.declaration) } ?? 0
        for start in stride(from: 0, to: indexes.count, by: 10_000) {
            let chunk = Array(indexes[start..<min(indexes.count, start + 10_000)])
            try await store.write { transaction in
                for (offset, index) in chunk.enumerated() {
                    let record = data(start + offset)
                    if let violation = schema?.validate(record) { throw BenchmarkFailure(description: "record \(index): \(violation)") }
                    try transaction.edit(
                        dataset: dataset, id: "cd-\(index)", agency: agency, deleted: false, data: record, policy: .lww, schemaTag: schemaTag
                    )
                }
            }
        }
    }
}

/// For each position of `indexes`, which version of its record it is (1 for the first): the publisher's
/// counter in that version's vector.
func versionCounters(_ indexes: [Int]) -> [Int64] {
    var seen = [Int64](repeating: 0, count: (indexes.max() ?? 0) + 1)
    return indexes.map { index in
        seen[index] += 1
        return seen[index]
    }
}

/// The store's physical limit for a workload: the rows the store ends with, as the design keeps them (each
/// version appended once to `version`, one `record` row per record pointing at it, one row of the change log
/// per version shown), written by three prepared statements — the append, an upsert of the record row and
/// the change row — in transactions of `transactionSize` versions
/// with the store's pragmas (WAL, synchronous=FULL, the same page cache). Records per second of the versions from `measuredFrom`
/// on; those before fill the store first, untimed.
func physicalUpsertRate(
    _ indexes: [Int], measuredFrom: Int = 0, publisher: AgencyID, dataset: DatasetName, transactionSize: Int, in folder: URL
) throws -> Double {
    let plain = try DatabaseQueue(path: folder.appending(path: "physical.sqlite").path)
    try plain.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -\(Store.pageCacheKibibytes)")
        try db.execute(sql: """
            CREATE TABLE version (seq INTEGER PRIMARY KEY, dataset TEXT NOT NULL, record_id TEXT NOT NULL, origin TEXT NOT NULL,
                hlc_ms INTEGER NOT NULL, hlc_counter INTEGER NOT NULL, vv TEXT NOT NULL, deleted INTEGER NOT NULL, data TEXT NOT NULL,
                source TEXT NOT NULL, received_at INTEGER NOT NULL, supersedes TEXT);
            CREATE TABLE record (dataset TEXT NOT NULL, id TEXT NOT NULL, visible INTEGER, siblings TEXT NOT NULL,
                authored TEXT NOT NULL, PRIMARY KEY (dataset, id)) WITHOUT ROWID;
            CREATE TABLE change_log (change_seq INTEGER PRIMARY KEY, dataset TEXT NOT NULL, record_id TEXT NOT NULL,
                kind TEXT NOT NULL, changed_at INTEGER NOT NULL);
            CREATE INDEX change_log_by_dataset ON change_log (dataset, change_seq);
            """)
    }
    let counters = versionCounters(indexes)
    var seconds = 0.0
    for start in stride(from: 0, to: indexes.count, by: transactionSize) {
        let rows = (start..<min(indexes.count, start + transactionSize)).map { position -> (String, Int64, String, String) in
            ("cd-\(indexes[position])", 1_700_000_000_000 + Int64(position), VersionVector([publisher: counters[position]]).json.serializedText,
                    StoreBenchmark.data(position).serializedText)
        }
        let transactionSeconds = try timed {
            try plain.write { db in
                let append = try db.cachedStatement(sql: """
                    INSERT INTO version (dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at, supersedes)
                    VALUES (?, ?, ?, ?, 0, ?, 0, ?, ?, ?, (SELECT siblings FROM record WHERE dataset = ? AND id = ?))
                    """)
                let upsert = try db.cachedStatement(sql: """
                    INSERT INTO record VALUES (?, ?, ?, ?, ?) ON CONFLICT (dataset, id) DO UPDATE SET
                    visible = excluded.visible, siblings = excluded.siblings, authored = excluded.authored
                    """)
                let logChange = try db.cachedStatement(sql: "INSERT INTO change_log (dataset, record_id, kind, changed_at) VALUES (?, ?, 'updated', ?)")
                for (id, hlc, vv, data) in rows {
                    try append.execute(arguments: [dataset.rawValue, id, publisher.rawValue, hlc, vv, data, publisher.rawValue, hlc, dataset.rawValue, id])
                    let seq = db.lastInsertedRowID
                    try upsert.execute(arguments: [dataset.rawValue, id, seq, "[\(seq)]", vv])
                    try logChange.execute(arguments: [dataset.rawValue, id, hlc])
                }
            }
        }
        if start >= measuredFrom { seconds += transactionSeconds }
    }
    return Double(indexes.count - measuredFrom) / seconds
}

/// This process's resources, read before and after a measured step.
struct ProcessUsage {
    /// Bytes this process caused to be written to storage (`/proc/self/io`, `write_bytes`).
    let writtenBytes: Int64
    /// User and system CPU seconds.
    let cpuSeconds: Double

    static func now() -> ProcessUsage {
        let io = (try? String(contentsOfFile: "/proc/self/io", encoding: .utf8)) ?? ""
        let written = io.split(separator: "\n").first { $0.hasPrefix("write_bytes:") }
            .flatMap { Int64($0.dropFirst("write_bytes:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return ProcessUsage(writtenBytes: written, cpuSeconds: cpu)
    }
}

extension ProcessUsage {
    /// User and system CPU seconds of process `pid` so far (`/proc/PID/stat`, fields 14 and 15, in clock ticks).
    static func cpuSeconds(ofProcess pid: Int) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        // After the command name in parentheses: field 3 onwards.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// Appends `figures` as one JSON line to `path`, so that runs can be compared later.
func keep(_ figures: JSONValue, in path: String?) throws {
    print(figures.serializedText)
    guard let path else { return }
    let url = URL(fileURLWithPath: path)
    if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data((figures.serializedText + "\n").utf8))
}

/// The records a sync carries, and whether both sides check them against a schema (docs/SCHEMA.md).
enum RecordShape: String, ExpressibleByArgument, Sendable {
    /// The four fields of ``StoreBenchmark/data(_:)``, no schema.
    case standard
    /// Ten fields (``wideData(_:)``), no schema: the baseline of `wide-schema`.
    case wide
    /// The same ten fields, each declared in ``tenFieldSchema``, checked by the publisher as it serves and by the
    /// puller as it applies.
    case wideSchema = "wide-schema"

    var data: @Sendable (Int) -> JSONValue { self == .standard ? StoreBenchmark.data : Self.wideData }
    var schema: DatasetSchema? { self == .wideSchema ? Self.tenFieldSchema : nil }

    /// A resident with ten fields, every one kept by ``tenFieldSchema``: a CCCD number that agrees with the birth
    /// date and sex, a phone number, an email address, Vietnamese text.
    static func wideData(_ index: Int) -> JSONValue {
        let year = 1950 + index % 50
        let female = index % 2 == 1
        return .object([
            "so_dinh_danh": .string(String(format: "001%d%02d%06d", female ? 1 : 0, year % 100, index % 1_000_000)),
            "ho_ten": .string("Nguyễn Văn \(index)"), "ngay_sinh": .string(String(format: "%04d-%02d-%02d", year, index % 12 + 1, index % 28 + 1)),
            "gioi_tinh": .string(female ? "nữ" : "nam"), "que_quan": .string("Hoàn Kiếm, Hà Nội"), "dia_chi": .string("\(index % 500) Phố Huế, Hai Bà Trưng"),
            "dien_thoai": .string(String(format: "09%08d", index % 100_000_000)), "email": .string("nguoi.\(index)@example.gov.vn"),
            "nghe_nghiep": .string(["giáo viên", "kỹ sư", "nông dân", "bác sĩ"][index % 4]), "so_con": .integer(Int64(index % 4)),
        ])
    }

    static let tenFieldSchema = try! DatasetSchema(declaration: try! JSONValue(parsing: #"""
        {"additional": "refuse", "fields": {
          "so_dinh_danh": {"type": "string", "required": true, "pii": true, "format": "cccd", "cccd": {"birth_date": "ngay_sinh", "sex": "gioi_tinh"}},
          "ho_ten": {"type": "string", "required": true, "pii": true, "min_length": 2, "max_length": 100},
          "ngay_sinh": {"type": "date", "required": true, "pii": true},
          "gioi_tinh": {"type": "string", "required": true, "enum": ["nam", "nữ"]},
          "que_quan": {"type": "string", "max_length": 200},
          "dia_chi": {"type": "string", "pii": true, "max_length": 200},
          "dien_thoai": {"type": "string", "pii": true, "format": "phone-vn"},
          "email": {"type": "string", "pii": true, "format": "email"},
          "nghe_nghiep": {"type": "string", "pattern": "[a-zà-ỹ ]{2,50}"},
          "so_con": {"type": "integer", "minimum": 0, "maximum": 30}}}
        """#))
}
