/// PostgreSQL's spelling of a table sink's SQL: `bigint`, `double precision`, `text`, `bytea` columns, `$n`
/// parameters, and `committed_at` as a `timestamptz`.
package struct PostgreSQLDialect: SQLDialect {
    /// The dialect (it has no settings).
    package init() {}

    /// PostgreSQL's type name for a column type (as `information_schema.columns.data_type` reports it).
    package func typeName(_ type: TableColumnType) -> String {
        switch type {
        case .integer: "bigint"
        case .real: "double precision"
        case .text: "text"
        case .blob: "bytea"
        }
    }

    /// `$n`: PostgreSQL's numbered parameter.
    package func placeholder(_ n: Int) -> String { "$" + String(n) }

    /// A `timestamptz` the server fills in.
    package var timestampDeclaration: String { "timestamptz NOT NULL DEFAULT now()" }

    /// The transaction's start time.
    package var currentTimestamp: String { "now()" }
}
