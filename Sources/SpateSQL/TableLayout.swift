import Spate

/// The shape of a table a table sink writes (SQLite, PostgreSQL), database-neutral: the user's columns, the key
/// columns (upsert, accumulate), the optional version column (upsert), the mode, and the sink's own columns.
///
/// - `.upsert`: the user's columns, then `batch_time` (the batch that last wrote the row); primary key: the key
///   columns. With a ``versionColumn``, a row replaces the stored one only when its version is at least the
///   stored version.
/// - `.accumulate`: as `.upsert`, but every non-key column is a non-nullable integer or real, and a row adds its
///   values to the stored row's.
/// - `.append`: `batch_time`, `seq`, then the user's columns; primary key: `(batch_time, seq)`.
///
/// Batches are claimed in ``TableLayout/batchesTable`` (`spate_batches(table, sink, batch_time)`, the sink id
/// naming the writer), in the same transaction as their rows, except for a versioned upsert (whose writes are
/// idempotent by version).
public struct TableLayout: Sendable, Equatable {
    /// The name of the bookkeeping table recording the batches written to every table.
    public static let batchesTable = "spate_batches"
    /// The name of the table where a sink stores source offsets with its batches (PostgreSQL's `offsets:`).
    public static let offsetsTable = "spate_offsets"
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
    /// The primary key columns of an upsert or accumulate table (empty for append), spelled as in `columns`.
    public let keyColumns: [String]
    /// The integer column whose value orders an upsert table's writes (nil: every write replaces), spelled as in
    /// `columns`: a row replaces the stored row only when its version is greater than or equal to the stored
    /// row's, and within one batch the row with the highest version per key wins.
    public let versionColumn: String?

    /// A layout, validated: names are SQL identifiers (letters, digits, `_`, not starting with a digit, not
    /// `spate_batches` or `spate_offsets`), the user's columns are unique and avoid `batch_time`/`seq`;
    /// upsert and accumulate have at least one key column, each one of `columns` and not nullable; accumulate's
    /// other columns are all non-nullable integer or real; a `versionColumn` is only for upsert and names a
    /// non-key, non-nullable integer column. Throws `TableDefinitionError.invalidLayout` saying what to change.
    public init(
        table: String, mode: TableWriteMode, columns: [TableColumn], keyColumns: [String],
        versionColumn: String? = nil
    ) throws {
        func bad(_ message: String) -> TableDefinitionError { .invalidLayout(table: table, reason: message) }
        guard Self.isIdentifier(table) else {
            throw bad("the table name must be letters, digits and '_' (not starting with a digit), e.g. campaign_counts")
        }
        for reserved in [Self.batchesTable, Self.offsetsTable] where table.lowercased() == reserved {
            throw bad("'\(reserved)' is one of the sink's bookkeeping tables: choose another table name")
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
        func column(_ name: String) -> TableColumn? { columns.first { $0.name.lowercased() == name.lowercased() } }
        var keys: [String] = []
        if mode.isKeyed {
            guard !keyColumns.isEmpty else {
                throw bad("\(mode) needs at least one key column: pass key: [\"...\"]")
            }
            for k in keyColumns {
                guard let c = column(k) else {
                    throw bad("key column '\(k)' is not one of the columns \(columns.map(\.name))")
                }
                guard !c.nullable else { throw bad("key column '\(k)' cannot be nullable: make it non-optional") }
                keys.append(c.name)
            }
            guard Set(keys.map { $0.lowercased() }).count == keys.count else {
                throw bad("a key column appears twice in \(keyColumns)")
            }
        }
        if mode == .accumulate {
            let keySet = Set(keys.map { $0.lowercased() })
            for c in columns where !keySet.contains(c.name.lowercased()) {
                guard c.type == .integer || c.type == .real, !c.nullable else {
                    throw bad("accumulate adds every non-key column, but '\(c)' is not a non-nullable integer or "
                        + "real column: make it TableColumn(\"\(c.name)\", .integer) or .real (non-optional), add "
                        + "it to key:, or use mode: .upsert")
                }
            }
        }
        var version: String?
        if let versionColumn {
            guard mode == .upsert else {
                throw bad("a version column only orders .upsert writes, not \(mode): drop version: or use mode: .upsert")
            }
            guard let c = column(versionColumn) else {
                throw bad("version column '\(versionColumn)' is not one of the columns \(columns.map(\.name))")
            }
            guard !keys.contains(where: { $0.lowercased() == c.name.lowercased() }) else {
                throw bad("version column '\(versionColumn)' is a key column: version by a non-key column")
            }
            guard c.type == .integer, !c.nullable else {
                throw bad("version column '\(c)' must be a non-nullable integer column: declare it "
                    + "TableColumn(\"\(c.name)\", .integer)")
            }
            version = c.name
        }
        self.table = table
        self.mode = mode
        self.columns = columns
        self.keyColumns = keys
        self.versionColumn = version
    }

    /// Every column of the table, in table order, with the sink's own columns (`batch_time` is `NOT NULL`
    /// integer; so is `seq` in append mode).
    public var tableColumns: [TableColumn] {
        mode.isKeyed
            ? columns + [TableColumn(Self.batchTimeColumn, .integer)]
            : [TableColumn(Self.batchTimeColumn, .integer), TableColumn(Self.seqColumn, .integer)] + columns
    }

    /// The table's primary key columns, in order.
    public var primaryKey: [String] {
        mode.isKeyed ? keyColumns : [Self.batchTimeColumn, Self.seqColumn]
    }

    /// Whether a batch is recorded in ``batchesTable`` (and skipped when already recorded): every layout but a
    /// versioned upsert, whose writes are idempotent by version and which several processes may write with the
    /// same batch times.
    public var recordsBatches: Bool { versionColumn == nil }

    /// Whether `name` is a plain SQL identifier: ASCII letters, digits and `_`, not starting with a digit.
    public static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        func ok(_ s: Unicode.Scalar) -> Bool { s.isASCII && (s == "_" || s.properties.isAlphabetic || ("0"..."9").contains(s)) }
        return !("0"..."9").contains(first) && name.unicodeScalars.allSatisfy(ok)
    }
}
