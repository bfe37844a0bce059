import GRDB
public import LienThongCore
public import LienThongMerge

/// Reads from one consistent snapshot of the store. It lives only inside ``Store/read(_:)``.
public struct StoreSnapshot {
    let db: Database

    /// The visible record of `(dataset, id)`, tombstones included, or nil if the store has none.
    public func visibleRecord(dataset: DatasetName, id: String) throws -> VisibleRecord? {
        try Row.fetchOne(db, sql: "\(VisibleRecord.select) WHERE r.dataset = ? AND r.id = ?", arguments: [dataset.rawValue, id])
            .map(VisibleRecord.init(row:))
    }

    /// Calls `body` with every visible record of `dataset`, tombstones included, in ascending order of id
    /// (by the bytes of the id), without holding them all in memory.
    public func forEachVisibleRecord(dataset: DatasetName, _ body: (VisibleRecord) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: "\(VisibleRecord.select) WHERE r.dataset = ? ORDER BY r.id", arguments: [dataset.rawValue])
        while let row = try rows.next() { try body(try VisibleRecord(row: row)) }
    }

    /// The siblings of `(dataset, id)` in canonical order, greatest `(hlc, origin)` first.
    public func siblings(dataset: DatasetName, id: String) throws -> [RecordVersion] {
        try StoredRecord.fetch(db, dataset: dataset, id: id).versions.rankedGreatestFirst()
    }

    /// The records with more than one sibling, by dataset and id; all datasets when `dataset` is nil.
    public func openConflicts(dataset: DatasetName?) throws -> [VisibleRecord] {
        let filter = dataset == nil ? "" : "AND r.dataset = ?"
        return try Row.fetchAll(
            db, sql: "\(VisibleRecord.select) WHERE r.sibling_count > 1 \(filter) ORDER BY r.dataset, r.id",
            arguments: StatementArguments(dataset.map { [$0.rawValue] } ?? [])
        ).map(VisibleRecord.init(row:))
    }

    /// How far `peer`'s feed of `dataset` has been applied here.
    public func cursor(peer: AgencyID, dataset: DatasetName) throws -> Cursor? {
        try Cursor.fetch(db, peer: peer, dataset: dataset)
    }

    /// What has been quarantined, oldest first.
    public func quarantined() throws -> [QuarantinedItem] {
        try QuarantineRecord.fetchAll(db, sql: """
            SELECT peer, dataset, record_id, reason, detail, raw, received_at, raw_sha256,
                COALESCE(raw_bytes, length(CAST(raw AS BLOB))) AS raw_bytes, times_seen FROM quarantine ORDER BY seq
            """).map(\.item)
    }

    /// Events in the audit log, oldest first.
    public func auditEvents() throws -> [AuditEvent] {
        try Row.fetchAll(db, sql: "SELECT at, event, peer, dataset, detail FROM audit_log ORDER BY seq").map { row in
            AuditEvent(at: row["at"], event: row["event"], peer: row["peer"], dataset: row["dataset"], detail: row["detail"])
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

    static let select = """
        SELECT r.dataset, r.id AS record_id, v.origin, v.hlc_ms, v.hlc_counter, v.vv, v.deleted, v.data, r.sibling_count, r.awaits_review
        FROM record r JOIN version v ON v.seq = r.visible
        """

    init(row: Row) throws {
        version = try VersionColumns.version(from: row)
        siblingCount = row[VersionColumns.count]
        awaitsReview = row[VersionColumns.count + 1]
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

    static func fetch(_ db: Database, peer: AgencyID, dataset: DatasetName) throws -> Cursor? {
        try CursorRecord.fetchOne(
            db.cachedStatement(sql: "SELECT position, head, updated_at FROM cursor WHERE peer = ? AND dataset = ?"),
            arguments: [peer.rawValue, dataset.rawValue]
        )?.cursor
    }
}

/// A row of `cursor`: the GRDB record behind ``Cursor``.
struct CursorRecord: FetchableRecord {
    enum Columns {
        static let position = Column("position")
        static let head = Column("head")
        static let updatedAt = Column("updated_at")
    }

    let cursor: Cursor

    init(row: Row) {
        cursor = Cursor(position: row[Columns.position], head: row[Columns.head], updatedAt: row[Columns.updatedAt])
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

/// A row of `quarantine`, with `raw_bytes` computed for rows kept before migration v4: the GRDB record
/// behind ``QuarantinedItem``.
struct QuarantineRecord: FetchableRecord {
    enum Columns {
        static let peer = Column("peer")
        static let dataset = Column("dataset")
        static let recordID = Column("record_id")
        static let reason = Column("reason")
        static let detail = Column("detail")
        static let raw = Column("raw")
        static let receivedAt = Column("received_at")
        static let rawSHA256 = Column("raw_sha256")
        static let rawBytes = Column("raw_bytes")
        static let timesSeen = Column("times_seen")
    }

    let item: QuarantinedItem

    init(row: Row) {
        item = QuarantinedItem(
            peer: row[Columns.peer], dataset: row[Columns.dataset], recordID: row[Columns.recordID], reason: row[Columns.reason],
            detail: row[Columns.detail], raw: row[Columns.raw], receivedAt: row[Columns.receivedAt], rawSHA256: row[Columns.rawSHA256],
            rawBytes: row[Columns.rawBytes], timesSeen: row[Columns.timesSeen]
        )
    }
}

/// One line of the audit log.
public struct AuditEvent: Sendable {
    public let at: Int64
    public let event: String
    public let peer: String?
    public let dataset: String?
    public let detail: String
}

extension StoreSnapshot {
    /// SQLite's `PRAGMA quick_check`: nothing when the file is sound, else what is wrong (at most ten lines).
    public func quickCheckProblems() throws -> [String] {
        try String.fetchAll(db, sql: "PRAGMA quick_check(10)").filter { $0 != "ok" }
    }
}
