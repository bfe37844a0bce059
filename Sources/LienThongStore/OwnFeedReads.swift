public import LienThongCore
public import LienThongMerge

extension StoreSnapshot {
    /// The highest `seq` of this agency's own feed of `dataset`: how many versions it authored there (0: none).
    public func ownFeedHead(dataset: DatasetName) throws -> Int64 {
        try session.ownFeedHead(dataset)
    }

    /// The versions of this agency's own feed of `dataset` with `seq` above `after`, in ascending `seq`,
    /// at most `limit` of them.
    public func ownFeed(dataset: DatasetName, after: Int64, limit: Int) throws -> [(seq: Int64, version: RecordVersion)] {
        try session.rows(OwnFeedSQL.selectVersions, dataset.rawValue, after, max(limit, 0)).map { row in
            (row.int64(0), try VersionColumns.version(from: row, at: 1))
        }
    }

    /// Like ``ownFeed(dataset:after:limit:)``, but each version as the UTF-8 of its feed-record JSON object
    /// (`seq`, `id`, `origin`, `hlc`, `vv`, `deleted`, `data`, and `erasure` on an erasure), put together from the stored canonical text
    /// without parsing it, and the objects joined by commas in one buffer: what a publisher sends. With
    /// `fields`, `data` keeps only those members, cut from the stored text as it is read (a peer granted some
    /// fields).
    ///
    /// Reading stops before the record that would take the joined text past `maximumBytes`; the first record
    /// is returned whatever its size, so that a page is never empty while records remain.
    ///
    /// With `admits`, each version that is not a deletion is given to it (its stored `data` text, and the tag
    /// of the schema it was checked against when made, 0 for none: ``StoreTransaction/edit(dataset:id:agency:deleted:data:policy:schemaTag:)``)
    /// before it is taken: one it refuses is left out and its `seq` noted in ``OwnFeedRecordTexts/withheld`` (a record
    /// that breaks the dataset's schema, which is never served). Left-out versions do not count against
    /// `limit`, but at most ``maximumWithheldPerRead`` of them are read past.
    public func ownFeedRecordTexts(
        dataset: DatasetName, after: Int64, limit: Int, maximumBytes: Int = .max, fields: Set<String>? = nil,
        admits: ((_ data: UnsafeBufferPointer<UInt8>, _ schemaTag: Int64) -> Bool)? = nil
    ) throws -> OwnFeedRecordTexts {
        try session.ownFeedRecordTexts(
            dataset: dataset, after: after, limit: limit, maximumBytes: maximumBytes, fields: fields, admits: admits
        )
    }

    /// How many versions one read of the own feed leaves out at most before it stops.
    public static let maximumWithheldPerRead = 10_000

    /// How many records are in open conflict (more than one sibling), per dataset; datasets with none are absent.
    public func openConflictCounts() throws -> [DatasetName: Int] {
        var counts: [DatasetName: Int] = [:]
        for row in try session.rows(OwnFeedSQL.openConflictCounts) {
            counts[try DatasetName(row.text(0))] = Int(row.int64(1))
        }
        return counts
    }
}

/// Records of an agency's own feed as a publisher sends them: their JSON objects joined by commas, in one
/// buffer, so that a page of a thousand records is not a thousand allocations.
public struct OwnFeedRecordTexts: Sendable {
    /// The objects, with one comma between two.
    public private(set) var joined: [UInt8] = []
    /// Each record's `seq`, ascending.
    public private(set) var seqs: [Int64] = []
    /// Where each object ends in ``joined``.
    private var ends: [Int] = []
    /// The `seq` of each version read but left out (``StoreSnapshot/ownFeedRecordTexts(dataset:after:limit:maximumBytes:fields:admits:)``).
    public private(set) var withheld: [Int64] = []

    /// How many records.
    public var count: Int { seqs.count }

    /// Reads rows until `limit` records are taken, the next would not fit `maximumBytes`, or too many were
    /// left out; returns true when the rows ran out first (more rows may be read).
    mutating func take<Row: OwnFeedRow>(
        limit: Int, maximumBytes: Int, fields: Set<String>?, admits: ((_ data: UnsafeBufferPointer<UInt8>, _ schemaTag: Int64) -> Bool)?, nextRow: () throws -> Row?
    ) throws -> Bool {
        while let row = try nextRow() {
            if let admits, row.int64(.deleted) == 0, !row.withText(.data, { admits($0, row.int64(.schemaTag)) }) {
                withheld.append(row.int64(.seq))
                if withheld.count >= StoreSnapshot.maximumWithheldPerRead { return false }
                continue
            }
            guard try append(row, maximumBytes: maximumBytes, fields: fields), count < limit else { return false }
        }
        return true
    }

    /// The last `seq` read, taken or left out.
    var lastRead: Int64? { [seqs.last, withheld.last].compactMap { $0 }.max() }

    /// Appends the record in `row` unless it would take ``joined`` past `maximumBytes` (the first record
    /// always fits); returns whether it did. `data` keeps only `fields` when given.
    private mutating func append(_ row: some OwnFeedRow, maximumBytes: Int, fields: Set<String>?) throws -> Bool {
        let seq = row.int64(.seq)
        let start = joined.count
        if !seqs.isEmpty { joined.append(UInt8(ascii: ",")) }
        // Members in byte order, as the canonical serializer writes them; `origin` is an agency id (plain ASCII).
        // Written as bytes: interpolating strings here costs more than reading the row.
        joined += #"{"data":"#.utf8
        if let fields {
            // The store wrote `data` compact: it is cut as text. Text of another layout is parsed, as a last resort.
            joined += try row.withText(.data) { data in
                try JSONValue.compactObject(data, keeping: fields.contains)
                    ?? JSONValue.object((JSONValue(parsing: Array(data)).objectValue ?? [:]).filter { fields.contains($0.key) }).serialized()
            }
        } else {
            row.withText(.data) { joined.append(contentsOf: $0) }
        }
        joined += #","deleted":"#.utf8
        joined += (row.int64(.deleted) != 0 ? "true" : "false").utf8
        if row.int64(.erasure) != 0 { joined += #","erasure":true"#.utf8 }
        joined += #","hlc":["#.utf8
        JSONValue.appendDecimal(row.int64(.hlcMilliseconds), to: &joined)
        joined.append(UInt8(ascii: ","))
        JSONValue.appendDecimal(row.int64(.hlcCounter), to: &joined)
        joined += #"],"id":"#.utf8
        row.withText(.recordID) { JSONValue.appendString(utf8: $0, to: &joined) }
        joined += #","origin":""#.utf8
        row.withText(.origin) { joined.append(contentsOf: $0) }
        joined += #"","seq":"#.utf8
        JSONValue.appendDecimal(seq, to: &joined)
        joined += #","vv":"#.utf8
        row.withText(.vv) { joined.append(contentsOf: $0) }
        joined.append(UInt8(ascii: "}"))
        if joined.count > maximumBytes, !seqs.isEmpty {
            joined.removeSubrange(start...)
            return false
        }
        seqs.append(seq)
        ends.append(joined.count)
        return true
    }

    /// Each record's object, apart.
    public var records: [(seq: Int64, json: ArraySlice<UInt8>)] {
        seqs.indices.map { index in
            let start = index == 0 ? 0 : ends[index - 1] + 1
            return (seqs[index], joined[start..<ends[index]])
        }
    }
}

/// The columns of ``OwnFeedSQL/selectTexts``, in order.
enum OwnFeedColumn: Int {
    case seq, recordID, origin, hlcMilliseconds, hlcCounter, vv, deleted, data, erasure, schemaTag
}

/// A row of ``OwnFeedSQL/selectTexts`` as each backend reads it: SQLite's text in place, PostgreSQL's as a string.
protocol OwnFeedRow {
    func int64(_ column: OwnFeedColumn) -> Int64
    func withText<Result>(_ column: OwnFeedColumn, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result
}

/// The statements that read the own feed.
enum OwnFeedSQL {
    static let selectTexts = SQLStatement(
        "SELECT seq, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, erasure, schema_tag FROM own_feed WHERE dataset = ? AND seq > ? ORDER BY seq LIMIT ?"
    )
    static let selectVersions = SQLStatement("SELECT seq, \(VersionColumns.names) FROM own_feed WHERE dataset = ? AND seq > ? ORDER BY seq LIMIT ?")
    /// The highest `seq` given, whether its version is still stored or was purged by an erasure.
    static let head = SQLStatement("""
        SELECT MAX(head) FROM (
            SELECT COALESCE(MAX(seq), 0) AS head FROM own_feed WHERE dataset = ?1
            UNION ALL SELECT through FROM own_feed_purged WHERE dataset = ?1
        ) AS heads
        """)
    static let openConflictCounts = SQLStatement("SELECT dataset, COUNT(*) FROM record WHERE sibling_count > 1 GROUP BY dataset")
}
