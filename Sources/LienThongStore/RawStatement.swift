import GRDB
internal import GRDBSQLite
import LienThongMerge

/// A statement prepared by GRDB, bound and stepped with SQLite's own functions: for the statements run once
/// per record, where building GRDB's arguments and rows costs more than SQLite's own work. It lives only
/// inside the GRDB access that prepared it; the statement stays GRDB's.
struct RawStatement {
    private let statement: Statement
    private let db: Database
    private var handle: OpaquePointer { statement.sqliteStatement }

    /// `sql`, prepared once per connection (GRDB's statement cache), reset and cleared for new bindings.
    init(_ db: Database, _ sql: String) throws {
        self.db = db
        statement = try db.cachedStatement(sql: sql)
        sqlite3_reset(statement.sqliteStatement)
        sqlite3_clear_bindings(statement.sqliteStatement)
    }

    /// Lets the statement go: a select stepped part-way keeps its read open until reset.
    func reset() {
        sqlite3_reset(handle)
    }

    /// Binds the columns of ``VersionColumns/names`` from parameter `first` on.
    func bind(_ version: RecordVersion, from first: Int32) {
        bind(first, version.dataset.rawValue)
        bind(first + 1, version.id)
        bind(first + 2, version.origin.rawValue)
        bind(first + 3, version.hlc.milliseconds)
        bind(first + 4, version.hlc.counter)
        bind(first + 5, version.vv.canonicalText)
        bind(first + 6, version.deleted)
        bind(first + 7, version.dataJSON)
        bind(first + 8, version.erasure)
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Bool) {
        sqlite3_bind_int64(handle, index, value ? 1 : 0)
    }

    func bind(_ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { characters in
                // SQLITE_TRANSIENT: SQLite copies the bytes before this returns. An empty string still needs an
                // address: SQLite reads a null pointer as NULL.
                _ = sqlite3_bind_text(handle, index, characters.baseAddress ?? Self.emptyText, Int32(characters.count), Self.transient)
            }
        }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    private static var emptyText: UnsafePointer<CChar> {
        let empty: StaticString = ""
        return UnsafeRawPointer(empty.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    func bind(_ index: Int32, _ text: String?) {
        if let text { bind(index, text) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// Steps once: true with a row to read, false when done. SQLite's error comes as GRDB's `DatabaseError`.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
        }
    }

    /// Runs a statement that returns no row.
    func execute() throws {
        _ = try step()
        sqlite3_reset(handle)
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func bool(_ column: Int32) -> Bool { sqlite3_column_int64(handle, column) != 0 }

    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// Appends a text column's bytes to `output` without making a string of them.

    /// The text column's bytes, for reading in place while the row is current.
    func withText<Result>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        let count = Int(sqlite3_column_bytes(handle, column))
        return try body(UnsafeBufferPointer(start: sqlite3_column_text(handle, column), count: count))
    }
}
