import ArgumentParser
import Foundation
import GRDB
import LienThongCore
import LienThongFeed
import LienThongSigning
import LienThongStore

/// What the audit log's hash chain costs: `page served` entries written one per transaction, as the publisher
/// writes them, through the store (chained) and through one plain prepared INSERT of the same columns into a
/// table without the chain (the physical baseline, same pragmas, same run); then `audit verify` over them.
struct AuditBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Write N audit entries one per transaction, chained and with a plain INSERT; verify the chain; report entries/s."
    )

    @Option(help: "Entries to write.") var entries = 20_000
    @Option(help: "Append the figures as one JSON line to this file.") var results: String?

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let peer = try AgencyID("bo-y-te")
        let dataset = try DatasetName("dan-cu")
        func detail(_ index: Int) -> JSONValue {
            .object([
                "after": .integer(Int64(index) * 1000), "last": .integer(Int64(index + 1) * 1000), "head": .integer(Int64(index + 1) * 1000),
                "records": .integer(1000), "fields": .array([.string("ho_ten"), .string("ngay_sinh")]), "purpose": .string("xac-minh-tiem-chung"),
                "legal_basis": .string("Nghị định 13/2023/NĐ-CP, Điều 17"),
            ])
        }
        print("\(entries) `page served` entries, one per transaction, SQLite in WAL mode with synchronous=FULL, in \(folder.path)")

        let plain = try DatabaseQueue(path: folder.appending(path: "physical.sqlite").path)
        try plain.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -\(Store.pageCacheKibibytes)")
            try db.execute(sql: "CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, event TEXT NOT NULL, peer TEXT, dataset TEXT, detail TEXT NOT NULL)")
        }
        let details = (0..<entries).map { detail($0).serializedText }
        let plainSeconds = try timed {
            for (index, text) in details.enumerated() {
                try plain.write { db in
                    try db.cachedStatement(sql: "INSERT INTO audit_log (at, event, peer, dataset, detail) VALUES (?, 'page served', ?, ?, ?)")
                        .execute(arguments: [1_790_000_000_000 + Int64(index), peer.rawValue, dataset.rawValue, text])
                }
            }
        }

        let store = try Store(openingAt: folder.appending(path: "lienthong.sqlite"))
        let chainedSeconds = try timed {
            for index in 0..<entries {
                try store.write(at: UnixTime(milliseconds: 1_790_000_000_000 + Int64(index))) { transaction in
                    try transaction.audit("page served", peer: peer, dataset: dataset, detail: detail(index))
                }
            }
        }
        let key = try PrivateKey.generate(.ed25519)
        try store.write { try AuditCheckpoint.checkpointHead(in: $0, agency: peer, signer: JWSSigner(key: key)) }
        var verification: AuditVerification?
        let verifySeconds = try timed {
            verification = try store.read { try AuditVerification.run(in: $0, agency: peer, keys: [key.publicKey]) }
        }
        guard let verification, verification.problem == nil, verification.chained == entries else {
            throw BenchmarkFailure(description: "the chain did not verify: \(verification?.problem?.description ?? "?")")
        }
        let plainRate = Double(entries) / plainSeconds
        let chainedRate = Double(entries) / chainedSeconds
        let verifyRate = Double(entries) / verifySeconds
        print(String(format: "plain INSERT          %10.0f entries/s (one per transaction: the fsync bounds it)", plainRate))
        print(String(format: "chained audit()       %10.0f entries/s  = %.2f of plain", chainedRate, chainedRate / plainRate))
        print(String(format: "audit verify          %10.0f entries/s", verifyRate))
        try keep(.object([
            "benchmark": .string("audit"), "entries": .integer(Int64(entries)),
            "plain_entries_per_second": .number(String(format: "%.0f", plainRate)),
            "chained_entries_per_second": .number(String(format: "%.0f", chainedRate)),
            "verify_entries_per_second": .number(String(format: "%.0f", verifyRate)), "at": .integer(SystemClock().now.seconds),
        ]), in: results)
    }
}
