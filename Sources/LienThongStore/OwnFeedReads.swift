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
        // Columns read with SQLite's own functions: making rows of them costs more than building the text.
        let select = try RawStatement(db, "SELECT seq, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data FROM own_feed WHERE dataset = ? AND seq > ? ORDER BY seq LIMIT ?")
        defer { select.reset() }
        select.bind(1, dataset.rawValue)
        select.bind(2, after)
        select.bind(3, Int64(max(limit, 0)))
        var result: [(seq: Int64, json: [UInt8])] = []
        var bytes = 0
        while try select.step() {
            let seq = select.int64(0)
            // Members in byte order, as the canonical serializer writes them; `origin` is an agency id (plain ASCII).
            var json: [UInt8] = []
            json.reserveCapacity(select.withText(7) { $0.count } + select.withText(5) { $0.count } + 160)
            json += #"{"data":"#.utf8
            if let fields {
                // The store wrote `data` compact: it is cut as text. Text of another layout is parsed, as a last resort.
                json += try select.withText(7) { data in
                    try JSONValue.compactObject(data, keeping: fields.contains)
                        ?? JSONValue.object((JSONValue(parsing: Array(data)).objectValue ?? [:]).filter { fields.contains($0.key) }).serialized()
                }
            } else {
                select.appendText(7, to: &json)
            }
            // Written as bytes: interpolating strings here costs more than reading the row.
            json += #","deleted":"#.utf8
            json += (select.bool(6) ? "true" : "false").utf8
            json += #","hlc":["#.utf8
            JSONValue.appendDecimal(select.int64(3), to: &json)
            json.append(UInt8(ascii: ","))
            JSONValue.appendDecimal(select.int64(4), to: &json)
            json += #"],"id":"#.utf8
            select.withText(1) { JSONValue.appendString(utf8: $0, to: &json) }
            json += #","origin":""#.utf8
            select.appendText(2, to: &json)
            json += #"","seq":"#.utf8
            JSONValue.appendDecimal(seq, to: &json)
            json += #","vv":"#.utf8
            select.appendText(5, to: &json)
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
