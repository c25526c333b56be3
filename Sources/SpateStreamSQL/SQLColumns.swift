import SpateSQL

/// How a stream's elements become the rows of a query's table: the columns (SpateSQL's `TableColumn`, as the
/// table sinks declare them) and each element's values.
///
/// `DStream.sql` derives them from the element type where it can: a scalar (`String`, `Int`, `Double`, ...: one
/// column `value`, as Spark names a Dataset's single column), a pair or triple of scalars (`key`, `value`; `_1`,
/// `_2`, `_3`), or a `Codable` struct of scalars (one column per stored property, optionals nullable). Declare
/// them for anything else, or to rename:
/// ```swift
/// let columns = SQLColumns<Click>.declared([TableColumn("user", .text), TableColumn("ms", .integer)]) { click in
///     [.text(click.user), .integer(click.ms)]
/// }
/// ```
/// Every table also has a last column `batch_time` (the element's batch time in milliseconds), which tells the
/// batches of an `over:` history apart.
public struct SQLColumns<T>: Sendable {
    /// The columns, in the order of each row's values.
    public let columns: [TableColumn]
    /// Why the columns could not be made from the type (reported by `start()`), or nil.
    let problem: String?
    /// Binds one element's values, in `columns` order.
    let bind: @Sendable (T, inout RowBinder) throws -> Void

    init(columns: [TableColumn], problem: String? = nil, bind: @escaping @Sendable (T, inout RowBinder) throws -> Void) {
        self.columns = columns
        self.problem = problem
        self.bind = bind
    }

    /// Declared columns, and each element's values in their order: one value per column, of the column's
    /// type (an integer is accepted for a real column), `.null` only in a nullable column; a row that does not
    /// fit fails its batch with `StreamSQLError.loadFailed` saying which value.
    public static func declared(
        _ columns: [TableColumn], values: @escaping @Sendable (T) throws -> [TableValue]
    ) -> SQLColumns {
        SQLColumns(columns: columns) { element, binder in
            let row = try values(element)
            guard row.count == columns.count else {
                throw RowMismatch(
                    reason: "the values closure gives \(row.count) values for the \(columns.count) columns "
                        + "\(columns.map(\.name)): give one value per column, in that order")
            }
            for value in row { try binder.append(value) }
        }
    }
}

extension SQLColumns where T: TableValueConvertible {
    /// One column, `name` (`value` by default), of the element's type.
    public static func value(named name: String = "value") -> SQLColumns {
        SQLColumns(columns: [TableColumn(name, T.tableColumnType, nullable: T.tableColumnNullable)]) { v, binder in
            try binder.append(v.tableValue)
        }
    }
}

extension SQLColumns {
    /// Two columns, `first` and `second` (`key` and `value`, as the table sinks name a pair's columns).
    public static func pair<A: TableValueConvertible, B: TableValueConvertible>(
        _ first: String = "key", _ second: String = "value"
    ) -> SQLColumns where T == (A, B) {
        let pair = TableColumn.pair(A.self, B.self)
        return SQLColumns(columns: [
            TableColumn(first, pair[0].type, nullable: pair[0].nullable),
            TableColumn(second, pair[1].type, nullable: pair[1].nullable),
        ]) { v, binder in
            try binder.append(v.0.tableValue)
            try binder.append(v.1.tableValue)
        }
    }

    /// Three columns, `_1`, `_2`, `_3` unless named.
    public static func triple<A: TableValueConvertible, B: TableValueConvertible, C: TableValueConvertible>(
        _ first: String = "_1", _ second: String = "_2", _ third: String = "_3"
    ) -> SQLColumns where T == (A, B, C) {
        SQLColumns(columns: [
            TableColumn(first, A.tableColumnType, nullable: A.tableColumnNullable),
            TableColumn(second, B.tableColumnType, nullable: B.tableColumnNullable),
            TableColumn(third, C.tableColumnType, nullable: C.tableColumnNullable),
        ]) { v, binder in
            try binder.append(v.0.tableValue)
            try binder.append(v.1.tableValue)
            try binder.append(v.2.tableValue)
        }
    }
}

/// Binds one row's values to a table's `INSERT`, parameter by parameter.
struct RowBinder {
    let statement: PreparedStatement
    private(set) var next: Int32 = 1

    init(statement: PreparedStatement) { self.statement = statement }

    /// Binds the next column's value.
    mutating func append(_ value: TableValue) throws {
        do {
            try statement.bind(value, at: next)
        } catch {
            throw RowMismatch(reason: "column \(next - 1): \(error.message)")
        }
        next += 1
    }
}

/// An element whose values do not fit the table's columns.
struct RowMismatch: Error, Sendable {
    let reason: String
}
