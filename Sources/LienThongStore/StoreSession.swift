import LienThongCore
import LienThongMerge

/// A value bound to a statement or read from a row, the same on both backends: booleans are integers 0 and
/// 1, times and numbers 64-bit integers, JSON canonical text.
enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
}

/// What can be bound to a statement.
protocol SQLArgument {
    var sqlValue: SQLValue { get }
}

extension String: SQLArgument { var sqlValue: SQLValue { .text(self) } }
extension Int64: SQLArgument { var sqlValue: SQLValue { .integer(self) } }
extension Int: SQLArgument { var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Bool: SQLArgument { var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension Optional: SQLArgument where Wrapped: SQLArgument {
    var sqlValue: SQLValue { map(\.sqlValue) ?? .null }
}

/// One row of a result, its columns by position.
struct SQLRow: Sendable {
    let values: [SQLValue]

    func isNull(_ column: Int) -> Bool { values[column] == .null }

    func int64(_ column: Int) -> Int64 {
        if case .integer(let value) = values[column] { return value }
        return 0
    }

    func optionalInt64(_ column: Int) -> Int64? {
        if case .integer(let value) = values[column] { return value }
        return nil
    }

    func bool(_ column: Int) -> Bool { int64(column) != 0 }

    func text(_ column: Int) -> String {
        if case .text(let value) = values[column] { return value }
        return ""
    }

    func optionalText(_ column: Int) -> String? {
        if case .text(let value) = values[column] { return value }
        return nil
    }
}

/// A statement as each backend spells it. Most are written once with `?` placeholders (`?N` for a numbered
/// one), which PostgreSQL's text gets as `$1`, `$2`, …; the few that need each dialect's own functions give both.
struct SQLStatement: Sendable {
    let sqlite: String
    let postgres: String

    init(_ portable: String) {
        sqlite = portable
        postgres = Self.numberingPlaceholders(portable)
    }

    init(sqlite: String, postgres: String) {
        self.sqlite = sqlite
        self.postgres = postgres
    }

    /// `?` becomes `$k` for the k-th unnumbered placeholder, `?N` becomes `$N`. The store's statements hold no
    /// `?` inside a string literal.
    static func numberingPlaceholders(_ text: String) -> String {
        var output = ""
        var next = 0
        var characters = text[...]
        while let character = characters.popFirst() {
            guard character == "?" else {
                output.append(character)
                continue
            }
            let digits = characters.prefix { $0.isASCII && $0.isNumber }
            if digits.isEmpty {
                next += 1
                output += "$\(next)"
            } else {
                output += "$\(digits)"
                characters = characters.dropFirst(digits.count)
            }
        }
        return output
    }
}

/// One connection to the store's database inside one transaction or snapshot: the seam between the store's
/// logic (merge, change log, quarantine, cursors, leases), written once, and the two backends, SQLite and
/// PostgreSQL (docs/STORE.md, "Two backends"). The statements every version costs have operations of their
/// own, so that each backend runs them its fastest way: SQLite through statements prepared once and bound in
/// place, PostgreSQL by keeping the rows and writing them in batches (one statement per table and batch).
protocol StoreSession: AnyObject {
    /// Runs a statement; returns how many rows it changed.
    @discardableResult
    func execute(_ statement: SQLStatement, _ arguments: [any SQLArgument]) throws -> Int
    /// Runs a query and returns its rows.
    func rows(_ statement: SQLStatement, _ arguments: [any SQLArgument]) throws -> [SQLRow]

    /// The record `key` as stored: its siblings with their versions, its claims counters, what it shows.
    func storedRecord(_ key: RecordKey) throws -> StoredRecord
    /// The records of `keys` that are stored, read at once where that saves round trips (PostgreSQL); nil
    /// where reading each when needed costs no more (SQLite).
    func storedRecords(_ keys: [RecordKey]) throws -> [RecordKey: StoredRecord]?
    /// Appends a version to `version`; returns its `seq`.
    func appendVersion(_ version: RecordVersion, source: String, receivedAt: Int64, supersedes: [Int64]) throws -> Int64
    /// Writes a record's row.
    func saveRecord(_ row: RecordRow) throws
    /// Appends a row to the change log.
    func appendChange(_ key: RecordKey, kind: ChangeKind, at changedAt: Int64) throws
    /// Appends a version to this agency's own feed at `seq`.
    func appendOwnFeed(seq: Int64, _ version: RecordVersion, schemaTag: Int64) throws
    /// The last `seq` of the own feed of `dataset`, 0 when empty.
    func ownFeedHead(_ dataset: DatasetName) throws -> Int64
    /// Tells the publishers of other processes, at commit, that this transaction added to the own feed: on
    /// PostgreSQL a `NOTIFY`; on SQLite nothing, since they watch the file.
    func announceOwnFeedCommit() throws
    /// Records of the own feed as the publisher serves them (``StoreSnapshot/ownFeedRecordTexts``).
    func ownFeedRecordTexts(
        dataset: DatasetName, after: Int64, limit: Int, maximumBytes: Int, fields: Set<String>?, admits: ((_ data: UnsafeBufferPointer<UInt8>, _ schemaTag: Int64) -> Bool)?
    ) throws -> OwnFeedRecordTexts
}

/// The row of `record` that ``StoreSession/saveRecord(_:)`` writes.
struct RecordRow {
    let key: RecordKey
    let visible: Int64?
    let siblings: String
    let siblingCount: Int64
    let awaitsReview: Bool
    let authored: String
}

extension StoreSession {
    @discardableResult
    func execute(_ statement: SQLStatement, _ arguments: any SQLArgument...) throws -> Int {
        try execute(statement, arguments)
    }

    func rows(_ statement: SQLStatement, _ arguments: any SQLArgument...) throws -> [SQLRow] {
        try rows(statement, arguments)
    }

    /// The first row of a query, or nil.
    func row(_ statement: SQLStatement, _ arguments: any SQLArgument...) throws -> SQLRow? {
        try rows(statement, arguments).first
    }
}
