import Foundation
import LienThongCore
import LienThongFeed
import LienThongSigning
@_spi(Testing) import LienThongStore
import LienThongTestSupport
import Subprocess
import Testing

/// The audit log's hash chain, its signed checkpoints, `audit verify` and the export checked by independent
/// code (docs/PRIVACY.md).
@Suite("Audit log: the chain, checkpoints, pruning and exports")
struct AuditLogTests {
    static let day: Int64 = 86_400_000
    let signer = JWSSigner(key: publisherKey)

    /// Six entries on six days (days 1 to 6 after fixedNow's), the fourth checkpointed.
    func loggedStore(_ backend: StoreBackend) throws -> TemporaryStore {
        let temporary = try TemporaryStore(backend)
        for index in 1...6 {
            try temporary.store.write(at: UnixTime(milliseconds: fixedNow.milliseconds + Int64(index) * Self.day)) { transaction in
                try transaction.audit("page served", peer: boYTe, dataset: danCu, detail: .object([
                    "after": .integer(Int64(index - 1)), "last": .integer(Int64(index)), "note": .string("lần \(index)"),
                ]))
                if index == 4 { try AuditCheckpoint.checkpointHead(in: transaction, agency: boCongAn, signer: signer) }
            }
        }
        return temporary
    }

    func verification(_ temporary: TemporaryStore, keys: [PublicKey] = [publisherKey.publicKey]) throws -> AuditVerification {
        try temporary.store.read { try AuditVerification.run(in: $0, agency: boCongAn, keys: keys) }
    }

    @Test("an untouched log verifies: every entry chained to the head, the checkpoint signed", arguments: StoreBackend.tested)
    func untouched(backend: StoreBackend) throws {
        let temporary = try loggedStore(backend)
        let result = try verification(temporary)
        #expect(result.problem == nil)
        #expect(result.chained == 6 && result.checkpoints == 1 && result.head?.seq == 6)
        // Each entry holds the hash of the one before; the first starts from zeros.
        let entries = try temporary.store.read { snapshot in
            var all: [AuditEntry] = []
            try snapshot.forEachAuditEntry { all.append($0) }
            return all
        }
        #expect(entries.first?.previous == AuditEntry.genesis)
        #expect(zip(entries, entries.dropFirst()).allSatisfy { $0.sha256 == $1.previous })
        #expect(entries.allSatisfy { $0.recomputedSHA256 == $0.sha256 })
    }

    /// A change made to the database from outside lienthong, and the start of what `audit verify` must say.
    struct Tampering: Sendable, CustomTestStringConvertible {
        let name: String
        let sql: String
        let problem: String
        var testDescription: String { name }
    }

    static let tamperings = [
        Tampering(
            name: "a detail altered", sql: "UPDATE audit_log SET detail = replace(detail, '\"last\":3', '\"last\":9') WHERE seq = 3",
            problem: "entry 3 was altered"
        ),
        Tampering(name: "a peer altered", sql: "UPDATE audit_log SET peer = 'so-tu-phap' WHERE seq = 5", problem: "entry 5 was altered"),
        Tampering(name: "a time altered", sql: "UPDATE audit_log SET at = at + 1 WHERE seq = 1", problem: "entry 1 was altered"),
        Tampering(name: "an entry deleted", sql: "DELETE FROM audit_log WHERE seq = 3", problem: "entry 3 is missing: entry 4 does not follow entry 2"),
        Tampering(name: "two entries deleted", sql: "DELETE FROM audit_log WHERE seq IN (2, 3)", problem: "entries 2 to 3 are missing"),
        Tampering(name: "the newest deleted", sql: "DELETE FROM audit_log WHERE seq = 6", problem: "the newest entries are missing"),
        Tampering(name: "the first deleted", sql: "DELETE FROM audit_log WHERE seq = 1", problem: "entry 2 is the first kept"),
        Tampering(
            name: "the chain columns emptied", sql: "UPDATE audit_log SET sha256 = NULL, prev_sha256 = NULL WHERE seq = 4",
            problem: "entry 4 has no hash"
        ),
        Tampering(
            name: "the checkpoint replaced", sql: "UPDATE audit_checkpoint SET jws = 'e30.e30.AA'",
            problem: "the checkpoint of entry 4 is not signed by this agency's key"
        ),
    ]

    @Test("a change to the log made in the database is found, and named", arguments: StoreBackend.tested, Self.tamperings)
    func tampered(backend: StoreBackend, tampering: Tampering) throws {
        let temporary = try loggedStore(backend)
        try temporary.execute(sqlite: tampering.sql, postgres: tampering.sql)
        let problem = try #require(try verification(temporary).problem?.description)
        #expect(problem.hasPrefix(tampering.problem), "\(problem)")
    }

    @Test("a chain rewritten in full after an entry was altered still breaks the signed checkpoint", arguments: StoreBackend.tested)
    func rewritten(backend: StoreBackend) throws {
        let temporary = try loggedStore(backend)
        // Whoever can write the database can recompute every hash after altering entry 2; only the agency's key
        // could sign a new checkpoint for entry 4.
        let entries = try temporary.store.read { snapshot in
            var all: [AuditEntry] = []
            try snapshot.forEachAuditEntry { all.append($0) }
            return all
        }
        var previous = AuditEntry.genesis
        for entry in entries {
            let detail = entry.seq == 2 ? entry.detail.replacingOccurrences(of: "\"last\":2", with: "\"last\":7") : entry.detail
            let forged = AuditEntry(
                seq: entry.seq, at: entry.at, event: entry.event, peer: entry.peer, dataset: entry.dataset, detail: detail, previous: previous,
                sha256: nil
            )
            let hash = try Digest.sha256Hex(try #require(forged.canonicalBytes))
            let escapedDetail = detail.replacingOccurrences(of: "'", with: "''")
            let sql = "UPDATE audit_log SET detail = '\(escapedDetail)', prev_sha256 = '\(previous)', sha256 = '\(hash)' WHERE seq = \(entry.seq)"
            try temporary.execute(sqlite: sql, postgres: sql)
            previous = hash
        }
        let head = "UPDATE audit_head SET sha256 = '\(previous)'"
        try temporary.execute(sqlite: head, postgres: head)
        let problem = try #require(try verification(temporary).problem?.description)
        #expect(problem.hasPrefix("entry 4 differs from the checkpoint signed for it"), "\(problem)")
        // Signed with another key, the checkpoints themselves are refused.
        let untrusted = try verification(try loggedStore(backend), keys: [strangerKey.publicKey]).problem
        #expect(untrusted?.description.contains("not signed by this agency's key") == true)
    }

    @Test("pruning keeps the chain verifiable: the first entry kept is vouched for by a signed checkpoint", arguments: StoreBackend.tested)
    func pruned(backend: StoreBackend) throws {
        let temporary = try loggedStore(backend)
        // On day 9 with audit_days 5, entries of days 1 to 3 are older than the cut (day 4).
        let counts = try temporary.store.write(at: UnixTime(milliseconds: fixedNow.milliseconds + 9 * Self.day)) { transaction in
            try RetentionPurge.run(in: transaction, agency: boCongAn, signer: signer, retention: [:], pagesDays: 90, auditDays: 5, dryRun: false)
        }
        #expect(counts.audit == 3)
        #expect(try temporary.count("audit_log") == 4, "entries 4, 5, 6 and the purge's own")
        #expect(try verification(temporary).problem == nil)
        let purged = try temporary.store.read { try $0.auditEvents() }.last
        #expect(purged?.event == "purged" && purged?.detail.contains("\"audit\":3") == true)
        // Without the checkpoint of entry 3 nothing vouches for the first entry kept.
        let drop = "DELETE FROM audit_checkpoint WHERE seq = 3"
        try temporary.execute(sqlite: drop, postgres: drop)
        #expect(try verification(temporary).problem?.description.hasPrefix("entry 4 is the first kept") == true)
    }

    @Test("pruning never removes the newest entry, and a dry run removes nothing", arguments: StoreBackend.tested)
    func prunedKeepsHead(backend: StoreBackend) throws {
        let temporary = try loggedStore(backend)
        let later = UnixTime(milliseconds: fixedNow.milliseconds + 400 * Self.day)
        let dryRun = try temporary.store.write(at: later) { transaction in
            try RetentionPurge.run(in: transaction, agency: boCongAn, signer: signer, retention: [:], pagesDays: 90, auditDays: 1, dryRun: true)
        }
        #expect(dryRun.audit == 5)
        #expect(try temporary.count("audit_log") == 6)
        _ = try temporary.store.write(at: later) { transaction in
            try RetentionPurge.run(in: transaction, agency: boCongAn, signer: signer, retention: [:], pagesDays: 90, auditDays: 1, dryRun: false)
        }
        #expect(try temporary.store.read { try $0.auditEntry(seq: 6) } != nil)
        #expect(try verification(temporary).problem == nil)
    }

    @Test("an export verifies with independent code (Python's cryptography), and an altered line does not", arguments: [KeyType.ed25519, .p256])
    func exportVerifiedIndependently(keyType: KeyType) async throws {
        let temporary = try TemporaryStore()
        let key = try PrivateKey.generate(keyType)
        for index in 1...5 {
            try await temporary.store.write(at: UnixTime(milliseconds: fixedNow.milliseconds + Int64(index) * Self.day)) { transaction in
                try transaction.audit("page served", peer: boYTe, dataset: danCu, detail: .object([
                    "after": .integer(Int64(index)), "fields": .array([.string("họ_tên")]), "purpose": .string("xac-minh"),
                ]))
            }
        }
        let days = (fixedNow.milliseconds / Self.day + 2) * Self.day
        var lines: [UInt8] = []
        let count = try AuditExport.write(
            store: temporary.store, agency: boCongAn, signer: JWSSigner(key: key), from: "2026-09-23", to: "2026-09-25", start: days,
            end: days + 3 * Self.day, now: fixedNow
        ) { lines += $0 }
        #expect(count == 3)
        let exportURL = temporary.folder.appending(path: "export.jsonl")
        let keyURL = temporary.folder.appending(path: "key.pem")
        try Data(lines).write(to: exportURL)
        try Data(key.publicKey.pemText.utf8).write(to: keyURL)
        let accepted = try await Self.independentVerifier(exportURL, keyURL)
        #expect(accepted.status == 0, "\(accepted.output)")
        #expect(accepted.output.hasPrefix("ok: 3 entries from 2 to 4, signed by bo-cong-an"), "\(accepted.output)")

        var altered = String(decoding: lines, as: UTF8.self)
        altered = altered.replacingOccurrences(of: "\"after\":3", with: "\"after\":8")
        try Data(altered.utf8).write(to: exportURL)
        let refused = try await Self.independentVerifier(exportURL, keyURL)
        #expect(refused.status == 1, "\(refused.output)")
    }

    /// Runs tools/verify-audit-export (Python 3 and `cryptography`, nothing of lienthong's) on an export.
    static func independentVerifier(_ export: URL, _ key: URL) async throws -> (status: Int32, output: String) {
        let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "tools/verify-audit-export")
        let result = try await Subprocess.run(
            .path("/usr/bin/python3"), arguments: [tool.path, export.path, key.path], output: .string(limit: 65_536), error: .string(limit: 65_536)
        )
        let status: Int32 = if case .exited(let code) = result.terminationStatus { code } else { -1 }
        return (status, (result.standardOutput ?? "") + (result.standardError ?? ""))
    }

    @Test("startOfDay reads real dates only", arguments: [
        ("1970-01-01", Int64(0)), ("2026-12-06", Int64(1_796_515_200_000)), ("2024-02-29", Int64(1_709_164_800_000)),
        ("2023-02-29", nil), ("2026-13-01", nil), ("2026-1-01", nil), ("1969-12-31", nil), ("２026-01-01", nil), ("", nil),
    ] as [(String, Int64?)])
    func days(text: String, expected: Int64?) {
        #expect(AuditExport.startOfDay(text) == expected)
    }
}
