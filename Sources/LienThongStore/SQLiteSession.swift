import GRDB
import LienThongCore
import LienThongMerge

/// The store's SQL on SQLite, through one GRDB connection inside a transaction or snapshot. The statements
/// every version costs are prepared once per connection (GRDB's statement cache) and bound in place.
final class SQLiteSession: StoreSession {
    let db: Database

    init(_ db: Database) {
        self.db = db
    }

    @discardableResult
    func execute(_ statement: SQLStatement, _ arguments: [any SQLArgument]) throws -> Int {
        try db.cachedStatement(sql: statement.sqlite).execute(arguments: Self.arguments(arguments))
        return db.changesCount
    }

    func rows(_ statement: SQLStatement, _ arguments: [any SQLArgument]) throws -> [SQLRow] {
        try Row.fetchAll(db.cachedStatement(sql: statement.sqlite), arguments: Self.arguments(arguments)).map { row in
            SQLRow(values: row.databaseValues.map { value in
                switch value.storage {
                case .null: .null
                case .int64(let integer): .integer(integer)
                case .double(let number): .integer(Int64(exactly: number.rounded(.towardZero)) ?? 0)
                case .string(let text): .text(text)
                case .blob(let bytes): .text(String(decoding: bytes, as: UTF8.self))
                }
            })
        }
    }

    private static func arguments(_ arguments: [any SQLArgument]) -> StatementArguments {
        StatementArguments(arguments.map { argument -> DatabaseValue in
            switch argument.sqlValue {
            case .null: .null
            case .integer(let integer): integer.databaseValue
            case .text(let text): text.databaseValue
            }
        })
    }

    func storedRecord(_ key: RecordKey) throws -> StoredRecord {
        let select = try RawStatement(db, StoredRecord.selectRecord.sqlite)
        defer { select.reset() }
        select.bind(1, key.dataset.rawValue)
        select.bind(2, key.id)
        guard try select.step() else { return .unknown }
        let visible: Int64? = select.isNull(2) ? nil : select.int64(2)
        return try StoredRecord.assemble(
            key, siblingsText: select.text(0), authoredText: select.text(1), visible: visible,
            visibleVersion: select.isNull(3) ? nil : try StoredVersion(dataset: key.dataset, id: key.id, columnsOf: select, at: 3)
        ) { seq in
            let version = try RawStatement(db, StoredRecord.selectVersion.sqlite)
            defer { version.reset() }
            version.bind(1, seq)
            guard try version.step() else { return nil }
            return try StoredVersion(dataset: key.dataset, id: key.id, columnsOf: version, at: 0)
        }
    }

    func storedRecords(_ keys: [RecordKey]) throws -> [RecordKey: StoredRecord]? { nil }

    func appendVersion(_ version: RecordVersion, source: String, receivedAt: Int64, supersedes: [Int64]) throws -> Int64 {
        let insert = try RawStatement(db, WriteSQL.insertVersion)
        insert.bind(version, from: 1)
        insert.bind(10, source)
        insert.bind(11, receivedAt)
        insert.bind(12, supersedes.isEmpty ? nil : "[" + supersedes.map { String($0) }.joined(separator: ",") + "]")
        try insert.execute()
        return db.lastInsertedRowID
    }

    func saveRecord(_ row: RecordRow) throws {
        let upsert = try RawStatement(db, WriteSQL.upsertRecord)
        upsert.bind(1, row.key.dataset.rawValue)
        upsert.bind(2, row.key.id)
        upsert.bind(3, row.visible)
        upsert.bind(4, row.siblings)
        upsert.bind(5, row.siblingCount)
        upsert.bind(6, row.awaitsReview)
        upsert.bind(7, row.authored)
        try upsert.execute()
    }

    func appendChange(_ key: RecordKey, kind: ChangeKind, at changedAt: Int64) throws {
        let insert = try RawStatement(db, WriteSQL.insertChange)
        insert.bind(1, key.dataset.rawValue)
        insert.bind(2, key.id)
        insert.bind(3, kind.rawValue)
        insert.bind(4, changedAt)
        try insert.execute()
    }

    func appendOwnFeed(seq: Int64, _ version: RecordVersion, schemaTag: Int64) throws {
        let insert = try RawStatement(db, WriteSQL.insertOwnFeed)
        insert.bind(1, seq)
        insert.bind(version, from: 2)
        insert.bind(11, schemaTag)  // after seq and the nine version columns
        try insert.execute()
    }

    /// Nothing to send: publishers watch the store's folder (``StoreFileWatch``).
    func announceOwnFeedCommit() throws {}

    func ownFeedHead(_ dataset: DatasetName) throws -> Int64 {
        try row(OwnFeedSQL.head, dataset.rawValue)?.int64(0) ?? 0
    }

    func ownFeedRecordTexts(
        dataset: DatasetName, after: Int64, limit: Int, maximumBytes: Int, fields: Set<String>?, admits: ((_ data: UnsafeBufferPointer<UInt8>, _ schemaTag: Int64) -> Bool)?
    ) throws -> OwnFeedRecordTexts {
        // Columns read with SQLite's own functions: making rows of them costs more than building the text.
        let select = try RawStatement(db, OwnFeedSQL.selectTexts.sqlite)
        defer { select.reset() }
        select.bind(1, dataset.rawValue)
        select.bind(2, after)
        // Rows are stepped one at a time: past the versions left out, up to their bound.
        select.bind(3, Int64(max(limit, 0)) + (admits == nil ? 0 : Int64(StoreSnapshot.maximumWithheldPerRead)))
        var result = OwnFeedRecordTexts()
        _ = try result.take(limit: limit, maximumBytes: maximumBytes, fields: fields, admits: admits) { try select.step() ? select : nil }
        return result
    }
}

extension RawStatement: OwnFeedRow {
    func int64(_ column: OwnFeedColumn) -> Int64 { int64(Int32(column.rawValue)) }

    func withText<Result>(_ column: OwnFeedColumn, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try withText(Int32(column.rawValue), body)
    }
}

/// The statements of the writes every version costs, in SQLite's text (PostgreSQL writes them in batches).
enum WriteSQL {
    static let insertVersion = """
        INSERT INTO version (\(VersionColumns.names), source, received_at, supersedes) VALUES (\(VersionColumns.placeholders), ?, ?, ?)
        """
    static let insertChange = "INSERT INTO change_log (dataset, record_id, kind, changed_at) VALUES (?, ?, ?, ?)"
    static let insertOwnFeed = "INSERT INTO own_feed (seq, \(VersionColumns.names), schema_tag) VALUES (?, \(VersionColumns.placeholders), ?)"
    static let upsertRecord = """
        INSERT INTO record (dataset, id, visible, siblings, sibling_count, awaits_review, authored) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (dataset, id) DO UPDATE SET
            visible = excluded.visible, siblings = excluded.siblings, sibling_count = excluded.sibling_count,
            awaits_review = excluded.awaits_review, authored = excluded.authored
        """
}
