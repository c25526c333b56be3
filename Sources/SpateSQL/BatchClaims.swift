/// The bookkeeping table ``TableLayout/batchesTable`` and the statements that claim a batch in it.
///
/// A claim is one row per (table, sink id, batch time): the sink id (`saveToSQLite(..., sink:)`,
/// `saveToPostgres(..., sink:)`) names the writer, as a Structured Streaming query name does, so two outputs
/// writing one table each skip only the batches they wrote themselves. The id must stay the same across
/// restarts: a batch re-run after recovery is skipped because the claim of the same sink id is found.
extension TableLayout {
    /// The bookkeeping table's column naming the writer of a claim.
    public static let sinkColumn = "sink"
    /// The sink id of an output given no `sink:`, and of the claims recorded before claims had sink ids.
    public static let defaultSink = "default"
    /// The name the migration of a bookkeeping table of the earlier format gives its new table while it copies
    /// the claims into it.
    package static let migratingBatchesTable = "spate_batches_keyed"
}

extension SQLDialect {
    /// The bookkeeping table's columns and primary key, as `CREATE TABLE` declares them after the table name.
    private var batchesTableBody: String {
        "(\(quote("table")) \(typeName(.text)) NOT NULL, \(TableLayout.sinkColumn) \(typeName(.text)) NOT NULL, "
            + "\(TableLayout.batchTimeColumn) \(typeName(.integer)) NOT NULL, rows \(typeName(.integer)) NOT NULL, "
            + "committed_at \(timestampDeclaration), PRIMARY KEY (\(claimKey)))"
    }

    /// The claim's key columns: `"table", sink, batch_time`.
    private var claimKey: String { "\(quote("table")), \(TableLayout.sinkColumn), \(TableLayout.batchTimeColumn)" }

    /// `CREATE TABLE IF NOT EXISTS` for the bookkeeping table ``TableLayout/batchesTable``: one row per
    /// (table, sink id, batch time) written, with the batch's row count and when it was committed.
    package var createBatchesTable: String {
        "CREATE TABLE IF NOT EXISTS \(quote(TableLayout.batchesTable)) " + batchesTableBody
    }

    /// Records a batch in the bookkeeping table unless it is recorded already, with the parameters (table,
    /// sink id, batch time in milliseconds, row count). It returns a row only when it recorded the batch, so
    /// one statement both checks and claims it; a concurrent writer of the same claim waits for the first to
    /// end.
    package var claimBatch: String {
        "INSERT INTO \(quote(TableLayout.batchesTable)) (\(claimKey), rows, committed_at) VALUES (\(placeholder(1)), "
            + "\(placeholder(2)), \(placeholder(3)), \(placeholder(4)), \(currentTimestamp)) "
            + "ON CONFLICT (\(claimKey)) DO NOTHING RETURNING 1"
    }

    /// The row count and commit time of the claim with the parameters (table, sink id, batch time in
    /// milliseconds): what a skipped batch's log line reports.
    package var recordedClaim: String {
        "SELECT rows, committed_at FROM \(quote(TableLayout.batchesTable)) WHERE \(quote("table")) = \(placeholder(1)) "
            + "AND \(TableLayout.sinkColumn) = \(placeholder(2)) AND \(TableLayout.batchTimeColumn) = \(placeholder(3))"
    }

    /// The statements, in order and in one transaction, that bring a bookkeeping table of the earlier format
    /// (claims keyed by `(table, batch_time)`, no sink column) to this one: a new table, every claim copied into
    /// it as a claim of ``TableLayout/defaultSink`` (so an output without `sink:` still skips the batches it
    /// wrote before), the old table dropped and the new one renamed. Both databases run them as they are.
    package var migrateBatchesTable: [String] {
        let (old, new) = (quote(TableLayout.batchesTable), quote(TableLayout.migratingBatchesTable))
        return [
            "BEGIN",
            "CREATE TABLE \(new) " + batchesTableBody,
            "INSERT INTO \(new) (\(claimKey), rows, committed_at) SELECT \(quote("table")), "
                + "'\(TableLayout.defaultSink)', \(TableLayout.batchTimeColumn), rows, committed_at FROM \(old)",
            "DROP TABLE \(old)",
            "ALTER TABLE \(new) RENAME TO \(old)",
            "COMMIT",
        ]
    }
}
