import Spate

/// Why a SQL query on a stream (`DStream.sql`) was refused or failed; each message names the query and says
/// what to change.
///
/// Definition errors (`invalidQuery`, `invalidColumns`, `invalidHistory`) are found when `sql` is called and
/// thrown by `StreamingContext.start()`; the others fail the batch they happen in, which stops the context and
/// is rethrown by `awaitTermination()`.
public enum StreamSQLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// SQLite refused to compile `query` (`message` is SQLite's), or it is not one read-only statement.
    case invalidQuery(query: String, message: String)
    /// The columns of table `table` cannot be made from the element type or the declaration: `reason` says why.
    case invalidColumns(query: String, table: String, reason: String)
    /// The `over:` history cannot be built (`reason` says why: a count below 1, a length that is not a
    /// multiple of the batch interval, ...).
    case invalidHistory(query: String, reason: String)
    /// Loading the rows of the batch at `batch` into `table` failed (`message` is SQLite's or the row's).
    case loadFailed(query: String, table: String, batch: BatchTime, message: String)
    /// Running `query` on the batch at `batch` failed (`message` is SQLite's: an integer overflow in `SUM`, ...).
    case queryFailed(query: String, batch: BatchTime, message: String)
    /// Result row `row` (from 0) of `query` at `batch` could not be read as the row closure asked: `problem`
    /// names the column and what was found.
    case rowDecoding(query: String, batch: BatchTime, row: Int, problem: SQLRowProblem)

    /// What went wrong and what to change.
    public var description: String {
        switch self {
        case let .invalidQuery(query, message):
            "sql(\"\(query)\"): SQLite refuses the query: \(message): fix the SQL (the tables are named as sql's "
                + "documentation says: batch, and the joined stream's name)"
        case let .invalidColumns(query, table, reason):
            "sql(\"\(query)\"): cannot make the columns of table \(table): \(reason)"
        case let .invalidHistory(query, reason):
            "sql(\"\(query)\"): over: \(reason)"
        case let .loadFailed(query, table, batch, message):
            "sql(\"\(query)\"): loading batch \(batch.milliseconds) ms into table \(table) failed: \(message)"
        case let .queryFailed(query, batch, message):
            "sql(\"\(query)\"): the query failed on batch \(batch.milliseconds) ms: \(message)"
        case let .rowDecoding(query, batch, row, problem):
            "sql(\"\(query)\"): result row \(row) of batch \(batch.milliseconds) ms: \(problem)"
        }
    }
}

/// Why a result row's column could not be read as asked (see `SQLRow`).
public enum SQLRowProblem: Sendable, Equatable, CustomStringConvertible {
    /// Column `index` (`name`) holds a value of type `found`, not the `expected` one.
    case wrongType(index: Int, name: String, expected: SQLValueType, found: SQLValueType)
    /// Column `index` (`name`) is `NULL`.
    case null(index: Int, name: String, expected: SQLValueType)
    /// There is no column `index`: the result has `columns`.
    case noSuchIndex(index: Int, columns: [String])
    /// There is no column named `name`: the result has `columns`.
    case noSuchName(name: String, columns: [String])

    /// The column, what it holds, and what to change.
    public var description: String {
        switch self {
        case let .wrongType(index, name, expected, found):
            "column \(index) (\(name)) holds \(found), not \(expected): read it with row.\(found.accessor)(\(index)), "
                + "or CAST it in the query"
        case let .null(index, name, expected):
            "column \(index) (\(name)) is NULL: read it with row.\(expected.accessor)OrNil(\(index)), or use "
                + "COALESCE in the query" + (expected == .real ? " (SQLite stores NaN as NULL)" : "")
        case let .noSuchIndex(index, columns):
            "there is no column \(index): the query's result has \(columns.count) columns \(columns) (from 0)"
        case let .noSuchName(name, columns):
            "there is no column named '\(name)': the query's result has the columns \(columns) (name them with AS)"
        }
    }
}

extension SQLValueType {
    /// The `SQLRow` accessor that reads a value of this type.
    var accessor: String {
        switch self {
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        case .null: "isNull"
        }
    }
}
