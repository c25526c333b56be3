import Foundation
import Spate
// Programs that write `saveToSQLite(...)` name `TableColumn`, `TableValue` and `TableWriteMode`: they come with
// this module.
@_exported import SpateSQL

extension DStream {
    /// Writes every batch's rows to `table` in the SQLite database at `path` (created, with its folder, if
    /// missing). `row` maps a record to its column values, in the order of `columns`.
    ///
    /// Each batch is written in one transaction together with its claim `(table, sink, batch_time)` in the
    /// bookkeeping table `spate_batches`; a batch whose claim is already recorded there is skipped (logged at
    /// warning level with the recorded claim's row count and commit time), so batches re-run after recovery (or
    /// by a second run over the same input) never write twice.
    ///
    /// `sink` names this output's claims, as a Structured Streaming query name or checkpoint location names a
    /// query: keep it the same across restarts (a batch re-run after recovery is skipped only because the claim
    /// of the same sink id is found), and give every output writing one table its own (two outputs of one
    /// program with the same `(path, table, sink)` throw `TableDefinitionError` here). Two processes
    /// writing one table with the same sink id claim each other's batches: each batch time is written by the
    /// first to reach it and skipped by the other (the warning says so); give each process its own sink id, or
    /// use `version:`. Modes:
    /// - `.upsert`: `key` names the primary key columns; a batch's row replaces the stored row with the same
    ///   key (within one batch the last row per key wins), and a `batch_time` column records the batch that last
    ///   wrote it.
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
    /// Such writes are idempotent, so the sink then records no batches in `spate_batches`.
    ///
    /// `rejectedRows` says what happens to a row SQLite refuses for its values (a NaN, which SQLite stores as
    /// `NULL`, in a `NOT NULL` column; an `.accumulate` sum past the 64-bit range; a `.null` for a `NOT NULL`
    /// column): by default it goes to the dead-letter table `<table>_rejected` (columns `sink`, `batch_time`,
    /// `seq`, `error`, `row`, `rejected_at`) in the batch's transaction, a warning is logged, and the stream
    /// goes on; `.failBatch` fails the batch instead. Other errors (a busy or full database) are retried with
    /// backoff for about 10 s, then fail the batch. See ``RejectedRowPolicy``.
    ///
    /// Tables are created if missing; an existing table with other columns, or a `spate_batches` of an earlier Spate
    /// (without the sink column), fails the first batch with a message saying what to change (for the latter, the
    /// statements that migrate it). The sink opens one connection before the first batch and closes it when the
    /// context stops; writes run on SQLite's thread pool (sqlite-nio), off the cooperative pool. A failed write
    /// (`TableSinkError`, holding SQLite's error) or a `row` that throws (`TableSinkError.rowFailed`) fails the
    /// output, which stops the context and is rethrown by `awaitTermination()`. Invalid names, and a mode, key or
    /// version that does not fit the columns, throw `TableDefinitionError` here.
    /// ```swift
    /// try clicks.saveToSQLite(
    ///     path: "out.sqlite", table: "clicks", mode: .append,
    ///     columns: [TableColumn("user", .text), TableColumn("value", .real)]) { click in
    ///     [.text(click.user), .real(click.value)]
    /// }
    /// ```
    public func saveToSQLite(
        path: String, table: String, mode: TableWriteMode, columns: [TableColumn], key: [String] = [],
        version: String? = nil, sink: String = TableLayout.defaultSink,
        rejectedRows: RejectedRowPolicy = .deadLetter(),
        row: @escaping @Sendable (T) throws -> [TableValue]
    ) throws {
        let layout = try TableLayout(table: table, mode: mode, columns: columns, keyColumns: key, versionColumn: version)
        let deadLetters = try DeadLetterTable(rejectedRows, layout: layout)
        try save(
            to: SQLiteTableSink(path: path, layout: layout, sink: sink, deadLetters: deadLetters), kind: "saveToSQLite",
            database: URL(fileURLWithPath: path).standardizedFileURL.path, table: table, sink: sink, mode: mode,
            claimsBatches: layout.recordsBatches, row: row)
    }

    /// Writes every batch of `(key, value)` pairs to `table` (columns `key`, `value`) in the SQLite database at
    /// `path`, as `saveToSQLite(path:table:mode:columns:key:version:sink:row:)` (`sink` names its claims): `.upsert`
    /// (the default) keeps the latest value per key, with `key` as the primary key; `.accumulate` adds each batch's
    /// value to the stored one (`V` must be a non-optional integer or double); `.append` keeps every pair, keyed by
    /// `(batch_time, seq)`. Column types follow `K` and `V` (`Int` -> INTEGER, `Double` -> REAL, `String` -> TEXT,
    /// ...). `rejectedRows` as there.
    /// ```swift
    /// try counts.saveToSQLite(path: "counts.sqlite", table: "campaign_counts")
    /// ```
    public func saveToSQLite<K: TableValueConvertible, V: TableValueConvertible>(
        path: String, table: String, mode: TableWriteMode = .upsert, sink: String = TableLayout.defaultSink,
        rejectedRows: RejectedRowPolicy = .deadLetter()
    ) throws where T == (K, V) {
        try saveToSQLite(
            path: path, table: table, mode: mode,
            columns: TableColumn.pair(K.self, V.self), key: ["key"], sink: sink, rejectedRows: rejectedRows
        ) { pair in [pair.0.tableValue, pair.1.tableValue] }
    }
}
