import Spate
import SpateSQL

/// Creating and verifying a sink's tables in PostgreSQL, and values as libpq text parameters; the statements
/// come from `PostgreSQLDialect`.
enum PostgresSchema {
    /// The SQL dialect of every PostgreSQL statement the sinks run.
    static let dialect = PostgreSQLDialect()

    /// The advisory lock key serializing the sinks' `CREATE TABLE IF NOT EXISTS` (concurrent ones can fail on
    /// PostgreSQL's catalog constraints).
    static let schemaLockKey = "7365676174650001"

    /// A value as a libpq text-format parameter (`nil` for `NULL`).
    static func text(_ value: TableValue) -> String? {
        switch value {
        case let .integer(v): return String(v)
        case let .real(v):
            if v.isNaN { return "NaN" }
            if v.isInfinite { return v > 0 ? "Infinity" : "-Infinity" }
            return "\(v)"
        case let .text(v): return v
        case let .blob(v):
            let digits: [Character] = Array("0123456789abcdef")
            var s = "\\x"
            s.reserveCapacity(2 + 2 * v.count)
            for b in v { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
            return s
        case .null: return nil
        }
    }

    /// Creates the layout's table and the bookkeeping table (and with `offsets`, the offsets table) if missing,
    /// then verifies they match what the sink writes. Runs in its own transaction.
    static func prepare(_ layout: TableLayout, offsets: Bool, on s: PostgresSession, where place: String) throws {
        try s.query("BEGIN")
        do {
            try s.query("SELECT pg_advisory_xact_lock($1::bigint)", [String(Int64(schemaLockKey, radix: 16)!)])
            try s.query(dialect.createBatchesTable)
            if offsets { try s.query(PostgresOffsets.createStatement) }
            try s.query(dialect.createTable(layout))
            try s.query("COMMIT")
        } catch {
            _ = try? s.query("ROLLBACK")
            throw error
        }
        if offsets {
            let stored = try columns(of: TableLayout.offsetsTable, on: s).map(\.name)
            let expected = ["table", "group_id", "topic", "partition", "until_offset"]
            guard expected.allSatisfy(stored.contains) else {
                throw SpateError.outputFailed(
                    operation: "saveToPostgres(\(layout.table))",
                    reason: "\(place): table \(TableLayout.offsetsTable) exists without the columns "
                        + "(\(expected.joined(separator: ", "))) the sink stores offsets in: drop or rename that "
                        + "table, or use another database")
            }
        }
        try layout.checkExisting(
            batches: try columns(of: TableLayout.batchesTable, on: s), table: try columns(of: layout.table, on: s),
            claimsBatches: !offsets && layout.recordsBatches, dialect: dialect, sink: "saveToPostgres", place: place)
    }

    /// The columns of `table` in the current schema, in order, with their position in the primary key.
    static func columns(of table: String, on s: PostgresSession) throws -> [FoundColumn] {
        let pk = try s.query(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                + "WHERE i.indrelid = to_regclass($1::text) AND i.indisprimary "
                + "ORDER BY array_position(i.indkey::int2[], a.attnum)",
            [dialect.quote(table)]
        ).compactMap { $0[0] }
        return try s.query(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                + "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            [table]
        ).map { row in
            let name = row[0] ?? ""
            return FoundColumn(name: name, type: row[1] ?? "", notNull: row[2] == "NO",
                         pk: pk.firstIndex(of: name).map { $0 + 1 } ?? 0)
        }
    }
}
