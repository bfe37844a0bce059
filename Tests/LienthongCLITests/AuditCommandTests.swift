import Foundation
import GRDB
import LienThongCore
import LienThongFeed
import LienThongStore
import LienThongTestSupport
import Testing

/// `audit verify`, `audit export`, `audit disclosures` and `purge`, run as the binary (docs/PRIVACY.md).
@Suite("Commands: audit and purge")
struct AuditCommandTests {
    static let day: Int64 = 86_400_000

    /// bo-y-te holding dan-cu, with two records put and five `page served` entries on 2026-03-01 to 03-05:
    /// to bo-cong-an every field, to so-tu-phap `ho_ten` only, covering the own feed's seq ranges given.
    static func agency() throws -> (ScratchFolder, String) {
        let scratch = try ScratchFolder()
        try scratch.makeKeys()
        let config = scratch.path("lienthong.yaml")
        try """
            agency: bo-y-te
            store: store.sqlite
            signing_key: keys/bo-y-te.key.pem
            datasets:
              dan-cu: { policy: lww }
            peers:
              bo-cong-an: { url: "https://lienthong.bocongan.example", keys: [keys/bo-cong-an.pub.pem], share: { dan-cu: } }

            """.write(toFile: config, atomically: true, encoding: .utf8)
        let put = try CommandRunner.run(
            ["put", "--config", config, "--dataset", "dan-cu"],
            stdin: Data((#"{"id":"a","data":{"ho_ten":"Trần Văn Bình"}}"# + "\n" + #"{"id":"b","data":{"ho_ten":"Lê Thị C"}}"# + "\n").utf8)
        )
        #expect(put.status == 0, "\(put.stderr)")
        let store = try Store(openingAt: URL(fileURLWithPath: scratch.path("store.sqlite")))
        let march1 = try #require(AuditExport.startOfDay("2026-03-01"))
        let served: [(peer: String, after: Int64, last: Int64, fields: JSONValue, purpose: JSONValue)] = [
            ("bo-cong-an", 0, 2, .null, .string("xac-minh")), ("so-tu-phap", 0, 1, .array([.string("ho_ten")]), .null),
            ("so-tu-phap", 1, 2, .array([.string("ho_ten")]), .null), ("bo-cong-an", 2, 2, .null, .string("xac-minh")),
            ("so-tu-phap", 0, 2, .array([.string("ho_ten")]), .null),
        ]
        for (index, page) in served.enumerated() {
            try store.write(at: UnixTime(milliseconds: march1 + Int64(index) * day + 3_600_000)) { tx in
                try tx.audit("page served", peer: try AgencyID(page.peer), dataset: try DatasetName("dan-cu"), detail: .object([
                    "after": .integer(page.after), "last": .integer(page.last), "head": .integer(2), "fields": page.fields,
                    "purpose": page.purpose, "legal_basis": .null, "withheld": index == 4 ? .array([.integer(2)]) : .array([]),
                ]))
            }
        }
        return (scratch, config)
    }

    @Test("audit verify says ok, then names an entry altered in the database with exit 1")
    func verify() throws {
        let (scratch, config) = try Self.agency()
        let ok = try CommandRunner.run(["audit", "verify", "--config", config])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdoutText == "audit log ok: 5 entries chained to entry 5, 0 checkpoints\n")
        try DatabaseQueue(path: scratch.path("store.sqlite")).write { db in
            try db.execute(sql: "UPDATE audit_log SET peer = 'so-tu-phap' WHERE seq = 1")
        }
        let altered = try CommandRunner.run(["audit", "verify", "--config", config])
        #expect(altered.status == 1)
        #expect(altered.stderr == "lienthong: audit log: entry 1 was altered: its content no longer gives the hash stored with it\n")
    }

    @Test("audit export writes the days asked for and a checkpoint that tools/verify-audit-export accepts")
    func export() async throws {
        let (scratch, config) = try Self.agency()
        let output = scratch.path("export.jsonl")
        let exported = try CommandRunner.run(["audit", "export", "--config", config, "--from", "2026-03-02", "--to", "2026-03-04", "--output", output])
        #expect(exported.status == 0, "\(exported.stderr)")
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.first?.contains(#""seq":2"#) == true && lines.last?.hasPrefix(#"{"checkpoint":""#) == true)
        // Independent code: Python and its cryptography package, nothing of lienthong's.
        let report = scratch.path("verify.out")
        let status = try spawnAndWait(
            ["/usr/bin/python3", Self.tool, output, scratch.path("keys/bo-y-te.pub.pem")], standardInput: "/dev/null", standardOutput: report,
            standardError: report
        )
        let verified = try String(contentsOfFile: report, encoding: .utf8)
        #expect(status == 0, "\(verified)")
        #expect(verified.hasPrefix("ok: 3 entries from 2 to 4, signed by bo-y-te"), "\(verified)")
        let refusedDates = try CommandRunner.run(["audit", "export", "--config", config, "--from", "2026-03-05", "--to", "2026-02-30"])
        #expect(refusedDates.status != 0)
    }

    @Test("audit disclosures: each peer that received a version of the record, with its fields and purpose; none for versions left out")
    func disclosures() throws {
        let (scratch, config) = try Self.agency()
        defer { withExtendedLifetime(scratch) {} }
        let answer = try CommandRunner.run(["audit", "disclosures", "--config", config, "--dataset", "dan-cu", "--id", "b", "--json"])
        #expect(answer.status == 0, "\(answer.stderr)")
        let rows = try answer.stdoutText.split(separator: "\n").map { try JSONValue(parsing: Array($0.utf8)) }
        // b is seq 2: in the pages (0, 2] to bo-cong-an, (1, 2] to so-tu-phap, (2, 2] holds nothing, and the last
        // page to so-tu-phap left it out.
        #expect(rows.map { $0["to"]?.stringValue } == ["bo-cong-an", "so-tu-phap"])
        #expect(rows.map { $0["seq"]?.int64Value } == [2, 2])
        #expect(rows.map { $0["fields"] } == [.null, .array([.string("ho_ten")])])
        #expect(rows.map { $0["purpose"] } == [.string("xac-minh"), .null])
        let table = try CommandRunner.run(["audit", "disclosures", "--config", config, "--dataset", "dan-cu", "--id", "a"])
        #expect(table.stdoutText.hasPrefix("3 disclosures of dan-cu/a\n"), "\(table.stdoutText)")
        #expect(!table.stdoutText.contains("Trần"))
    }

    @Test("purge --dry-run counts and removes nothing; purge removes, is audited, and the log still verifies")
    func purge() throws {
        let (scratch, config) = try Self.agency()
        // Keep the log a day: the five entries from March are older.
        let text = try String(contentsOfFile: config, encoding: .utf8) + "retention: { audit_days: 1 }\n"
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let dryRun = try CommandRunner.run(["purge", "--config", config, "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdoutText.contains("audit entries") && dryRun.stdoutText.contains("4"), "\(dryRun.stdoutText)")
        let dryRunJSON = try CommandRunner.run(["purge", "--config", config, "--dry-run", "--json"])
        #expect(dryRunJSON.status == 0, "\(dryRunJSON.stderr)")
        let counts = try JSONValue(parsing: dryRunJSON.stdout)
        #expect(counts["dry_run"] == .bool(true) && counts["more"] == .bool(false))
        #expect(counts["removed"]?.arrayValue?.contains(.object(["what": .string("audit_entries"), "dataset": .null, "count": .integer(4)])) == true, "\(counts)")
        let vietnamese = try CommandRunner.run(["purge", "--config", config, "--dry-run", "--lang", "vi"])
        #expect(vietnamese.stdoutText.contains("loại") && vietnamese.stdoutText.contains("sẽ xóa") && vietnamese.stdoutText.contains("mục nhật ký kiểm toán"))
        #expect(try DatabaseQueue(path: scratch.path("store.sqlite")).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM audit_log") } == 5)
        let purged = try CommandRunner.run(["purge", "--config", config])
        #expect(purged.status == 0, "\(purged.stderr)")
        let events = try DatabaseQueue(path: scratch.path("store.sqlite")).read { try String.fetchAll($0, sql: "SELECT event FROM audit_log ORDER BY seq") }
        #expect(events == ["page served", "purged"])
        #expect(try CommandRunner.run(["audit", "verify", "--config", config]).status == 0)
    }

    static let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "tools/verify-audit-export").path
}
