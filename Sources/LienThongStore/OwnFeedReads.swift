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
        while let row = try rows.next() { result.append((row[0], try VersionColumns.version(from: row, at: 1))) }
        return result
    }

    /// Like ``ownFeed(dataset:after:limit:)``, but each version as the UTF-8 of its feed-record JSON object
    /// (`seq`, `id`, `origin`, `hlc`, `vv`, `deleted`, `data`), put together from the stored canonical text
    /// without parsing it: what a publisher sends. With `fields`, `data` keeps only those members, cut from
    /// the stored text as it is read (a peer granted some fields).
    ///
    /// Reading stops before the record that would take the texts, with a comma between two, past
    /// `maximumBytes`; the first record is returned whatever its size, so
    /// that a page is never empty while records remain.
    public func ownFeedRecordTexts(
        dataset: DatasetName, after: Int64, limit: Int, maximumBytes: Int = .max, fields: Set<String>? = nil
    ) throws -> [(seq: Int64, json: [UInt8])] {
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT seq, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data FROM own_feed WHERE dataset = ? AND seq > ? ORDER BY seq LIMIT ?"),
            arguments: [dataset.rawValue, after, max(limit, 0)]
        )
        var result: [(seq: Int64, json: [UInt8])] = []
        var bytes = 0
        while let row = try rows.next() {
            // Columns by position: a look-up by name costs more than building the text.
            let seq: Int64 = row[0]
            let hlcMilliseconds: Int64 = row[3]
            let hlcCounter: Int64 = row[4]
            let deleted: Bool = row[6]
            let data: String = row[7]
            let vv: String = row[5]
            let origin: String = row[2]
            // Members in byte order, as the canonical serializer writes them; `origin` is an agency id (plain ASCII).
            var json: [UInt8] = []
            json.reserveCapacity(data.utf8.count + vv.utf8.count + 128)
            json += #"{"data":"#.utf8
            if let fields {
                // The store wrote `data` compact: it is cut as text. Text of another layout is parsed, as a last resort.
                json += try JSONValue.compactObject(data.utf8, keeping: fields.contains)
                    ?? JSONValue.object((JSONValue(parsing: data).objectValue ?? [:]).filter { fields.contains($0.key) }).serialized()
            } else {
                json += data.utf8
            }
            json += #","deleted":\#(deleted),"hlc":[\#(hlcMilliseconds),\#(hlcCounter)],"id":"#.utf8
            json += JSONValue.string(row[1]).serialized()
            json += #","origin":"\#(origin)","seq":\#(seq),"vv":"#.utf8
            json += vv.utf8
            json.append(UInt8(ascii: "}"))
            bytes += json.count + (result.isEmpty ? 0 : 1)
            if bytes > maximumBytes, !result.isEmpty { break }
            result.append((seq, json))
        }
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
