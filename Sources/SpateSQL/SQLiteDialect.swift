/// SQLite's spelling of a table sink's SQL: `INTEGER`, `REAL`, `TEXT`, `BLOB` columns, `?` parameters, and
/// `committed_at` as ISO 8601 text in UTC.
package struct SQLiteDialect: SQLDialect {
    /// The dialect (it has no settings).
    package init() {}

    /// SQLite's type name for a column type (as `PRAGMA table_info` reports it).
    package func typeName(_ type: TableColumnType) -> String {
        switch type {
        case .integer: "INTEGER"
        case .real: "REAL"
        case .text: "TEXT"
        case .blob: "BLOB"
        }
    }

    /// `?`: SQLite numbers plain parameters by position.
    package func placeholder(_ n: Int) -> String { "?" }

    /// Text, set by every insert (SQLite has no timestamp type).
    package var timestampDeclaration: String { "TEXT NOT NULL" }

    /// `stored + added`; for integers, SQLite's "integer overflow" error when the sum leaves the 64-bit range
    /// (SQLite itself would store it as a real): `abs()` of the smallest integer is SQLite's one overflow error.
    package func sum(_ stored: String, _ added: String, type: TableColumnType) -> String {
        guard type == .integer else { return "\(stored) + \(added)" }
        return "CASE WHEN typeof(\(stored) + \(added)) = 'integer' THEN \(stored) + \(added) "
            + "ELSE abs(-9223372036854775807 - 1) END"
    }

    /// The current UTC time as `2026-12-01T10:30:00Z`.
    package var currentTimestamp: String { "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')" }
}
