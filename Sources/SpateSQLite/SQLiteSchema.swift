import Spate
import SQLiteNIO

/// SQLite's dialect for a `TableLayout`: creating the tables if missing, verifying existing ones, and the
/// insert statement's parameters.
enum SQLiteSchema {
    /// A double-quoted SQL identifier.
    static func quote(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// SQLite's type name for a column type.
    static func typeName(_ type: TableColumnType) -> String {
        switch type {
        case .integer: "INTEGER"
        case .real: "REAL"
        case .text: "TEXT"
        case .blob: "BLOB"
        }
    }

    /// A column as `CREATE TABLE` declares it.
    static func declaration(_ c: TableColumn) -> String {
        quote(c.name) + " " + typeName(c.type) + (c.nullable ? "" : " NOT NULL")
    }

    /// `CREATE TABLE IF NOT EXISTS` for the layout's table.
    static func createStatement(_ layout: TableLayout) -> String {
        "CREATE TABLE IF NOT EXISTS \(quote(layout.table)) ("
            + layout.tableColumns.map(declaration).joined(separator: ", ")
            + ", PRIMARY KEY (" + layout.primaryKey.map(quote).joined(separator: ", ") + "))"
    }

    /// `CREATE TABLE IF NOT EXISTS` for the bookkeeping table.
    static let createBatchesStatement = "CREATE TABLE IF NOT EXISTS \(quote(TableLayout.batchesTable)) ("
        + "\"table\" TEXT NOT NULL, batch_time INTEGER NOT NULL, rows INTEGER NOT NULL, committed_at TEXT NOT NULL, "
        + "PRIMARY KEY (\"table\", batch_time))"

    /// The layout's insert statement for `rows` rows (`TableLayout.insertStatement`), with `?` parameters.
    static func insertStatement(_ layout: TableLayout, rows: Int) -> String {
        layout.insertStatement(rows: rows, quote: quote, placeholder: { _ in "?" })
    }

    /// Creates the layout's table and the bookkeeping table if missing (in WAL mode, so readers can query the
    /// file while a pipeline writes), then verifies both match what the sink writes.
    static func prepare(_ layout: TableLayout, on db: SQLiteConnection, path: String) async throws {
        _ = try await db.query("PRAGMA journal_mode = WAL")
        _ = try await db.query(createBatchesStatement)
        _ = try await db.query(createStatement(layout))
        let batches = try await columns(of: TableLayout.batchesTable, on: db)
        guard ["table", "batch_time"].allSatisfy({ name in batches.contains { $0.name.lowercased() == name } }) else {
            throw SpateError.outputFailed(
                operation: "saveToSQLite(\(layout.table))",
                reason: "\(path): table \(TableLayout.batchesTable) exists without the columns (table, batch_time) "
                    + "the sink records batches in: drop or rename that table, or use another database file")
        }
        try layout.checkExisting(
            try await columns(of: layout.table, on: db), typeName: typeName, sink: "saveToSQLite", place: path)
    }

    static func columns(of table: String, on db: SQLiteConnection) async throws -> [FoundColumn] {
        try await db.query("PRAGMA table_info(\(quote(table)))").map { row in
            FoundColumn(
                name: row.column("name")?.string ?? "", type: row.column("type")?.string ?? "",
                notNull: (row.column("notnull")?.integer ?? 0) != 0, pk: Int(row.column("pk")?.integer ?? 0))
        }
    }
}
