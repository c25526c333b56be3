/// What the database sinks (SpateSQLite, SpatePostgres) share: the table check against an existing table,
/// the per-batch row mapping and row check, the in-batch combining of rows by key, the insert statement, and the
/// `(key, value)` layout of pair streams. Each sink adds only its dialect (quoting, placeholders, type names),
/// its bookkeeping and its connection.

/// One column of an existing table as a database's catalog reports it. Names and types compare
/// case-insensitively (catalogs differ in case).
package struct FoundColumn: Equatable, Sendable {
    package var name: String
    package var type: String
    package var notNull: Bool
    /// Position in the primary key (1-based), 0 when not part of it.
    package var pk: Int

    package init(name: String, type: String, notNull: Bool, pk: Int) {
        self.name = name
        self.type = type
        self.notNull = notNull
        self.pk = pk
    }

    package static func == (a: FoundColumn, b: FoundColumn) -> Bool {
        a.name.lowercased() == b.name.lowercased() && a.type.lowercased() == b.type.lowercased()
            && a.notNull == b.notNull && a.pk == b.pk
    }

    /// `(name type [NOT NULL], ..., PRIMARY KEY (...))`, for error messages.
    package static func describe(_ columns: [FoundColumn]) -> String {
        let pk = columns.filter { $0.pk > 0 }.sorted { $0.pk < $1.pk }.map(\.name)
        return "(" + columns.map { "\($0.name) \($0.type)\($0.notNull ? " NOT NULL" : "")" }.joined(separator: ", ")
            + ", PRIMARY KEY (" + pk.joined(separator: ", ") + "))"
    }
}

extension TableLayout {
    /// Throws when an existing table's columns (`found`) differ from what the sink writes, naming both and
    /// what to change. `typeName` is the database's name of each column type; `place` names the database.
    package func checkExisting(
        _ found: [FoundColumn], typeName: (TableColumnType) -> String, sink: String, place: String
    ) throws {
        let expected = tableColumns.map { c in
            FoundColumn(name: c.name, type: typeName(c.type), notNull: !c.nullable,
                        pk: (primaryKey.firstIndex { $0.lowercased() == c.name.lowercased() }).map { $0 + 1 } ?? 0)
        }
        guard found == expected else {
            throw SpateError.outputFailed(
                operation: "\(sink)(\(table))",
                reason: "\(place): table \(table) has columns \(FoundColumn.describe(found)) but \(sink)(mode: "
                    + "\(mode)) writes \(FoundColumn.describe(expected)): drop or rename the existing table "
                    + "(DROP TABLE \(table), and DELETE FROM \(TableLayout.batchesTable) WHERE \"table\" = "
                    + "'\(table)'), or pass another table name")
        }
    }
}

extension TableLayout {
    /// Throws `SpateError.outputFailed` for `operation` when row `index` of the batch at `time` does not fit the
    /// columns: one value per column, of the column's type (an integer is accepted for a real column), `NULL`
    /// only in nullable columns.
    package func checkRow(_ values: [TableValue], index: Int, time: BatchTime, operation: String) throws {
        guard values.count == columns.count else {
            throw SpateError.outputFailed(
                operation: operation,
                reason: "row \(index) of batch \(time.milliseconds) ms has \(values.count) values but the table has "
                    + "\(columns.count) columns \(columns.map(\.name)): return one value per column, in that order")
        }
        for (value, column) in zip(values, columns) {
            switch (value, column.type) {
            case (.integer, .integer), (.integer, .real), (.real, .real), (.text, .text), (.blob, .blob): continue
            case (.null, _) where column.nullable: continue
            default:
                throw SpateError.outputFailed(
                    operation: operation,
                    reason: "row \(index) of batch \(time.milliseconds) ms gives \(value) for column \(column): "
                        + "return a value of the column's type" + (column.nullable ? "" : " (or declare it nullable)"))
            }
        }
    }

    /// A batch's rows checked (``checkRow(_:index:time:operation:)``) and combined by key
    /// (``combineByKey(_:time:operation:)``): what a sink writes.
    package func checkedRows(_ rows: [[TableValue]], time: BatchTime, operation: String) throws -> [[TableValue]] {
        for (i, row) in rows.enumerated() { try checkRow(row, index: i, time: time, operation: operation) }
        return try combineByKey(rows, time: time, operation: operation)
    }

    /// A batch's checked rows (see ``checkRow(_:index:time:operation:)``) as one statement can write them, one
    /// row per key: `.append` keeps every row; `.upsert` keeps each key's last row, or with a version column the
    /// row with the highest version (the later row on a tie); `.accumulate` sums each key's values (integer
    /// columns exactly, throwing on `Int64` overflow; real columns as doubles). Keyed rows come in the order of
    /// each key's first row, and integers given for real columns become reals.
    ///
    /// Both databases' `INSERT ... ON CONFLICT DO UPDATE` need this: PostgreSQL rejects a statement updating one
    /// row twice, and the mode's semantics (sum, highest version) must not depend on the order rows are applied.
    package func combineByKey(_ rows: [[TableValue]], time: BatchTime, operation: String) throws -> [[TableValue]] {
        guard mode.isKeyed else { return rows }
        let keyIndexes = keyColumns.map { k in columns.firstIndex { $0.name == k }! }
        let realIndexes = columns.indices.filter { columns[$0].type == .real }
        let versionIndex = versionColumn.map { v in columns.firstIndex { $0.name == v }! }
        let summed = mode == .accumulate ? columns.indices.filter { !keyIndexes.contains($0) } : []
        var slot: [RowKey: Int] = [:]
        var out: [[TableValue]] = []
        out.reserveCapacity(rows.count)
        for var row in rows {
            for i in realIndexes { if case let .integer(v) = row[i] { row[i] = .real(Double(v)) } }
            let key = RowKey(values: keyIndexes.map { row[$0] })
            guard let at = slot[key] else {
                slot[key] = out.count
                out.append(row)
                continue
            }
            switch mode {
            case .accumulate:
                for i in summed {
                    switch (out[at][i], row[i]) {
                    case let (.integer(a), .integer(b)):
                        let (sum, overflow) = a.addingReportingOverflow(b)
                        guard !overflow else {
                            throw SpateError.outputFailed(
                                operation: operation,
                                reason: "batch \(time.milliseconds) ms: the sum of column \(columns[i].name) for key "
                                    + "\(key.values) overflows a 64-bit integer: declare the column .real, or write "
                                    + "smaller increments")
                        }
                        out[at][i] = .integer(sum)
                    case let (.real(a), .real(b)):
                        out[at][i] = .real(a + b)
                    default:
                        preconditionFailure("checkRow admits only numbers in accumulate columns")
                    }
                }
            case .upsert:
                if let v = versionIndex, case let .integer(stored) = out[at][v], case let .integer(new) = row[v],
                    new < stored
                {
                    continue
                }
                out[at] = row
            case .append:
                preconditionFailure("append rows are not combined")
            }
        }
        return out
    }

    /// One table row of a batch row's `values`, with the sink's columns (`batch_time`, and `seq` for append)
    /// where ``tableColumns`` has them.
    package func tableRow<V>(_ values: [V], batchTime: V, seq: @autoclosure () -> V) -> [V] {
        mode.isKeyed ? values + [batchTime] : [batchTime, seq()] + values
    }

    /// The insert statement for `rows` rows of ``tableColumns``, in the dialect given by `quote` (identifiers)
    /// and `placeholder` (the parameter numbered from 1): plain for append; for upsert
    /// `ON CONFLICT (key) DO UPDATE SET c = excluded.c, ...` (with a version column `... WHERE
    /// table.version <= excluded.version`); for accumulate `ON CONFLICT (key) DO UPDATE SET v = table.v +
    /// excluded.v, ...`. Both SQLite and PostgreSQL accept this `ON CONFLICT` form.
    package func insertStatement(rows: Int, quote: (String) -> String, placeholder: (Int) -> String) -> String {
        let all = tableColumns
        var sql = "INSERT INTO \(quote(table)) (" + all.map { quote($0.name) }.joined(separator: ", ") + ") VALUES "
        var n = 0
        for r in 0..<rows {
            sql += r > 0 ? ", (" : "("
            for c in 0..<all.count {
                n += 1
                sql += (c > 0 ? ", " : "") + placeholder(n)
            }
            sql += ")"
        }
        guard mode.isKeyed else { return sql }
        let target = quote(table)
        let updates = all.filter { !keyColumns.contains($0.name) }.map { c in
            let name = quote(c.name)
            let summed = mode == .accumulate && c.name != Self.batchTimeColumn
            return "\(name) = " + (summed ? "\(target).\(name) + excluded.\(name)" : "excluded.\(name)")
        }
        sql += " ON CONFLICT (" + keyColumns.map(quote).joined(separator: ", ") + ") DO UPDATE SET "
            + updates.joined(separator: ", ")
        if let v = versionColumn {
            sql += " WHERE \(target).\(quote(v)) <= excluded.\(quote(v))"
        }
        return sql
    }
}

/// The key columns' values of a row, hashable: reals compare as doubles with every NaN equal (as the databases'
/// key indexes treat them) and `-0.0` equal to `0.0`.
private struct RowKey: Hashable {
    let values: [TableValue]

    static func == (a: RowKey, b: RowKey) -> Bool {
        a.values.count == b.values.count && zip(a.values, b.values).allSatisfy { x, y in
            if case let .real(p) = x, case let .real(q) = y { return p == q || (p.isNaN && q.isNaN) }
            return x == y
        }
    }

    func hash(into h: inout Hasher) {
        for v in values {
            switch v {
            case let .integer(i): h.combine(0); h.combine(i)
            case let .real(d): h.combine(1); if d.isNaN { h.combine(Double.nan.bitPattern) } else { h.combine(d) }
            case let .text(s): h.combine(2); h.combine(s)
            case let .blob(b): h.combine(3); h.combine(b)
            case .null: h.combine(4)
            }
        }
    }
}

extension TableColumn {
    /// The `key` and `value` columns of a pair stream's table.
    package static func pair<K: TableValueConvertible, V: TableValueConvertible>(_: K.Type, _: V.Type) -> [TableColumn] {
        [TableColumn("key", K.tableColumnType, nullable: K.tableColumnNullable),
         TableColumn("value", V.tableColumnType, nullable: V.tableColumnNullable)]
    }
}

extension DStream {
    /// Registers a database sink's output: every batch's records mapped by `row` (a throwing `row` fails the
    /// output with the batch time), then handed to `write` with the batch time.
    package func saveRows(
        sink: String, table: String, row: @escaping @Sendable (T) throws -> [TableValue],
        write: @escaping @Sendable ([[TableValue]], BatchTime) async throws -> Void
    ) {
        foreachBatch(named: "\(sink)(\(table))") { batch, time in
            var rows: [[TableValue]] = []
            rows.reserveCapacity(batch.count)
            do {
                for part in batch.partitions { for record in part { rows.append(try row(record)) } }
            } catch {
                throw SpateError.outputFailed(
                    operation: "\(sink)(\(table))", reason: "the row closure threw \(error) (batch \(time))")
            }
            try await write(rows, time)
        }
    }
}
