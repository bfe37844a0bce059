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
            version.vv.canonicalText, version.deleted, version.dataJSON,
        ]
    }

    /// Reads a version back from a row holding the columns above, in their order, from column `offset` on.
    /// Columns are read by position: a name look-up per column costs more than the rest of the read.
    static func version(from row: Row, at offset: Int = 0) throws -> RecordVersion {
        var counters: [AgencyID: Int64] = [:]
        for (agency, count) in try JSONValue(parsing: row[offset + 5] as String).objectValue ?? [:] {
            counters[try AgencyID(agency)] = count.int64Value ?? 0
        }
        return RecordVersion(
            dataset: try DatasetName(row[offset]),
            id: row[offset + 1],
            origin: try AgencyID(row[offset + 2]),
            hlc: HybridTimestamp(milliseconds: row[offset + 3], counter: row[offset + 4]),
            vv: VersionVector(counters),
            deleted: row[offset + 6],
            canonicalData: row[offset + 7]
        )
    }

    /// How many columns ``names`` holds.
    static let count = 8
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

    /// Reads a row holding ``VersionColumns/names``, `source` and `received_at`, in that order, from column
    /// `offset` on.
    init(row: Row, at offset: Int = 0) throws {
        version = try VersionColumns.version(from: row, at: offset)
        source = row[offset + VersionColumns.count]
        receivedAt = row[offset + VersionColumns.count + 1]
    }

}

/// A sibling as the store keeps it: a row of `version`, which the record's row points at.
struct Sibling: Equatable {
    /// The version's row in `version`.
    let seq: Int64
    let stored: StoredVersion

    var version: RecordVersion { stored.version }
}

/// A record as the store keeps it: the versions its `record` row points at, and per origin the greatest
/// `vv[origin]` of the versions that origin authored, received or made here (what claims are checked against).
/// A record known only through versions held for their claims has counters and no sibling.
struct StoredRecord {
    var siblings: [Sibling]
    var authored: [AgencyID: Int64]

    static let unknown = StoredRecord(siblings: [], authored: [:])

    var versions: [RecordVersion] { siblings.map(\.version) }

    /// Records that `version`'s origin has made `vv[origin]` edits, and says whether that is more than was known.
    mutating func noteAuthored(_ version: RecordVersion) -> Bool {
        let count = version.vv[version.origin]
        guard count > authored[version.origin, default: 0] else { return false }
        authored[version.origin] = count
        return true
    }

    /// The record `(dataset, id)` as stored, or ``unknown``.
    static func fetch(_ db: Database, dataset: DatasetName, id: String) throws -> StoredRecord {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: selectRecord), arguments: [dataset.rawValue, id]) else { return .unknown }
        var authored: [AgencyID: Int64] = [:]
        for (agency, count) in try JSONValue(parsing: row["authored"] as String).objectValue ?? [:] {
            authored[try AgencyID(agency)] = count.int64Value ?? 0
        }
        var siblings: [Sibling] = []
        for seq in try JSONValue(parsing: row["siblings"] as String).arrayValue ?? [] {
            guard let seq = seq.int64Value,
                let version = try Row.fetchOne(db.cachedStatement(sql: selectVersion), arguments: [seq])
            else {
                throw StoreError(
                    .read, doing: "read \(dataset) \(id.debugDescription)",
                    underlying: StoreCorruption(detail: "its row points at version \(seq), which is not stored")
                )
            }
            siblings.append(Sibling(seq: seq, stored: try StoredVersion(row: version)))
        }
        return StoredRecord(siblings: siblings, authored: authored)
    }

    private static let selectRecord = "SELECT siblings, authored FROM record WHERE dataset = ? AND id = ?"
    private static let selectVersion = "SELECT \(VersionColumns.names), source, received_at FROM version WHERE seq = ?"
}

/// The store's rows contradict one another: something other than lienthong wrote to it.
public struct StoreCorruption: Error, CustomStringConvertible {
    public let detail: String
    public var description: String { "the store is inconsistent: \(detail)" }
}
