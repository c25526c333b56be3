/// How a table sink (SQLite, PostgreSQL) writes each batch's rows.
///
/// Every mode is batch-keyed by default: a batch's rows are written in one transaction together with a bookkeeping
/// row `(table, sink, batch_time)` (the sink id naming the output), and a batch whose row is already recorded is
/// skipped, so re-running batches after recovery never writes the same batch twice. (An upsert with a version
/// column, and a PostgreSQL sink storing source offsets, replace that bookkeeping with their own guard.)
public enum TableWriteMode: String, Sendable, Equatable, CustomStringConvertible {
    /// The key columns are the table's primary key; a batch's row replaces the stored row with the same key
    /// (keys absent from the batch keep their earlier values). Each row also records the `batch_time` that
    /// last wrote it. Within one batch the last row per key wins; with a version column, the row with the
    /// highest version wins, and it replaces the stored row only when its version is at least the stored one's.
    case upsert
    /// Every row is kept; rows are keyed by `(batch_time, seq)`, `seq` counting the batch's rows from 0.
    case append
    /// As `.upsert`, the key columns are the primary key and `batch_time` records the batch that last wrote a
    /// row, but a batch's row adds its values to the stored row's (`v = stored.v + new.v`) instead of replacing
    /// them; a new key is inserted as is. Every non-key column must be a non-nullable integer or real column.
    /// Rows with the same key within one batch are summed first. Use it for running counts or sums that
    /// survive restarts: write each batch's increments (e.g. `countByValue()` of the batch, not a running
    /// state), and the table holds the totals.
    case accumulate

    /// Whether rows are keyed by the user's key columns (`.upsert`, `.accumulate`).
    public var isKeyed: Bool { self != .append }

    public var description: String { "." + rawValue }
}
