import Spate

extension DStream {
    /// Writes every batch's rows to `table` in the PostgreSQL database `connection` (a libpq connection string,
    /// e.g. `"host=127.0.0.1 port=5432 user=postgres dbname=spate"`). `row` maps a record to its column values,
    /// in the order of `columns`.
    ///
    /// Each batch is written in one transaction together with a row `(table, batch_time, rows)` in the
    /// bookkeeping table `spate_batches`; a batch whose time is already recorded there is skipped, so batches
    /// re-run after recovery (or by a second run over the same input) never write twice: exactly-once together
    /// with a replayable source. Modes:
    /// - `.upsert`: `key` names the primary key columns; a batch's row replaces the stored row with the same key
    ///   (`INSERT ... ON CONFLICT (key) DO UPDATE`; within one batch the last row per key wins), and a
    ///   `batch_time` column records the batch that last wrote it.
    /// - `.append`: rows are keyed by `(batch_time, seq)`, `seq` numbering the batch's rows from 0.
    ///
    /// Column types: integer -> `bigint`, real -> `double precision`, text -> `text`, blob -> `bytea`. Tables are
    /// created if missing; an existing table with other columns fails the first batch with a message saying
    /// what to change. The sink keeps one connection (libpq, Debian's libpq-dev) across batches, reconnecting
    /// after a failure, and runs its blocking calls on a dedicated queue, off the cooperative pool. A failed
    /// write (or a `row` that throws) fails the output, which stops the context and is rethrown by
    /// `awaitTermination()`. Invalid names throw `SpateError.invalidArgument` here.
    /// ```swift
    /// try clicks.saveToPostgres(
    ///     connection: "host=127.0.0.1 port=5432 user=postgres dbname=spate", table: "clicks", mode: .append,
    ///     columns: [TableColumn("user", .text), TableColumn("value", .real)]) { click in
    ///     [.text(click.user), .real(click.value)]
    /// }
    /// ```
    public func saveToPostgres(
        connection: String, table: String, mode: TableWriteMode, columns: [TableColumn], key: [String] = [],
        row: @escaping @Sendable (T) throws -> [TableValue]
    ) throws {
        let layout = try TableLayout(table: table, mode: mode, columns: columns, keyColumns: key)
        let sink = PostgresTableSink(conninfo: connection, layout: layout)
        saveRows(sink: "saveToPostgres", table: table, row: row) { rows, time in try await sink.write(rows, time: time) }
    }

    /// Writes every batch of `(key, value)` pairs to `table` (columns `key`, `value`) in the PostgreSQL database
    /// `connection`, as `saveToPostgres(connection:table:mode:columns:key:row:)`: `.upsert` (the default) keeps
    /// the latest value per key, with `key` as the primary key; `.append` keeps every pair, keyed by
    /// `(batch_time, seq)`. Column types follow `K` and `V` (`Int` -> bigint, `Double` -> double precision,
    /// `String` -> text, ...).
    /// ```swift
    /// try counts.saveToPostgres(
    ///     connection: "host=127.0.0.1 port=5432 user=postgres dbname=spate", table: "campaign_counts")
    /// ```
    public func saveToPostgres<K: TableValueConvertible, V: TableValueConvertible>(
        connection: String, table: String, mode: TableWriteMode = .upsert
    ) throws where T == (K, V) {
        try saveToPostgres(
            connection: connection, table: table, mode: mode,
            columns: TableColumn.pair(K.self, V.self), key: ["key"]
        ) { pair in [pair.0.tableValue, pair.1.tableValue] }
    }
}
