public import LienThongCore
public import LienThongMerge

/// Reads from one consistent snapshot of the store. It lives only inside ``Store/read(_:)``.
public struct StoreSnapshot {
    let session: any StoreSession

    /// The visible record of `(dataset, id)`, tombstones included, or nil if the store has none.
    public func visibleRecord(dataset: DatasetName, id: String) throws -> VisibleRecord? {
        try session.row(SnapshotSQL.visibleRecord, dataset.rawValue, id).map(VisibleRecord.init(row:))
    }

    /// Calls `body` with every visible record of `dataset`, tombstones included, in ascending order of id
    /// (by the bytes of the id), without holding them all in memory.
    public func forEachVisibleRecord(dataset: DatasetName, _ body: (VisibleRecord) throws -> Void) throws {
        // Read a batch at a time, after the last id of the one before.
        var after: String?
        repeat {
            let rows = try after.map { try session.rows(SnapshotSQL.visibleRecordsAfter, dataset.rawValue, $0, SnapshotSQL.batch) }
                ?? session.rows(SnapshotSQL.visibleRecordsFirst, dataset.rawValue, SnapshotSQL.batch)
            for row in rows { try body(try VisibleRecord(row: row)) }
            after = rows.count == SnapshotSQL.batch ? rows.last?.text(1) : nil
        } while after != nil
    }

    /// The siblings of `(dataset, id)` in canonical order, greatest `(hlc, origin)` first.
    public func siblings(dataset: DatasetName, id: String) throws -> [RecordVersion] {
        try session.storedRecord(RecordKey(dataset: dataset, id: id)).versions.rankedGreatestFirst()
    }

    /// The records with more than one sibling, by dataset and id; all datasets when `dataset` is nil.
    public func openConflicts(dataset: DatasetName?) throws -> [VisibleRecord] {
        try (dataset.map { try session.rows(SnapshotSQL.openConflictsOfDataset, $0.rawValue) } ?? session.rows(SnapshotSQL.openConflicts))
            .map(VisibleRecord.init(row:))
    }

    /// How far `peer`'s feed of `dataset` has been applied here.
    public func cursor(peer: AgencyID, dataset: DatasetName) throws -> Cursor? {
        try Cursor.fetch(session, peer: peer, dataset: dataset)
    }

    /// What has been quarantined, oldest first.
    public func quarantined() throws -> [QuarantinedItem] {
        try session.rows(SnapshotSQL.quarantined).map { row in
            QuarantinedItem(
                peer: row.text(0), dataset: row.optionalText(1), recordID: row.optionalText(2), reason: row.text(3), detail: row.text(4),
                raw: row.text(5), receivedAt: row.int64(6), rawSHA256: row.optionalText(7), rawBytes: row.int64(8), timesSeen: row.int64(9)
            )
        }
    }

    /// Events in the audit log, oldest first.
    public func auditEvents() throws -> [AuditEvent] {
        try session.rows(SnapshotSQL.auditEvents).map { row in
            AuditEvent(at: row.int64(0), event: row.text(1), peer: row.optionalText(2), dataset: row.optionalText(3), detail: row.text(4))
        }
    }
}

/// The record other programs see for one `(dataset, id)`, with the state of its conflict.
public struct VisibleRecord: Sendable {
    public let version: RecordVersion
    /// How many siblings it has; more than one is an open conflict.
    public let siblingCount: Int
    /// Whether a person must resolve its conflict (the `manual` policy).
    public let awaitsReview: Bool

    public var isConflict: Bool { siblingCount > 1 }

    /// The columns ``init(row:)`` reads, in order.
    static let select = """
        SELECT r.dataset, r.id AS record_id, v.origin, v.hlc_ms, v.hlc_counter, v.vv, v.deleted, v.data, v.erasure, r.sibling_count, r.awaits_review
        FROM record r JOIN version v ON v.seq = r.visible
        """

    init(row: SQLRow) throws {
        version = try VersionColumns.version(from: row)
        siblingCount = Int(row.int64(VersionColumns.count))
        awaitsReview = row.bool(VersionColumns.count + 1)
    }

    /// The export form: exactly `id, data, deleted, origin, hlc, vv, conflict, siblings`.
    public var exportJSON: JSONValue {
        .object([
            "id": .string(version.id), "data": version.data, "deleted": .bool(version.deleted), "origin": .string(version.origin.rawValue),
            "hlc": version.hlc.json, "vv": version.vv.json, "conflict": .bool(isConflict), "siblings": .integer(siblingCount),
        ])
    }
}

/// How far one peer's feed of one dataset has been applied.
public struct Cursor: Sendable, Equatable {
    /// The `seq` of the last record applied from that feed.
    public let position: Int64
    /// The publisher's highest `seq` when it was last heard from.
    public let head: Int64
    /// When the cursor last moved, in milliseconds since the Unix epoch.
    public let updatedAt: Int64
    /// The ETag of the page that left the cursor here, sent as `If-None-Match` with the next request.
    public var entityTag: String? = nil

    static func fetch(_ session: any StoreSession, peer: AgencyID, dataset: DatasetName) throws -> Cursor? {
        try session.row(SnapshotSQL.cursor, peer.rawValue, dataset.rawValue).map { row in
            Cursor(position: row.int64(0), head: row.int64(1), updatedAt: row.int64(2), entityTag: row.optionalText(3))
        }
    }
}

/// Something refused from a peer, kept as it came.
public struct QuarantinedItem: Sendable {
    public let peer: String
    public let dataset: String?
    public let recordID: String?
    public let reason: String
    public let detail: String
    /// What was kept of it: a record whole; of a page the first 64 KiB (see ``rawBytes`` and ``rawSHA256``).
    public let raw: String
    public let receivedAt: Int64
    /// The SHA-256 of a refused page's whole body (hex); nil for records and pages kept before migration v4.
    public let rawSHA256: String?
    /// The size of what was refused, in bytes, whole.
    public let rawBytes: Int64
    /// How many times the same page was refused; 1 for records.
    public let timesSeen: Int64
}

/// One line of the audit log.
public struct AuditEvent: Sendable {
    public let at: Int64
    public let event: String
    public let peer: String?
    public let dataset: String?
    public let detail: String
}

/// The statements of snapshots.
enum SnapshotSQL {
    /// How many rows a read that may return many fetches at a time.
    static let batch = 1000
    static let visibleRecord = SQLStatement("\(VisibleRecord.select) WHERE r.dataset = ? AND r.id = ?")
    static let visibleRecordsFirst = SQLStatement("\(VisibleRecord.select) WHERE r.dataset = ? ORDER BY r.id LIMIT ?")
    static let visibleRecordsAfter = SQLStatement("\(VisibleRecord.select) WHERE r.dataset = ? AND r.id > ? ORDER BY r.id LIMIT ?")
    static let openConflicts = SQLStatement("\(VisibleRecord.select) WHERE r.sibling_count > 1 ORDER BY r.dataset, r.id")
    static let openConflictsOfDataset = SQLStatement("\(VisibleRecord.select) WHERE r.sibling_count > 1 AND r.dataset = ? ORDER BY r.id")
    static let cursor = SQLStatement("SELECT position, head, updated_at, entity_tag FROM cursor WHERE peer = ? AND dataset = ?")
    static let quarantined = SQLStatement(
        sqlite: """
            SELECT peer, dataset, record_id, reason, detail, raw, received_at, raw_sha256,
                COALESCE(raw_bytes, length(CAST(raw AS BLOB))) AS raw_bytes, times_seen FROM quarantine ORDER BY seq
            """,
        postgres: """
            SELECT peer, dataset, record_id, reason, detail, raw, received_at, raw_sha256,
                COALESCE(raw_bytes, octet_length(raw)) AS raw_bytes, times_seen FROM quarantine ORDER BY seq
            """
    )
    static let auditEvents = SQLStatement("SELECT at, event, peer, dataset, detail FROM audit_log ORDER BY seq")
    static let quickCheck = SQLStatement(sqlite: "PRAGMA quick_check(10)", postgres: "SELECT 'ok'")
}

extension StoreSnapshot {
    /// SQLite's `PRAGMA quick_check`: nothing when the file is sound, else what is wrong (at most ten lines).
    /// PostgreSQL checks its own pages as it reads them: nothing.
    public func quickCheckProblems() throws -> [String] {
        try session.rows(SnapshotSQL.quickCheck).map { $0.text(0) }.filter { $0 != "ok" }
    }
}

extension StoreSnapshot {
    /// For tests: runs `sql`, written in the backend's own dialect and without parameters, and returns each
    /// row's columns as text (integers in decimal, booleans 0 or 1), nil for NULL.
    @_spi(Testing) public func rawRows(_ sql: String) throws -> [[String?]] {
        try session.rawRows(sql)
    }
}

extension StoreTransaction {
    /// For tests: ``StoreSnapshot/rawRows(_:)`` on the writer's connection, inside this transaction.
    @_spi(Testing) public func rawRows(_ sql: String) throws -> [[String?]] {
        try session.rawRows(sql)
    }
}

extension StoreSession {
    func rawRows(_ sql: String) throws -> [[String?]] {
        try rows(SQLStatement(sqlite: sql, postgres: sql), []).map { row in
            row.values.map { value in
                switch value {
                case .null: nil
                case .integer(let integer): String(integer)
                case .text(let text): text
                }
            }
        }
    }
}
