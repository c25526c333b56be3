/// What the database sinks (SpateSQLite, SpatePostgres) share: the table check against an existing table,
/// the per-batch row mapping, and the `(key, value)` layout of pair streams. Each sink adds only its SQL
/// and its connection.

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
