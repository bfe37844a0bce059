import GRDB
public import LienThongCore
public import LienThongMerge

extension StoreSnapshot {
    /// The highest `seq` of this agency's own feed of `dataset`: how many versions it authored there (0: none).
    public func ownFeedHead(dataset: DatasetName) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(seq), 0) FROM own_feed WHERE dataset = ?"), arguments: [dataset.rawValue])
            ?? 0
    }

    /// The versions of this agency's own feed of `dataset` with `seq` above `after`, in ascending `seq`,
    /// at most `limit` of them.
    public func ownFeed(dataset: DatasetName, after: Int64, limit: Int) throws -> [(seq: Int64, version: RecordVersion)] {
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT seq, \(VersionColumns.names) FROM own_feed WHERE dataset = ? AND seq > ? ORDER BY seq LIMIT ?"),
            arguments: [dataset.rawValue, after, max(limit, 0)]
        )
        var result: [(seq: Int64, version: RecordVersion)] = []
        while let row = try rows.next() { result.append((row["seq"], try VersionColumns.version(from: row))) }
        return result
    }

    /// How many records are in open conflict (more than one sibling), per dataset; datasets with none are absent.
    public func openConflictCounts() throws -> [DatasetName: Int] {
        var counts: [DatasetName: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT dataset, COUNT(*) AS open FROM record WHERE sibling_count > 1 GROUP BY dataset") {
            counts[try DatasetName(row["dataset"])] = row["open"]
        }
        return counts
    }
}
