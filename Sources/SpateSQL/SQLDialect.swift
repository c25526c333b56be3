/// How one database spells the SQL a table sink runs. A dialect gives only what differs between databases
/// (type names, parameter placeholders, the timestamp column of the bookkeeping table); this protocol's
/// extension builds every statement from them, so SQLite and PostgreSQL share one implementation of the DDL,
/// the inserts with their `ON CONFLICT` clauses, and the batch claims (`BatchClaims.swift`).
///
/// Both databases accept the statements as built: double-quoted identifiers, `INSERT ... ON CONFLICT (...) DO
/// UPDATE SET c = excluded.c` (SQLite 3.24 and later) and `... DO NOTHING RETURNING 1` (SQLite 3.35 and later).
package protocol SQLDialect: Sendable {
    /// The database's name of a column type, as its catalog reports it for an existing table.
    func typeName(_ type: TableColumnType) -> String

    /// The `n`th parameter of a statement, counted from 1 (`?` in SQLite, `$n` in PostgreSQL).
    func placeholder(_ n: Int) -> String

    /// The type, constraints and default of the bookkeeping table's `committed_at` column.
    var timestampDeclaration: String { get }

    /// An expression giving the current time as `committed_at` stores it.
    var currentTimestamp: String { get }

    /// The expression `.accumulate` stores for a column of `type`: `stored + added`, failing the statement
    /// when an integer sum leaves the 64-bit range (PostgreSQL's `bigint` does; SQLite would turn it into a
    /// real).
    func sum(_ stored: String, _ added: String, type: TableColumnType) -> String
}

extension SQLDialect {
    /// `stored + added`: the database refuses an integer sum out of range itself.
    package func sum(_ stored: String, _ added: String, type: TableColumnType) -> String { "\(stored) + \(added)" }

    /// `name` as a double-quoted SQL identifier (any `"` in it doubled).
    package func quote(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// A column as `CREATE TABLE` declares it: `"name" type [NOT NULL]`.
    package func declaration(_ column: TableColumn) -> String {
        quote(column.name) + " " + typeName(column.type) + (column.nullable ? "" : " NOT NULL")
    }

    /// `CREATE TABLE IF NOT EXISTS` for the layout's table: every column of ``TableLayout/tableColumns`` and the
    /// layout's primary key.
    package func createTable(_ layout: TableLayout) -> String {
        "CREATE TABLE IF NOT EXISTS \(quote(layout.table)) ("
            + layout.tableColumns.map(declaration).joined(separator: ", ")
            + ", PRIMARY KEY (" + layout.primaryKey.map(quote).joined(separator: ", ") + "))"
    }

    /// The insert statement for `rows` rows of the layout's ``TableLayout/tableColumns``, parameters numbered
    /// row by row: plain for `.append`; for `.upsert` `ON CONFLICT (key) DO UPDATE SET c = excluded.c, ...`
    /// (with a version column, `... WHERE table.version <= excluded.version`: a row replaces the stored one only
    /// when its version is at least the stored version); for `.accumulate` `ON CONFLICT (key) DO UPDATE SET
    /// v = table.v + excluded.v, ...` (and `batch_time = excluded.batch_time`).
    package func insert(_ layout: TableLayout, rows: Int) -> String {
        let all = layout.tableColumns
        var sql = "INSERT INTO \(quote(layout.table)) (" + all.map { quote($0.name) }.joined(separator: ", ")
            + ") VALUES "
        var n = 0
        for r in 0..<rows {
            sql += r > 0 ? ", (" : "("
            for c in 0..<all.count {
                n += 1
                sql += (c > 0 ? ", " : "") + placeholder(n)
            }
            sql += ")"
        }
        guard layout.mode.isKeyed else { return sql }
        let target = quote(layout.table)
        let updates = all.filter { !layout.keyColumns.contains($0.name) }.map { c in
            let name = quote(c.name)
            let summed = layout.mode == .accumulate && c.name != TableLayout.batchTimeColumn
            return "\(name) = " + (summed ? sum("\(target).\(name)", "excluded.\(name)", type: c.type) : "excluded.\(name)")
        }
        sql += " ON CONFLICT (" + layout.keyColumns.map(quote).joined(separator: ", ") + ") DO UPDATE SET "
            + updates.joined(separator: ", ")
        if let v = layout.versionColumn {
            sql += " WHERE \(target).\(quote(v)) <= excluded.\(quote(v))"
        }
        return sql
    }

    /// A batch's rows (values in `layout.columns` order) as insert statements binding at most `maxParameters`
    /// parameters each: every statement's SQL and its parameters, each row with the sink's columns
    /// (`batchTime`, and `seq(i)` for the `i`th row in append mode). Lazy: each statement's parameters are
    /// built when it is reached.
    package func inserts<V>(
        _ layout: TableLayout, rows: [[V]], batchTime: V, seq: @escaping (Int) -> V, maxParameters: Int
    ) -> some Sequence<(sql: String, parameters: [V])> {
        let width = layout.tableColumns.count
        let perStatement = max(1, maxParameters / width)
        let full = rows.count >= perStatement ? insert(layout, rows: perStatement) : ""
        return stride(from: 0, to: rows.count, by: perStatement).lazy.map { start in
            let end = min(rows.count, start + perStatement)
            var parameters: [V] = []
            parameters.reserveCapacity((end - start) * width)
            for i in start..<end { parameters += layout.tableRow(rows[i], batchTime: batchTime, seq: seq(i)) }
            return (end - start == perStatement ? full : insert(layout, rows: end - start), parameters)
        }
    }
}
