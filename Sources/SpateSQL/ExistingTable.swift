import Spate

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
    /// Throws when the tables a sink found (`batches`: the bookkeeping table's columns; `table`: the layout's
    /// table's) differ from what it writes, naming both and what to change. The bookkeeping table is checked
    /// only when the sink `claimsBatches` in it (a versioned upsert and an output storing source offsets do
    /// not). `dialect` gives the database's type names and statements; `sink` and `place` name the sink and
    /// the database.
    package func checkExisting(
        batches: [FoundColumn], table found: [FoundColumn], claimsBatches: Bool, dialect: some SQLDialect,
        sink: String, place: String
    ) throws {
        if claimsBatches { try checkBatchesTable(batches, dialect: dialect, sink: sink, place: place) }
        let expected = tableColumns.map { c in
            FoundColumn(name: c.name, type: dialect.typeName(c.type), notNull: !c.nullable,
                        pk: (primaryKey.firstIndex { $0.lowercased() == c.name.lowercased() }).map { $0 + 1 } ?? 0)
        }
        guard found == expected else {
            throw SpateError.outputFailed(
                operation: "\(sink)(\(table))",
                reason: "\(place): table \(table) has columns \(FoundColumn.describe(found)) but \(sink)(mode: "
                    + "\(mode)) writes \(FoundColumn.describe(expected)): drop or rename the existing table "
                    + "(DROP TABLE \(table), and DELETE FROM \(Self.batchesTable) WHERE \"table\" = "
                    + "'\(table)'), or pass another table name")
        }
    }

    /// Throws when the bookkeeping table (its columns `batches`) is not the one this Spate claims batches in. A
    /// table of the earlier format (claims keyed by `(table, batch_time)`, no sink column) fails with the
    /// statements that migrate it (``SQLDialect/migrateBatchesTable``). It is not migrated here: a program of an
    /// earlier Spate still writing the database would then fail on every claim, so the migration is run by hand
    /// while no program writes the database.
    private func checkBatchesTable(
        _ batches: [FoundColumn], dialect: some SQLDialect, sink: String, place: String
    ) throws {
        let names = Set(batches.map { $0.name.lowercased() })
        let earlier = ["table", Self.batchTimeColumn, "rows"]
        if earlier.allSatisfy(names.contains), !names.contains(Self.sinkColumn) {
            throw SpateError.outputFailed(
                operation: "\(sink)(\(table))",
                reason: "\(place): table \(Self.batchesTable) has the format of an earlier Spate (batch claims keyed by "
                    + "(table, batch_time), so two outputs of one table skipped each other's batches); this one keys "
                    + "them by (table, sink, batch_time): stop every program writing \(place), then run "
                    + dialect.migrateBatchesTable.joined(separator: "; ")
                    + " (the recorded batches become claims of sink id '\(Self.defaultSink)', which outputs without "
                    + "sink: use), or drop the table")
        }
        let required = ["table", Self.sinkColumn, Self.batchTimeColumn, "rows"]
        if !required.allSatisfy(names.contains) {
            throw SpateError.outputFailed(
                operation: "\(sink)(\(table))",
                reason: "\(place): table \(Self.batchesTable) exists without the columns "
                    + "(\(required.joined(separator: ", "))) the sink records batches in: drop or rename that table, or use another database")
        }
    }
}
