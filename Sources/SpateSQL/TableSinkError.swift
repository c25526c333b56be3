import Spate

/// Why a table sink (`saveToSQLite`, `saveToPostgres`) failed, with the error underneath: the database's or
/// the driver's own typed error (`PostgresError`, SQLiteNIO's `SQLiteError`), or what the row closure threw.
/// Checks that need no database (a row that does not fit the columns, a table with other columns) throw
/// `SpateError.outputFailed` instead.
public enum TableSinkError: Error, CustomStringConvertible {
    /// The database could not be opened or reached (`database` names the file or connection string).
    case connectionFailed(operation: String, database: String, underlying: any Error)
    /// Creating or checking the sink's tables failed in the database (`database` names the file or connection
    /// string).
    case schemaFailed(operation: String, database: String, underlying: any Error)
    /// The database rejected the batch of `batch`; its transaction was rolled back.
    case writeFailed(operation: String, batch: BatchTime, database: String, underlying: any Error)
    /// The sink's `row` closure threw for a record of the batch of `batch`.
    case rowFailed(operation: String, batch: BatchTime, underlying: any Error)

    /// The output operation that failed, such as `saveToPostgres(counts)`.
    public var operation: String {
        switch self {
        case let .connectionFailed(operation, _, _), let .schemaFailed(operation, _, _),
            let .writeFailed(operation, _, _, _), let .rowFailed(operation, _, _):
            operation
        }
    }

    /// The error underneath, as the database, the driver or the row closure threw it.
    public var underlying: any Error {
        switch self {
        case let .connectionFailed(_, _, error), let .schemaFailed(_, _, error), let .writeFailed(_, _, _, error),
            let .rowFailed(_, _, error):
            error
        }
    }

    /// What failed, the error underneath, and what to change.
    public var description: String {
        switch self {
        case let .connectionFailed(operation, database, error):
            "output operation \(operation) failed: cannot open \(database): \(error); check the path or connection "
                + "string, its permissions, and that the database server runs (scripts/postgres.sh start)"
        case let .schemaFailed(operation, database, error):
            "output operation \(operation) failed: creating or checking its tables in \(database): \(error); let "
                + "the database user create tables (or create them as the sink would), or use another database"
        case let .writeFailed(operation, batch, database, error):
            "output operation \(operation) failed: writing batch \(batch.milliseconds) ms to \(database): \(error); "
                + "the batch was rolled back: fix what the database reports, and the batch is written again when "
                + "the program recovers from its checkpoint"
        case let .rowFailed(operation, batch, error):
            "output operation \(operation) failed: the row closure threw \(error) for a record of batch "
                + "\(batch.milliseconds) ms: return values for every record, or filter out the records it "
                + "cannot map before the sink"
        }
    }
}
