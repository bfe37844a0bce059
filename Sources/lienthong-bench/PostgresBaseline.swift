public import ArgumentParser
import Foundation
import LienThongCore
import LienThongMerge
public import LienThongTestSupport
import Logging
import NIOPosix
import PostgresNIO

extension StoreBackend: ExpressibleByArgument {}

/// The physical limit on PostgreSQL: the rows a page's versions make — a version appended (reading the
/// record's siblings as it goes), the record row upserted, a change row — written by a plain postgres-nio
/// client as three batched statements (`INSERT … SELECT FROM unnest(…)`, `… ON CONFLICT DO UPDATE`) in one
/// transaction per page, in `database`; records per second from `measuredFrom` on.
func physicalPostgresUpsertRate(
    _ indexes: [Int], measuredFrom: Int = 0, publisher: AgencyID, dataset: DatasetName, transactionSize: Int, in database: PostgresLocation
) throws -> Double {
    var logger = Logger(label: "baseline")
    logger.logLevel = .critical
    let connection = try PostgresConnection.connect(
        on: MultiThreadedEventLoopGroup.singleton.any(),
        configuration: .init(host: database.host, port: database.port, username: database.user, password: nil, database: database.database, tls: .disable),
        id: 1, logger: logger
    ).wait()
    defer { try? connection.close().wait() }
    func run(_ sql: String, _ bindings: PostgresBindings = PostgresBindings()) throws {
        _ = try connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).wait()
    }
    for statement in [
        """
        CREATE TABLE version (seq BIGINT PRIMARY KEY, dataset TEXT COLLATE "C" NOT NULL, record_id TEXT COLLATE "C" NOT NULL,
            origin TEXT NOT NULL, hlc_ms BIGINT NOT NULL, hlc_counter BIGINT NOT NULL, vv TEXT NOT NULL, deleted BIGINT NOT NULL,
            data TEXT NOT NULL, source TEXT NOT NULL, received_at BIGINT NOT NULL, supersedes TEXT)
        """,
        """
        CREATE TABLE record (dataset TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL, visible BIGINT, siblings TEXT NOT NULL,
            authored TEXT NOT NULL, PRIMARY KEY (dataset, id))
        """,
        """
        CREATE TABLE change_log (change_seq BIGINT PRIMARY KEY, dataset TEXT COLLATE "C" NOT NULL, record_id TEXT COLLATE "C" NOT NULL,
            kind TEXT NOT NULL, changed_at BIGINT NOT NULL)
        """,
        "CREATE INDEX change_log_by_dataset ON change_log (dataset, change_seq)",
    ] {
        try run(statement)
    }
    let counters = versionCounters(indexes)
    var seconds = 0.0
    var seq: Int64 = 0
    for start in stride(from: 0, to: indexes.count, by: transactionSize) {
        let positions = Array(start..<min(indexes.count, start + transactionSize))
        let seqs = positions.map { _ in
            seq += 1
            return seq
        }
        let ids = positions.map { "cd-\(indexes[$0])" }
        let stamps = positions.map { 1_700_000_000_000 + Int64($0) }
        let vvs = positions.map { VersionVector([publisher: counters[$0]]).json.serializedText }
        // The last version of each record in the page is the one its row points at.
        var last: [String: Int] = [:]
        for (offset, id) in ids.enumerated() { last[id] = offset }
        let kept = last.values.sorted()
        let transactionSeconds = try timed {
            try run("BEGIN")
            var versions = PostgresBindings()
            versions.append(seqs)
            versions.append(ids)
            versions.append(stamps)
            versions.append(vvs)
            versions.append(positions.map { StoreBenchmark.data($0).serializedText })
            versions.append(dataset.rawValue)
            versions.append(publisher.rawValue)
            try run("""
                INSERT INTO version (seq, dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at, supersedes)
                SELECT t.seq, $6, t.id, $7, t.hlc, 0, t.vv, 0, t.data, $7, t.hlc,
                       (SELECT r.siblings FROM record r WHERE r.dataset = $6 AND r.id = t.id)
                FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[]) AS t (seq, id, hlc, vv, data)
                """, versions)
            var records = PostgresBindings()
            records.append(kept.map { ids[$0] })
            records.append(kept.map { seqs[$0] })
            records.append(kept.map { "[\(seqs[$0])]" })
            records.append(kept.map { vvs[$0] })
            records.append(dataset.rawValue)
            try run("""
                INSERT INTO record (dataset, id, visible, siblings, authored)
                SELECT $5, t.id, t.visible, t.siblings, t.authored FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) AS t (id, visible, siblings, authored)
                ON CONFLICT (dataset, id) DO UPDATE SET visible = excluded.visible, siblings = excluded.siblings, authored = excluded.authored
                """, records)
            var changes = PostgresBindings()
            changes.append(seqs)
            changes.append(ids)
            changes.append(stamps)
            changes.append(dataset.rawValue)
            try run("""
                INSERT INTO change_log (change_seq, dataset, record_id, kind, changed_at)
                SELECT t.seq, $4, t.id, 'updated', t.at FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS t (seq, id, at)
                """, changes)
            try run("COMMIT")
        }
        if start >= measuredFrom { seconds += transactionSeconds }
    }
    return Double(indexes.count - measuredFrom) / seconds
}
