import LienThongCore
import LienThongMerge
internal import Logging
internal import NIOCore
internal import PostgresNIO

/// The store's SQL on PostgreSQL, through one connection inside a transaction or snapshot.
///
/// The rows every version costs (`version`, `record`, `change_log`, `own_feed`) are kept in memory and
/// written in batches — one statement per table and batch, the rows bound as arrays — before any other
/// statement runs and at commit, so that applying a page costs a few round trips, not several per record.
/// Their numbers (`version.seq`, `change_log.change_seq`) are the next after the greatest stored, read once
/// per transaction: the write transaction holds the clock row's lock, so no other daemon writes meanwhile.
final class PostgresSession: StoreSession {
    private let connection: PostgresConnection
    private let logger: Logger
    private var versions = VersionBatch()
    private var records: [RecordKey: RecordRow] = [:]
    private var recordOrder: [RecordKey] = []
    private var changes = ChangeBatch()
    private var ownFeed = OwnFeedBatch()
    private var nextVersionSeq: Int64?
    private var nextChangeSeq: Int64?
    /// Records with a version or row kept but not yet written.
    private var pendingKeys: Set<RecordKey> = []
    /// How many rows of one table are kept before they are written.
    static let batchRows = 5000

    init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    // MARK: - Statements

    /// Runs one statement without parameters (`BEGIN`, a migration's).
    func simple(_ sql: String) throws {
        _ = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait()
    }

    @discardableResult
    func execute(_ statement: SQLStatement, _ arguments: [any SQLArgument]) throws -> Int {
        try flush()
        return try run(statement.postgres, Self.bindings(arguments)).metadata.rows ?? 0
    }

    func rows(_ statement: SQLStatement, _ arguments: [any SQLArgument]) throws -> [SQLRow] {
        try flush()
        return try run(statement.postgres, Self.bindings(arguments)).rows.map(Self.row)
    }

    private func run(_ sql: String, _ bindings: PostgresBindings) throws -> PostgresQueryResult {
        try connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).wait()
    }

    private static func bindings(_ arguments: [any SQLArgument]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument.sqlValue {
            case .null: bindings.appendNull()
            case .integer(let integer): bindings.append(integer)
            case .text(let text): bindings.append(storable(text))
            }
        }
        return bindings
    }

    /// PostgreSQL's text cannot hold U+0000; it is kept as U+FFFD (docs/STORE.md). Text from a peer may hold
    /// it: a refused page's first bytes, a string in a detail.
    private static func storable(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }

    private static func row(_ row: PostgresRow) -> SQLRow {
        SQLRow(values: row.map { cell -> SQLValue in
            guard cell.bytes != nil else { return .null }
            switch cell.dataType {
            case .int8, .int4, .int2: return (try? cell.decode(Int64.self)).map(SQLValue.integer) ?? .null
            case .bool: return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
            default: return (try? cell.decode(String.self)).map(SQLValue.text) ?? .null
            }
        })
    }

    // MARK: - Records

    func storedRecord(_ key: RecordKey) throws -> StoredRecord {
        if pendingKeys.contains(key) { try flush() }
        return try storedRecords([key])?[key] ?? .unknown
    }

    func storedRecords(_ keys: [RecordKey]) throws -> [RecordKey: StoredRecord]? {
        if keys.contains(where: pendingKeys.contains) { try flush() }
        var bindings = PostgresBindings()
        bindings.append(keys.map(\.dataset.rawValue))
        bindings.append(keys.map(\.id))
        // Each record with its visible version in one read; the other siblings of records in conflict in a second.
        var rows: [(key: RecordKey, siblings: String, authored: String, visible: Int64?, visibleVersion: StoredVersion?)] = []
        var seqs: [Int64] = []
        for row in try run(PostgresSQL.selectRecords, bindings).rows.map(Self.row) {
            let key = RecordKey(dataset: try DatasetName(row.text(0)), id: row.text(1))
            let visible = row.optionalInt64(4)
            let visibleVersion = row.isNull(5) ? nil : try StoredVersion(dataset: key.dataset, id: key.id, bodyOf: row, at: 5)
            rows.append((key, row.text(2), row.text(3), visible, visibleVersion))
            seqs += (StoredRecord.seqs(row.text(2)) ?? []).filter { $0 != visible || visibleVersion == nil }
        }
        var versions: [Int64: SQLRow] = [:]
        if !seqs.isEmpty {
            var versionBindings = PostgresBindings()
            versionBindings.append(seqs)
            for row in try run(PostgresSQL.selectVersions, versionBindings).rows.map(Self.row) { versions[row.int64(0)] = row }
        }
        var records: [RecordKey: StoredRecord] = [:]
        for row in rows {
            records[row.key] = try StoredRecord.assemble(
                row.key, siblingsText: row.siblings, authoredText: row.authored, visible: row.visible, visibleVersion: row.visibleVersion
            ) { seq in
                try versions[seq].map { try StoredVersion(dataset: row.key.dataset, id: row.key.id, bodyOf: $0, at: 1) }
            }
        }
        return records
    }

    func appendVersion(_ version: RecordVersion, source: String, receivedAt: Int64, supersedes: [Int64]) throws -> Int64 {
        if nextVersionSeq == nil { try readLastSeqs() }
        let seq = nextVersionSeq ?? 1
        nextVersionSeq = seq + 1
        versions.append(seq: seq, version, source: Self.storable(source), receivedAt: receivedAt, supersedes: supersedes)
        pendingKeys.insert(RecordKey(version))
        if versions.count >= Self.batchRows { try flush() }
        return seq
    }

    func saveRecord(_ row: RecordRow) throws {
        if records.updateValue(row, forKey: row.key) == nil { recordOrder.append(row.key) }
        pendingKeys.insert(row.key)
        if records.count >= Self.batchRows { try flush() }
    }

    func appendChange(_ key: RecordKey, kind: ChangeKind, at changedAt: Int64) throws {
        if nextChangeSeq == nil { try readLastSeqs() }
        let seq = nextChangeSeq ?? 1
        nextChangeSeq = seq + 1
        changes.append(seq: seq, key, kind: kind, at: changedAt)
        if changes.count >= Self.batchRows { try flush() }
    }

    /// The next numbers of `version` and `change_log`, read together once per transaction.
    private func readLastSeqs() throws {
        let row = try run(PostgresSQL.lastSeqs, PostgresBindings()).rows.first.map(Self.row)
        nextVersionSeq = (row?.int64(0) ?? 0) + 1
        nextChangeSeq = (row?.int64(1) ?? 0) + 1
    }

    func appendOwnFeed(seq: Int64, _ version: RecordVersion, schemaTag: Int64) throws {
        ownFeed.append(seq: seq, version, schemaTag: schemaTag)
        if ownFeed.count >= Self.batchRows { try flush() }
    }

    func announceOwnFeedCommit() throws {
        try execute(LiveFeedSQL.announceOwnFeedCommit)
    }

    func ownFeedHead(_ dataset: DatasetName) throws -> Int64 {
        try row(OwnFeedSQL.head, dataset.rawValue)?.int64(0) ?? 0
    }

    func ownFeedRecordTexts(
        dataset: DatasetName, after: Int64, limit: Int, maximumBytes: Int, fields: Set<String>?, admits: ((_ data: UnsafeBufferPointer<UInt8>, _ schemaTag: Int64) -> Bool)?
    ) throws -> OwnFeedRecordTexts {
        var result = OwnFeedRecordTexts()
        var from = after
        // Rows come back all at once here: read `limit` at a time, again past any that were left out.
        while true {
            let selected = try rows(OwnFeedSQL.selectTexts, dataset.rawValue, from, max(limit, 0))
            var iterator = selected.makeIterator()
            let wantsMore = try result.take(limit: limit, maximumBytes: maximumBytes, fields: fields, admits: admits) { iterator.next() }
            guard wantsMore, selected.count == limit, let lastRead = result.lastRead, lastRead > from else { return result }
            from = lastRead
        }
    }

    /// Writes the rows kept in memory, a statement per table.
    func flush() throws {
        if versions.count > 0 {
            _ = try run(PostgresSQL.insertVersions, versions.bindings)
            versions = VersionBatch()
        }
        if !records.isEmpty {
            var bindings = PostgresBindings()
            let rows = recordOrder.compactMap { records[$0] }
            bindings.append(rows.map(\.key.dataset.rawValue))
            bindings.append(rows.map(\.key.id))
            bindings.append(rows.map { $0.visible ?? 0 })
            bindings.append(rows.map(\.siblings))
            bindings.append(rows.map(\.siblingCount))
            bindings.append(rows.map { $0.awaitsReview ? Int64(1) : 0 })
            bindings.append(rows.map(\.authored))
            _ = try run(PostgresSQL.upsertRecords, bindings)
            records = [:]
            recordOrder = []
        }
        if changes.count > 0 {
            _ = try run(PostgresSQL.insertChanges, changes.bindings)
            changes = ChangeBatch()
        }
        if ownFeed.count > 0 {
            _ = try run(PostgresSQL.insertOwnFeed, ownFeed.bindings)
            ownFeed = OwnFeedBatch()
        }
        pendingKeys = []
    }
}

extension SQLRow: OwnFeedRow {
    func int64(_ column: OwnFeedColumn) -> Int64 { int64(column.rawValue) }

    func withText<Result>(_ column: OwnFeedColumn, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        var text = text(column.rawValue)
        return try text.withUTF8(body)
    }
}

/// Versions kept for one batched insert, column by column.
private struct VersionBatch {
    var seqs: [Int64] = []
    var datasets: [String] = []
    var ids: [String] = []
    var origins: [String] = []
    var hlcMilliseconds: [Int64] = []
    var hlcCounters: [Int64] = []
    var vvs: [String] = []
    var deleted: [Int64] = []
    var data: [String] = []
    var erasure: [Int64] = []
    var sources: [String] = []
    var receivedAt: [Int64] = []
    /// `[n,…]`, or empty for none (written as NULL).
    var supersedes: [String] = []

    var count: Int { seqs.count }

    mutating func append(seq: Int64, _ version: RecordVersion, source: String, receivedAt time: Int64, supersedes displaced: [Int64]) {
        seqs.append(seq)
        datasets.append(version.dataset.rawValue)
        ids.append(version.id)
        origins.append(version.origin.rawValue)
        hlcMilliseconds.append(version.hlc.milliseconds)
        hlcCounters.append(version.hlc.counter)
        vvs.append(version.vv.canonicalText)
        deleted.append(version.deleted ? 1 : 0)
        data.append(version.dataJSON)
        erasure.append(version.erasure ? 1 : 0)
        sources.append(source)
        receivedAt.append(time)
        supersedes.append(displaced.isEmpty ? "" : "[" + displaced.map { String($0) }.joined(separator: ",") + "]")
    }

    var bindings: PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(seqs)
        bindings.append(datasets)
        bindings.append(ids)
        bindings.append(origins)
        bindings.append(hlcMilliseconds)
        bindings.append(hlcCounters)
        bindings.append(vvs)
        bindings.append(deleted)
        bindings.append(data)
        bindings.append(erasure)
        bindings.append(sources)
        bindings.append(receivedAt)
        bindings.append(supersedes)
        return bindings
    }
}

/// Change-log rows kept for one batched insert.
private struct ChangeBatch {
    var seqs: [Int64] = []
    var datasets: [String] = []
    var ids: [String] = []
    var kinds: [String] = []
    var times: [Int64] = []

    var count: Int { seqs.count }

    mutating func append(seq: Int64, _ key: RecordKey, kind: ChangeKind, at time: Int64) {
        seqs.append(seq)
        datasets.append(key.dataset.rawValue)
        ids.append(key.id)
        kinds.append(kind.rawValue)
        times.append(time)
    }

    var bindings: PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(seqs)
        bindings.append(datasets)
        bindings.append(ids)
        bindings.append(kinds)
        bindings.append(times)
        return bindings
    }
}

/// Own-feed rows kept for one batched insert.
private struct OwnFeedBatch {
    var seqs: [Int64] = []
    var versions: [RecordVersion] = []
    var schemaTags: [Int64] = []

    var count: Int { seqs.count }

    mutating func append(seq: Int64, _ version: RecordVersion, schemaTag: Int64) {
        seqs.append(seq)
        versions.append(version)
        schemaTags.append(schemaTag)
    }

    var bindings: PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(seqs)
        bindings.append(versions.map(\.dataset.rawValue))
        bindings.append(versions.map(\.id))
        bindings.append(versions.map(\.origin.rawValue))
        bindings.append(versions.map(\.hlc.milliseconds))
        bindings.append(versions.map(\.hlc.counter))
        bindings.append(versions.map(\.vv.canonicalText))
        bindings.append(versions.map { $0.deleted ? Int64(1) : 0 })
        bindings.append(versions.map(\.dataJSON))
        bindings.append(versions.map { $0.erasure ? Int64(1) : 0 })
        bindings.append(schemaTags)
        return bindings
    }
}

/// The statements only PostgreSQL runs: reads and writes of many rows at once, their values bound as arrays.
enum PostgresSQL {
    static let selectRecords = """
        SELECT r.dataset, r.id, r.siblings, r.authored, r.visible, \(VersionColumns.body.split(separator: ", ").map { "v.\($0)" }.joined(separator: ", ")),
               v.source, v.received_at
        FROM unnest($1::text[], $2::text[]) AS k (dataset, id) JOIN record r ON r.dataset = k.dataset AND r.id = k.id
        LEFT JOIN version v ON v.seq = r.visible
        """
    static let selectVersions = "SELECT seq, \(VersionColumns.body), source, received_at FROM version WHERE seq = ANY($1::bigint[])"
    static let lastSeqs = "SELECT (SELECT COALESCE(MAX(seq), 0) FROM version), (SELECT COALESCE(MAX(change_seq), 0) FROM change_log)"
    static let insertVersions = """
        INSERT INTO version (seq, \(VersionColumns.names), source, received_at, supersedes)
        SELECT seq, dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, erasure, source, received_at, NULLIF(supersedes, '')
        FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::bigint[], $9::text[],
                    $10::bigint[], $11::text[], $12::bigint[], $13::text[])
            AS t (seq, dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, erasure, source, received_at, supersedes)
        """
    static let upsertRecords = """
        INSERT INTO record (dataset, id, visible, siblings, sibling_count, awaits_review, authored)
        SELECT dataset, id, NULLIF(visible, 0), siblings, sibling_count, awaits_review, authored
        FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::text[])
            AS t (dataset, id, visible, siblings, sibling_count, awaits_review, authored)
        ON CONFLICT (dataset, id) DO UPDATE SET
            visible = excluded.visible, siblings = excluded.siblings, sibling_count = excluded.sibling_count,
            awaits_review = excluded.awaits_review, authored = excluded.authored
        """
    static let insertChanges = """
        INSERT INTO change_log (change_seq, dataset, record_id, kind, changed_at)
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])
        """
    static let insertOwnFeed = """
        INSERT INTO own_feed (seq, \(VersionColumns.names), schema_tag)
        SELECT * FROM unnest(
            $1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::bigint[], $9::text[], $10::bigint[], $11::bigint[]
        )
        """
}

/// Brings a PostgreSQL store's schema up to date: the migrations not yet applied, in order, in one
/// transaction that holds the migration table's lock, so that daemons starting together migrate once.
enum PostgresMigrator {
    static func migrate(_ session: PostgresSession) throws {
        let createTable = "CREATE TABLE IF NOT EXISTS lienthong_migration (identifier TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        do {
            try session.simple(createTable)
        } catch {
            // Two daemons creating it at once: one of them fails on the catalog's unique index; the table exists now.
            try session.simple(createTable)
        }
        try session.simple("BEGIN")
        do {
            try session.simple("LOCK TABLE lienthong_migration IN EXCLUSIVE MODE")
            let applied = Set(try session.rows(SQLStatement("SELECT identifier FROM lienthong_migration")).map { $0.text(0) })
            for migration in PostgresSchema.migrations where !applied.contains(migration.identifier) {
                // One statement at a time: the extended protocol takes one per query.
                for statement in migration.sql.components(separatedBy: ";\n") where statement.contains(where: \.isLetter) {
                    try session.simple(statement)
                }
                try session.execute(SQLStatement("INSERT INTO lienthong_migration (identifier) VALUES (?)"), migration.identifier)
            }
            try session.simple("COMMIT")
        } catch {
            try? session.simple("ROLLBACK")
            throw error
        }
    }

    /// Throws unless every migration has been applied (a store read by a role that may not migrate it).
    static func checkUpToDate(_ session: PostgresSession) throws {
        let applied = Set(try session.rows(SQLStatement("SELECT identifier FROM lienthong_migration")).map { $0.text(0) })
        let missing = PostgresSchema.migrations.map(\.identifier).filter { !applied.contains($0) }
        guard missing.isEmpty else {
            throw StoreCorruption(detail: "it lacks migration \(missing.joined(separator: ", ")): start lienthong (daemon or sync) once to bring it up to date")
        }
    }
}
