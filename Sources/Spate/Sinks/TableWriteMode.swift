/// How a table sink (SQLite now, PostgreSQL later) writes each batch's rows.
///
/// Both modes are batch-keyed: a batch's rows are written in one transaction together with a bookkeeping row
/// `(table, batch_time)`, and a batch time that is already recorded is skipped, so re-running batches after
/// recovery never writes the same batch twice.
public enum TableWriteMode: String, Sendable, Equatable, CustomStringConvertible {
    /// The key columns are the table's primary key; a batch's row replaces the stored row with the same key
    /// (keys absent from the batch keep their earlier values). Each row also records the `batch_time` that
    /// last wrote it.
    case upsert
    /// Every row is kept; rows are keyed by `(batch_time, seq)`, `seq` counting the batch's rows from 0.
    case append

    public var description: String { "." + rawValue }
}
