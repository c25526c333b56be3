/// The shape of a table a table sink writes (SQLite now, PostgreSQL later), database-neutral: the user's
/// columns, the key columns (upsert), the mode, and the sink's own columns.
///
/// - `.upsert`: the user's columns, then `batch_time` (the batch that last wrote the row); primary key: the key
///   columns.
/// - `.append`: `batch_time`, `seq`, then the user's columns; primary key: `(batch_time, seq)`.
///
/// Batches are recorded in ``TableLayout/batchesTable`` (`spate_batches(table, batch_time)`), in the same
/// transaction as their rows.
public struct TableLayout: Sendable, Equatable {
    /// The name of the bookkeeping table recording the batches written to every table.
    public static let batchesTable = "spate_batches"
    /// The sink's column holding a row's batch time in milliseconds.
    public static let batchTimeColumn = "batch_time"
    /// The sink's column numbering an append-mode batch's rows from 0.
    public static let seqColumn = "seq"

    /// The table name.
    public let table: String
    /// The write mode.
    public let mode: TableWriteMode
    /// The user's columns, in the order of each row's values.
    public let columns: [TableColumn]
    /// The primary key columns of an upsert table (empty for append).
    public let keyColumns: [String]

    /// A layout, validated: names are SQL identifiers (letters, digits, `_`, not starting with a digit, not
    /// `spate_batches`), the user's columns are unique and avoid `batch_time`/`seq`, and upsert has at least
    /// one key column, each one of `columns` and not nullable. Throws `SpateError.invalidArgument` saying
    /// what to change.
    public init(table: String, mode: TableWriteMode, columns: [TableColumn], keyColumns: [String]) throws {
        func bad(_ message: String) -> SpateError { .invalidArgument("table sink '\(table)': \(message)") }
        guard Self.isIdentifier(table) else {
            throw bad("the table name must be letters, digits and '_' (not starting with a digit), e.g. campaign_counts")
        }
        guard table.lowercased() != Self.batchesTable else {
            throw bad("'\(Self.batchesTable)' is the sink's bookkeeping table: choose another table name")
        }
        guard !columns.isEmpty else { throw bad("give at least one column") }
        var seen = Set<String>()
        for c in columns {
            guard Self.isIdentifier(c.name) else {
                throw bad("column name '\(c.name)' must be letters, digits and '_' (not starting with a digit)")
            }
            let lower = c.name.lowercased()
            guard lower != Self.batchTimeColumn, lower != Self.seqColumn else {
                throw bad("'\(c.name)' is one of the sink's own columns (batch_time, seq): rename the column")
            }
            guard seen.insert(lower).inserted else { throw bad("column '\(c.name)' appears twice: rename one") }
        }
        switch mode {
        case .upsert:
            guard !keyColumns.isEmpty else { throw bad("upsert needs at least one key column: pass key: [\"...\"]") }
            for k in keyColumns {
                guard let c = columns.first(where: { $0.name.lowercased() == k.lowercased() }) else {
                    throw bad("key column '\(k)' is not one of the columns \(columns.map(\.name))")
                }
                guard !c.nullable else { throw bad("key column '\(k)' cannot be nullable: make it non-optional") }
            }
            guard Set(keyColumns.map { $0.lowercased() }).count == keyColumns.count else {
                throw bad("a key column appears twice in \(keyColumns)")
            }
        case .append:
            break
        }
        self.table = table
        self.mode = mode
        self.columns = columns
        self.keyColumns = mode == .upsert ? keyColumns : []
    }

    /// Every column of the table, in table order, with the sink's own columns (`batch_time` is `NOT NULL`
    /// integer; so is `seq` in append mode).
    public var tableColumns: [TableColumn] {
        switch mode {
        case .upsert:
            return columns + [TableColumn(Self.batchTimeColumn, .integer)]
        case .append:
            return [TableColumn(Self.batchTimeColumn, .integer), TableColumn(Self.seqColumn, .integer)] + columns
        }
    }

    /// The table's primary key columns, in order.
    public var primaryKey: [String] {
        mode == .upsert ? keyColumns : [Self.batchTimeColumn, Self.seqColumn]
    }

    /// Whether `name` is a plain SQL identifier: ASCII letters, digits and `_`, not starting with a digit.
    public static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        func ok(_ s: Unicode.Scalar) -> Bool { s.isASCII && (s == "_" || s.properties.isAlphabetic || ("0"..."9").contains(s)) }
        return !("0"..."9").contains(first) && name.unicodeScalars.allSatisfy(ok)
    }
}
