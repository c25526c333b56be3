import Spate
import SpateSQL
import SQLiteNIO

/// Creating and verifying a sink's tables in SQLite; the statements come from `SQLiteDialect`.
enum SQLiteSchema {
    /// The SQL dialect of every SQLite statement the sink runs.
    static let dialect = SQLiteDialect()

    /// Creates the layout's table and the bookkeeping table if missing (in WAL mode, so readers can query the
    /// file while a pipeline writes), then verifies both match what the sink writes.
    static func prepare(_ layout: TableLayout, on db: SQLiteConnection, path: String) async throws {
        _ = try await db.query("PRAGMA journal_mode = WAL")
        _ = try await db.query(dialect.createBatchesTable)
        _ = try await db.query(dialect.createTable(layout))
        try layout.checkExisting(
            batches: try await columns(of: TableLayout.batchesTable, on: db),
            table: try await columns(of: layout.table, on: db), claimsBatches: layout.recordsBatches, dialect: dialect,
            sink: "saveToSQLite", place: path)
    }

    /// The columns of `table` as `PRAGMA table_info` reports them.
    static func columns(of table: String, on db: SQLiteConnection) async throws -> [FoundColumn] {
        try await db.query("PRAGMA table_info(\(dialect.quote(table)))").map { row in
            FoundColumn(
                name: row.column("name")?.string ?? "", type: row.column("type")?.string ?? "",
                notNull: (row.column("notnull")?.integer ?? 0) != 0, pk: Int(row.column("pk")?.integer ?? 0))
        }
    }
}
