public import Foundation
public import LienThongCore
import GRDB

/// Where a store still keeps a piece of text, for tests that something was purged.
public enum StoredText {
    /// The places in the store at `location` that hold `needle`. A SQLite file is checkpointed and vacuumed
    /// first, so that no free page keeps what a deleted row held, and then its bytes and those of its WAL
    /// are searched: `file`, `wal`. A PostgreSQL database is queried table by table: each table with a row
    /// whose text holds `needle`.
    public static func places(of needle: String, in location: StoreLocation) throws -> [String] {
        switch location {
        case .file(let url):
            try DatabaseQueue(path: url.path).writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                try db.execute(sql: "VACUUM")
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
            let bytes = Array(needle.utf8)
            return try [("file", url.path), ("wal", url.path + "-wal")].filter { _, path in
                guard FileManager.default.fileExists(atPath: path) else { return false }
                let contents = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
                return contents.indices.dropLast(max(bytes.count - 1, 0)).contains { contents[$0..<($0 + bytes.count)].elementsEqual(bytes) }
            }.map(\.0)
        case .postgres(let database):
            // Each table's rows as text, searched by a query the catalog writes (query_to_xml runs it).
            let output = try PostgresCluster.shared.psql(database.database, """
                SELECT table_name FROM information_schema.tables
                WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
                  AND (xpath('/row/n/text()', query_to_xml(
                        format('SELECT count(*) AS n FROM %I x WHERE x::text LIKE %L', table_name, '%' || '\(needle)' || '%'), false, true, ''
                      )))[1]::text::int > 0
                ORDER BY table_name
                """)
            return output.split(separator: "\n").map(String.init)
        }
    }
}
