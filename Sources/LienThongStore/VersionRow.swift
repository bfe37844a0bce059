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
