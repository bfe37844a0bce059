import LienThongCore
import LienThongMerge

/// How a record version is laid out in the `version`, `held_version` and `own_feed` tables.
enum VersionColumns {
    /// The columns a version occupies, in the order ``arguments(_:)`` gives them.
    static let names = "dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, erasure"
    static let placeholders = "?, ?, ?, ?, ?, ?, ?, ?, ?"

    static func arguments(_ version: RecordVersion) -> [any SQLArgument] {
        [
            version.dataset.rawValue, version.id, version.origin.rawValue, version.hlc.milliseconds, version.hlc.counter,
            version.vv.canonicalText, version.deleted, version.dataJSON, version.erasure,
        ]
    }

    /// The columns of a version without its dataset and record id, in the order ``version(dataset:id:from:at:)`` reads.
    static let body = "origin, hlc_ms, hlc_counter, vv, deleted, data, erasure"

    /// Reads a version back from a row holding the columns of ``names``, in their order, from column `offset` on.
    /// Columns are read by position: a name look-up per column costs more than the rest of the read.
    static func version(from row: SQLRow, at offset: Int = 0) throws -> RecordVersion {
        try version(dataset: try DatasetName(row.text(offset)), id: row.text(offset + 1), from: row, at: offset + 2)
    }

    /// Reads a version of `(dataset, id)` back from a row holding the columns of ``body`` from column `offset` on.
    static func version(dataset: DatasetName, id: String, from row: SQLRow, at offset: Int) throws -> RecordVersion {
        guard let counters = VersionVector.counters(canonicalText: row.text(offset + 3)) else {
            throw StoreError(.read, doing: LocalizedMessage("store.doing.read-record", ["dataset": "\(dataset)", "id": id.debugDescription]), underlying: StoreCorruption(detail: "a version's vv is not an object of counters"))
        }
        return RecordVersion(
            dataset: dataset, id: id, origin: try AgencyID(row.text(offset)),
            hlc: HybridTimestamp(milliseconds: row.int64(offset + 1), counter: row.int64(offset + 2)),
            vv: VersionVector(counters), deleted: row.bool(offset + 4), erasure: row.bool(offset + 6), canonicalData: row.text(offset + 5)
        )
    }

    /// How many columns ``names`` holds.
    static let count = 9
    /// How many columns ``body`` holds.
    static let bodyCount = 7
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
    init(row: SQLRow, at offset: Int = 0) throws {
        version = try VersionColumns.version(from: row, at: offset)
        source = row.text(offset + VersionColumns.count)
        receivedAt = row.int64(offset + VersionColumns.count + 1)
    }

    /// The version of `(dataset, id)` in `row`'s columns ``VersionColumns/body``, `source`, `received_at`
    /// from `offset` on.
    init(dataset: DatasetName, id: String, bodyOf row: SQLRow, at offset: Int) throws {
        version = try VersionColumns.version(dataset: dataset, id: id, from: row, at: offset)
        source = row.text(offset + VersionColumns.bodyCount)
        receivedAt = row.int64(offset + VersionColumns.bodyCount + 1)
    }

    /// Reads a version of `(dataset, id)` from the current row of `statement`, holding ``VersionColumns/body``,
    /// `source` and `received_at`, in that order, from column `offset` on.
    init(dataset: DatasetName, id: String, columnsOf statement: RawStatement, at offset: Int32) throws {
        guard let counters = VersionVector.counters(canonicalText: statement.text(offset + 3)) else {
            throw StoreError(.read, doing: LocalizedMessage("store.doing.read-record", ["dataset": "\(dataset)", "id": id.debugDescription]), underlying: StoreCorruption(detail: "a version's vv is not an object of counters"))
        }
        version = RecordVersion(
            dataset: dataset, id: id, origin: try AgencyID(statement.text(offset)),
            hlc: HybridTimestamp(milliseconds: statement.int64(offset + 1), counter: statement.int64(offset + 2)),
            vv: VersionVector(counters), deleted: statement.bool(offset + 4), erasure: statement.bool(offset + 6),
            canonicalData: statement.text(offset + 5)
        )
        source = statement.text(offset + Int32(VersionColumns.bodyCount))
        receivedAt = statement.int64(offset + Int32(VersionColumns.bodyCount) + 1)
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
    /// What `visible_records` shows of the record as its row stands: the visible version and whether the record
    /// is in conflict; nil while it shows nothing. A save that changes it logs a change.
    var shown: ShownState?

    static let unknown = StoredRecord(siblings: [], authored: [:], shown: nil)

    var versions: [RecordVersion] { siblings.map(\.version) }

    /// Records that `version`'s origin has made `vv[origin]` edits, and says whether that is more than was known.
    mutating func noteAuthored(_ version: RecordVersion) -> Bool {
        let count = version.vv[version.origin]
        guard count > authored[version.origin, default: 0] else { return false }
        authored[version.origin] = count
        return true
    }

    /// The record `key` from its row's `siblings`, `authored` and `visible` columns, its visible version when the
    /// row's read brought it, and each other sibling from `version` (nil: not stored).
    static func assemble(
        _ key: RecordKey, siblingsText: String, authoredText: String, visible: Int64?, visibleVersion: StoredVersion?,
        version: (Int64) throws -> StoredVersion?
    ) throws -> StoredRecord {
        func corrupt(_ detail: String) -> StoreError {
            StoreError(.read, doing: LocalizedMessage("store.doing.read-record", ["dataset": "\(key.dataset)", "id": key.id.debugDescription]), underlying: StoreCorruption(detail: detail))
        }
        guard let authored = VersionVector.counters(canonicalText: authoredText) else { throw corrupt("its counters are not an object of counters") }
        guard let seqs = Self.seqs(siblingsText) else { throw corrupt("its siblings are not an array of version numbers") }
        let siblings = try seqs.map { seq in
            if seq == visible, let visibleVersion { return Sibling(seq: seq, stored: visibleVersion) }
            guard let stored = try version(seq) else { throw corrupt("its row points at version \(seq), which is not stored") }
            return Sibling(seq: seq, stored: stored)
        }
        return StoredRecord(siblings: siblings, authored: authored, shown: visible.map { ShownState(visible: $0, inConflict: seqs.count > 1) })
    }

    /// The version numbers of a `siblings` column, `[n,…]`, or nil when it is not such an array.
    static func seqs(_ text: String) -> [Int64]? {
        var bytes = text.utf8[...]
        guard bytes.popFirst() == UInt8(ascii: "["), bytes.popLast() == UInt8(ascii: "]") else { return nil }
        if bytes.isEmpty { return [] }
        var seqs: [Int64] = []
        for part in bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            guard let seq = Int64(Substring(part)) else { return nil }
            seqs.append(seq)
        }
        return seqs
    }

    /// The `siblings` column for `siblings`.
    static func seqsText(_ siblings: [Sibling]) -> String {
        "[" + siblings.map { String($0.seq) }.joined(separator: ",") + "]"
    }

    /// The record row and its visible version, in one read.
    static let selectRecord = SQLStatement("""
        SELECT r.siblings, r.authored, r.visible, v.\(VersionColumns.body.replacingOccurrences(of: ", ", with: ", v.")), v.source, v.received_at
        FROM record r LEFT JOIN version v ON v.seq = r.visible WHERE r.dataset = ? AND r.id = ?
        """)
    /// A version by its number.
    static let selectVersion = SQLStatement("SELECT \(VersionColumns.body), source, received_at FROM version WHERE seq = ?")
}

/// What `visible_records` shows of one record: which version, and whether the record is in conflict.
struct ShownState: Equatable {
    let visible: Int64
    let inConflict: Bool
}

/// The store's rows contradict one another: something other than lienthong wrote to it.
public struct StoreCorruption: Error, CustomStringConvertible {
    public let detail: String
    public var description: String { "the store is inconsistent: \(detail)" }
}
