/// Why a table sink (`saveToSQLite`, `saveToPostgres`) or a `TableLayout` was refused at definition, before
/// anything runs; each message says what to change.
public enum TableDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The layout of `table` is invalid; `reason` says which name, column or key and what to change.
    case invalidLayout(table: String, reason: String)
    /// The sink id `sink` of `operation` is empty, longer than 200 characters or not printable.
    case invalidSinkID(operation: String, sink: String)
    /// Another output of the program already writes `table` of `database` in `mode`, and one of the two appends
    /// (an append table is keyed by `(batch_time, seq)`, so the two outputs' rows would collide).
    case appendTableShared(operation: String, database: String, table: String, mode: TableWriteMode)
    /// Another output of the program already writes `table` of `database` under the sink id `sink`, so each
    /// would skip the other's batches as already written.
    case sinkIDShared(operation: String, database: String, table: String, sink: String)

    /// What was refused and what to change.
    public var description: String {
        switch self {
        case let .invalidLayout(table, reason):
            "table sink '\(table)': \(reason)"
        case let .invalidSinkID(operation, sink):
            "\(operation): sink id '\(sink)' must be 1 to 200 printable characters, e.g. sink: \"hourly-counts\""
        case let .appendTableShared(operation, database, table, mode):
            "\(operation): another output of this program already writes table \(table) of \(database) "
                + "(mode \(mode)), and an append table is keyed by (batch_time, seq), so two outputs' rows "
                + "collide: write each stream to a table of its own, or union the streams into one output"
        case let .sinkIDShared(operation, database, table, sink):
            "\(operation): another output of this program already writes table \(table) of \(database) "
                + "with sink id '\(sink)', so each would skip the other's batches as already written: give "
                + "each output its own sink: id (a stable name that survives restarts, e.g. sink: "
                + "\"hourly-counts\")"
        }
    }
}
