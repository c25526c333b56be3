/// A database-neutral column value written by a table sink (SQLite, PostgreSQL).
public enum TableValue: Sendable, Equatable {
    /// A 64-bit integer (`INTEGER`, PostgreSQL `BIGINT`).
    case integer(Int64)
    /// A double (`REAL`, PostgreSQL `DOUBLE PRECISION`).
    case real(Double)
    /// UTF-8 text (`TEXT`).
    case text(String)
    /// Raw bytes (`BLOB`, PostgreSQL `BYTEA`).
    case blob([UInt8])
    /// SQL `NULL` (allowed only in nullable columns).
    case null
}

/// The type of a table sink's column, mapped to each database's own type name.
public enum TableColumnType: String, Sendable, Equatable, CaseIterable {
    /// 64-bit integers.
    case integer
    /// Doubles.
    case real
    /// UTF-8 text.
    case text
    /// Raw bytes.
    case blob
}
