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
    /// without parsing it, and the objects joined by commas in one buffer: what a publisher sends. With
    /// `fields`, `data` keeps only those members, cut from the stored text as it is read (a peer granted some
    /// fields).
    ///
    /// Reading stops before the record that would take the joined text past `maximumBytes`; the first record
    /// is returned whatever its size, so that a page is never empty while records remain.
    public func ownFeedRecordTexts(
        dataset: DatasetName, after: Int64, limit: Int, maximumBytes: Int = .max, fields: Set<String>? = nil
    ) throws -> OwnFeedRecordTexts {
        // Columns read with SQLite's own functions: making rows of them costs more than building the text.
        let select = try RawStatement(db, "SELECT seq, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data FROM own_feed WHERE dataset = ? AND seq > ? ORDER BY seq LIMIT ?")
        defer { select.reset() }
        select.bind(1, dataset.rawValue)
        select.bind(2, after)
        select.bind(3, Int64(max(limit, 0)))
        var result = OwnFeedRecordTexts()
        while try select.step() {
            let seq = select.int64(0)
            let start = result.joined.count
            if !result.seqs.isEmpty { result.joined.append(UInt8(ascii: ",")) }
            // Members in byte order, as the canonical serializer writes them; `origin` is an agency id (plain ASCII).
            // Written as bytes: interpolating strings here costs more than reading the row.
            result.joined += #"{"data":"#.utf8
            if let fields {
                // The store wrote `data` compact: it is cut as text. Text of another layout is parsed, as a last resort.
                result.joined += try select.withText(7) { data in
                    try JSONValue.compactObject(data, keeping: fields.contains)
                        ?? JSONValue.object((JSONValue(parsing: Array(data)).objectValue ?? [:]).filter { fields.contains($0.key) }).serialized()
                }
            } else {
                select.appendText(7, to: &result.joined)
            }
            result.joined += #","deleted":"#.utf8
            result.joined += (select.bool(6) ? "true" : "false").utf8
            result.joined += #","hlc":["#.utf8
            JSONValue.appendDecimal(select.int64(3), to: &result.joined)
            result.joined.append(UInt8(ascii: ","))
            JSONValue.appendDecimal(select.int64(4), to: &result.joined)
            result.joined += #"],"id":"#.utf8
            select.withText(1) { JSONValue.appendString(utf8: $0, to: &result.joined) }
            result.joined += #","origin":""#.utf8
            select.appendText(2, to: &result.joined)
            result.joined += #"","seq":"#.utf8
            JSONValue.appendDecimal(seq, to: &result.joined)
            result.joined += #","vv":"#.utf8
            select.appendText(5, to: &result.joined)
            result.joined.append(UInt8(ascii: "}"))
            if result.joined.count > maximumBytes, !result.seqs.isEmpty {
                result.joined.removeSubrange(start...)
                break
            }
            result.seqs.append(seq)
            result.ends.append(result.joined.count)
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

/// Records of an agency's own feed as a publisher sends them: their JSON objects joined by commas, in one
/// buffer, so that a page of a thousand records is not a thousand allocations.
public struct OwnFeedRecordTexts: Sendable {
    /// The objects, with one comma between two.
    public fileprivate(set) var joined: [UInt8] = []
    /// Each record's `seq`, ascending.
    public fileprivate(set) var seqs: [Int64] = []
    /// Where each object ends in ``joined``.
    fileprivate var ends: [Int] = []

    /// How many records.
    public var count: Int { seqs.count }

    /// Each record's object, apart.
    public var records: [(seq: Int64, json: ArraySlice<UInt8>)] {
        seqs.indices.map { index in
            let start = index == 0 ? 0 : ends[index - 1] + 1
            return (seqs[index], joined[start..<ends[index]])
        }
    }
}
