import GRDB
import LienThongCore
import LienThongMerge

/// How a record version is laid out in the `sibling`, `history` and `own_feed` tables.
enum VersionColumns {
    /// The columns a version occupies, in the order ``arguments(_:)`` gives them.
    static let names = "dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data"
    static let placeholders = "?, ?, ?, ?, ?, ?, ?, ?"

    static func arguments(_ version: RecordVersion) -> StatementArguments {
        [
            version.dataset.rawValue, version.id, version.origin.rawValue, version.hlc.milliseconds, version.hlc.counter,
            version.vv.json.serializedText, version.deleted, version.data.serializedText,
        ]
    }

    /// Reads a version back from a row holding the columns above.
    static func version(from row: Row) throws -> RecordVersion {
        let vv = try JSONValue(parsing: row["vv"] as String)
        var counters: [AgencyID: Int64] = [:]
        for (agency, count) in vv.objectValue ?? [:] {
            counters[try AgencyID(agency)] = count.int64Value ?? 0
        }
        return RecordVersion(
            dataset: try DatasetName(row["dataset"]),
            id: row["record_id"],
            origin: try AgencyID(row["origin"]),
            hlc: HybridTimestamp(milliseconds: row["hlc_ms"], counter: row["hlc_counter"]),
            vv: VersionVector(counters),
            deleted: row["deleted"],
            data: try JSONValue(parsing: row["data"] as String)
        )
    }
}

/// A version as stored, with who sent it (`local` for edits made here) and when.
struct StoredVersion: Equatable {
    let version: RecordVersion
    let source: String
    let receivedAt: Int64

    init(version: RecordVersion, source: String, receivedAt: Int64) {
        self.version = version
        self.source = source
        self.receivedAt = receivedAt
    }

    init(row: Row) throws {
        version = try VersionColumns.version(from: row)
        source = row["source"]
        receivedAt = row["received_at"]
    }

    /// A record's siblings with where each came from: the `sibling` rows during a conflict, else the record itself.
    static func siblings(in db: Database, dataset: DatasetName, id: String) throws -> [StoredVersion] {
        let inConflict = try Row.fetchAll(db.cachedStatement(sql: selectSiblings), arguments: [dataset.rawValue, id])
        let rows = try inConflict.isEmpty
            ? Row.fetchAll(db.cachedStatement(sql: selectRecordAsSibling), arguments: [dataset.rawValue, id]) : inConflict
        return try rows.map(StoredVersion.init(row:))
    }

    private static let selectSiblings =
        "SELECT \(VersionColumns.names), source, received_at FROM sibling WHERE dataset = ? AND record_id = ?"
    private static let selectRecordAsSibling = """
        SELECT dataset, id AS record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at
        FROM record WHERE dataset = ? AND id = ?
        """
}

