import Spate
// Programs that write `saveToPostgres(...)` name `TableColumn`, `TableValue` and `TableWriteMode`: they come
// with this module.
@_exported import SpateSQL

extension DStream {
    /// Writes every batch's rows to `table` in the PostgreSQL database `connection` (a libpq connection string,
    /// e.g. `"host=127.0.0.1 port=5432 user=postgres dbname=spate"`). `row` maps a record to its column values,
    /// in the order of `columns`.
    ///
    /// Each batch is written in one transaction together with its claim `(table, sink, batch_time, rows)` in the
    /// bookkeeping table `spate_batches`; a batch whose claim is already recorded there is skipped (logged at
    /// warning level with the recorded claim's row count and commit time), so batches re-run after recovery (or
    /// by a second run over the same input) never write twice: exactly-once together with a replayable source.
    ///
    /// `sink` names this output's claims, as a Structured Streaming query name or checkpoint location names a
    /// query: keep it the same across restarts (a batch re-run after recovery is skipped only because the claim
    /// of the same sink id is found), and give every output writing one table its own (two outputs of one
    /// program with the same `(connection, table, sink)` throw `TableDefinitionError` here; two
    /// connection strings that reach one database are not recognized as one). Two processes writing one table
    /// with the same sink id and no `offsets:` or `version:` claim each other's batches: each batch time is
    /// written by the first to reach it and skipped by the other (the warning says so); give each process its
    /// own sink id, or use `offsets:` (a consumer group's processes) or `version:`. Modes:
    /// - `.upsert`: `key` names the primary key columns; a batch's row replaces the stored row with the same key
    ///   (`INSERT ... ON CONFLICT (key) DO UPDATE`; within one batch the last row per key wins), and a
    ///   `batch_time` column records the batch that last wrote it.
    /// - `.accumulate`: as `.upsert`, but every non-key column must be a non-nullable integer or real, and a
    ///   batch's row adds its values to the stored row's (`ON CONFLICT (key) DO UPDATE SET v = table.v +
    ///   excluded.v`); rows with the same key within one batch are summed first. For running counts that survive
    ///   restarts: write each batch's increments.
    /// - `.append`: rows are keyed by `(batch_time, seq)`, `seq` numbering the batch's rows from 0 (so an append
    ///   table has one output: a second output of the program on it throws here).
    ///
    /// `version` (upsert only) names a non-key, non-nullable integer column that orders the writes: a row replaces
    /// the stored row only when its version is at least the stored one's (`... DO UPDATE SET ... WHERE
    /// table.version <= excluded.version`), and within one batch the row with the highest version per key wins.
    /// Such writes are idempotent, so the sink then records no batches in `spate_batches` (several processes of
    /// one consumer group write batches with the same batch times). Use it when each key lives in one source
    /// partition and the version is that partition's offset: a process that lost the partition cannot overwrite
    /// newer rows with stale ones.
    ///
    /// `offsets` (from a partitioned source such as Kafka's direct stream) stores the batch's source offsets in
    /// `spate_offsets("table", group_id, topic, partition, until_offset, committed_at)` in the batch's
    /// transaction, instead of recording the batch in `spate_batches`; read them back with
    /// ``PostgresOffsetStore`` to start the source where the last written batch ended. Each batch locks its
    /// partitions' rows (`SELECT ... FOR UPDATE`, so concurrent writers of a partition take turns) and compares
    /// the stored offsets with its ranges:
    /// - every partition's offset is absent or the range's `fromOffset`: the rows and the ranges' `untilOffset`s
    ///   are written, in one transaction;
    /// - every partition's offset is at or past its range's `untilOffset`: the batch was written before (a replay
    ///   after recovery) and is skipped;
    /// - otherwise another writer moved the offsets (a consumer group rebalance): nothing is written, a warning
    ///   is logged, and the source is rewound (`BatchOffsets.rewind`) to the stored offsets (to the range's
    ///   `fromOffset` for partitions without one), so it reads those partitions again from there.
    /// A batch time the source does not know fails the output. With several processes writing one table, prefer
    /// `.upsert` or `.accumulate`: `.append`'s `(batch_time, seq)` keys of different processes collide.
    ///
    /// `rejectedRows` says what happens to a row PostgreSQL refuses for its values (a data exception such as
    /// `bigint out of range` from an `.accumulate` sum, a constraint such as `NOT NULL`, text with a NUL
    /// character): by default it goes to the dead-letter table `<table>_rejected` (columns `sink`, `batch_time`,
    /// `seq`, `error`, `row`, `rejected_at`) in the batch's transaction, a warning is logged, and the stream
    /// goes on; `.failBatch` fails the batch instead. Errors that are not about a row (a lost connection, a
    /// server restart, a deadlock, a full disk) are retried with backoff for about 10 s, then fail the batch.
    /// See ``RejectedRowPolicy``.
    ///
    /// Column types: integer -> `bigint`, real -> `double precision`, text -> `text`, blob -> `bytea`. Tables are
    /// created if missing; an existing table with other columns, or a `spate_batches` of an earlier Spate (without
    /// the sink column), fails the first batch with a message saying what to change (for the latter, the statements
    /// that migrate it). The sink opens one connection (libpq, Debian's libpq-dev) before the first batch, keeps it
    /// across batches (reconnecting after a failure) and closes it when the context stops; its blocking libpq calls
    /// run on threads of their own, off the cooperative pool. A failed write (`TableSinkError`, holding the
    /// `PostgresError`) or a `row` that throws (`TableSinkError.rowFailed`) fails the output, which stops the
    /// context and is rethrown by `awaitTermination()`. Invalid names, and a mode, key or version that does not fit
    /// the columns, throw `TableDefinitionError` here.
    /// ```swift
    /// try clicks.saveToPostgres(
    ///     connection: "host=127.0.0.1 port=5432 user=postgres dbname=spate", table: "clicks", mode: .append,
    ///     columns: [TableColumn("user", .text), TableColumn("value", .real)]) { click in
    ///     [.text(click.user), .real(click.value)]
    /// }
    /// ```
    public func saveToPostgres(
        connection: String, table: String, mode: TableWriteMode, columns: [TableColumn], key: [String] = [],
        version: String? = nil, offsets: BatchOffsets? = nil, sink: String = TableLayout.defaultSink,
        rejectedRows: RejectedRowPolicy = .deadLetter(),
        row: @escaping @Sendable (T) throws -> [TableValue]
    ) throws {
        let layout = try TableLayout(table: table, mode: mode, columns: columns, keyColumns: key, versionColumn: version)
        let writer = PostgresTableSink(
            conninfo: connection, layout: layout, offsets: offsets, sink: sink,
            deadLetters: try DeadLetterTable(rejectedRows, layout: layout), logger: context.packageLogger)
        try save(
            to: writer, kind: "saveToPostgres", database: connection, table: table, sink: sink, mode: mode,
            claimsBatches: offsets == nil && layout.recordsBatches, row: row)
    }

    /// Writes every batch of `(key, value)` pairs to `table` (columns `key`, `value`) in the PostgreSQL database
    /// `connection`, as `saveToPostgres(connection:table:mode:columns:key:version:offsets:sink:row:)`: `.upsert`
    /// (the default) keeps the latest value per key, with `key` as the primary key; `.accumulate` adds each batch's
    /// value to the stored one (`V` must be a non-optional integer or double); `.append` keeps every pair, keyed by
    /// `(batch_time, seq)`. `offsets` stores the source offsets with each batch; `sink` names its claims;
    /// `rejectedRows` as there. Column
    /// types follow `K` and `V` (`Int` -> bigint, `Double` -> double precision, `String` -> text, ...).
    /// ```swift
    /// try counts.saveToPostgres(
    ///     connection: "host=127.0.0.1 port=5432 user=postgres dbname=spate", table: "campaign_counts")
    /// ```
    public func saveToPostgres<K: TableValueConvertible, V: TableValueConvertible>(
        connection: String, table: String, mode: TableWriteMode = .upsert, offsets: BatchOffsets? = nil,
        sink: String = TableLayout.defaultSink, rejectedRows: RejectedRowPolicy = .deadLetter()
    ) throws where T == (K, V) {
        try saveToPostgres(
            connection: connection, table: table, mode: mode,
            columns: TableColumn.pair(K.self, V.self), key: ["key"], offsets: offsets, sink: sink,
            rejectedRows: rejectedRows
        ) { pair in [pair.0.tableValue, pair.1.tableValue] }
    }
}
