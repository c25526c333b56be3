import Spate

/// PostgreSQL's dialect for a `TableLayout`: creating the tables if missing, verifying existing ones, the insert
/// statement's parameters, and values as libpq text parameters.
enum PostgresSchema {
    /// A double-quoted SQL identifier.
    static func quote(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// PostgreSQL's type name for a column type (as `information_schema.columns.data_type` reports it).
    static func typeName(_ type: TableColumnType) -> String {
        switch type {
        case .integer: "bigint"
        case .real: "double precision"
        case .text: "text"
        case .blob: "bytea"
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
        + "\"table\" text NOT NULL, batch_time bigint NOT NULL, rows bigint NOT NULL, "
        + "committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (\"table\", batch_time))"

    /// Records a batch unless it is recorded already: returns a row only when this transaction recorded it (a
    /// concurrent writer of the same batch waits for the first to commit, then gets no row).
    static let claimBatchStatement = "INSERT INTO \(quote(TableLayout.batchesTable)) (\"table\", batch_time, rows) "
        + "VALUES ($1, $2, $3) ON CONFLICT (\"table\", batch_time) DO NOTHING RETURNING 1"

    /// The advisory lock key serializing the sinks' `CREATE TABLE IF NOT EXISTS` (concurrent ones can fail on
    /// PostgreSQL's catalog constraints).
    static let schemaLockKey = "7365676174650001"

    /// The layout's insert statement for `rows` rows (`TableLayout.insertStatement`), with `$n` parameters.
    static func insertStatement(_ layout: TableLayout, rows: Int) -> String {
        layout.insertStatement(rows: rows, quote: quote, placeholder: { "$" + String($0) })
    }

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
            try s.query(createBatchesStatement)
            if offsets { try s.query(PostgresOffsets.createStatement) }
            try s.query(createStatement(layout))
            try s.query("COMMIT")
        } catch {
            _ = try? s.query("ROLLBACK")
            throw error
        }
        let batches = try columns(of: TableLayout.batchesTable, on: s)
        guard ["table", "batch_time", "rows"].allSatisfy({ name in batches.contains { $0.name == name } }) else {
            throw SpateError.outputFailed(
                operation: "saveToPostgres(\(layout.table))",
                reason: "\(place): table \(TableLayout.batchesTable) exists without the columns (table, batch_time, rows) "
                    + "the sink records batches in: drop or rename that table, or use another database")
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
            try columns(of: layout.table, on: s), typeName: typeName, sink: "saveToPostgres", place: place)
    }

    /// The columns of `table` in the current schema, in order, with their position in the primary key.
    static func columns(of table: String, on s: PostgresSession) throws -> [FoundColumn] {
        let pk = try s.query(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                + "WHERE i.indrelid = to_regclass($1::text) AND i.indisprimary "
                + "ORDER BY array_position(i.indkey::int2[], a.attnum)",
            [quote(table)]
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
