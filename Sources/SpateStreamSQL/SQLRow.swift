/// One result row of a stream's SQL query, read by column position (from 0) or by name, as the closure given
/// to `DStream.sql` turns it into a record: `{ row in (row.text(0), row.integer(1)) }`.
///
/// The accessors do not throw, so a row closure reads like a tuple: a column read as the wrong type, a `NULL`
/// read by a non-optional accessor, or a column that does not exist is recorded (the first one per row), the
/// accessor returns a placeholder (`""`, `0`, `.nan`, `[]`), and when the closure returns, the batch fails with
/// `StreamSQLError.rowDecoding` naming the query, the row, the column and what it held. Read a column that may
/// be `NULL` (an outer join, `MAX` of nothing, a NaN, which SQLite stores as `NULL`) with the `...OrNil`
/// accessors.
///
/// A row is valid only inside the closure it is given to: the next row reuses its storage.
public struct SQLRow {
    let cursor: ResultCursor

    /// The result's column names, in order (as SQLite names them: the `AS` alias, else the expression).
    public var columnNames: [String] { cursor.names }

    /// The storage class of column `index` (`.null` for `NULL`), or nil when there is no such column.
    public func type(_ index: Int) -> SQLValueType? {
        cursor.names.indices.contains(index) ? cursor.statement.type(at: Int32(index)) : nil
    }

    /// Whether column `index` is `NULL` (a missing column counts as a problem, and is reported as not `NULL`).
    public func isNull(_ index: Int) -> Bool {
        guard let i = cursor.column(index) else { return false }
        return cursor.statement.type(at: i) == .null
    }

    /// Column `index` as text.
    public func text(_ index: Int) -> String { textOrNil(index, required: true) ?? "" }
    /// Column `index` as text, or nil for `NULL`.
    public func textOrNil(_ index: Int) -> String? { textOrNil(index, required: false) }
    /// Column `index` as an integer (a `REAL` is refused: `CAST` it, or read it with `real`).
    public func integer(_ index: Int) -> Int { integerOrNil(index, required: true) ?? 0 }
    /// Column `index` as an integer, or nil for `NULL`.
    public func integerOrNil(_ index: Int) -> Int? { integerOrNil(index, required: false) }
    /// Column `index` as a double (an `INTEGER` is widened, as SQLite's arithmetic does).
    public func real(_ index: Int) -> Double { realOrNil(index, required: true) ?? .nan }
    /// Column `index` as a double, or nil for `NULL` (also where a NaN was stored).
    public func realOrNil(_ index: Int) -> Double? { realOrNil(index, required: false) }
    /// Column `index` as bytes.
    public func blob(_ index: Int) -> [UInt8] { blobOrNil(index, required: true) ?? [] }
    /// Column `index` as bytes, or nil for `NULL`.
    public func blobOrNil(_ index: Int) -> [UInt8]? { blobOrNil(index, required: false) }

    /// Whether column `name` is `NULL`.
    public func isNull(_ name: String) -> Bool { isNull(cursor.index(of: name)) }
    /// Column `name` as text.
    public func text(_ name: String) -> String { text(cursor.index(of: name)) }
    /// Column `name` as text, or nil for `NULL`.
    public func textOrNil(_ name: String) -> String? { textOrNil(cursor.index(of: name)) }
    /// Column `name` as an integer.
    public func integer(_ name: String) -> Int { integer(cursor.index(of: name)) }
    /// Column `name` as an integer, or nil for `NULL`.
    public func integerOrNil(_ name: String) -> Int? { integerOrNil(cursor.index(of: name)) }
    /// Column `name` as a double.
    public func real(_ name: String) -> Double { real(cursor.index(of: name)) }
    /// Column `name` as a double, or nil for `NULL`.
    public func realOrNil(_ name: String) -> Double? { realOrNil(cursor.index(of: name)) }
    /// Column `name` as bytes.
    public func blob(_ name: String) -> [UInt8] { blob(cursor.index(of: name)) }
    /// Column `name` as bytes, or nil for `NULL`.
    public func blobOrNil(_ name: String) -> [UInt8]? { blobOrNil(cursor.index(of: name)) }

    private func textOrNil(_ index: Int, required: Bool) -> String? {
        cursor.read(index, .text, required: required) { s, i in s.type(at: i) == .text ? s.text(at: i) : nil }
    }

    private func integerOrNil(_ index: Int, required: Bool) -> Int? {
        cursor.read(index, .integer, required: required) { s, i in
            s.type(at: i) == .integer ? Int(s.integer(at: i)) : nil
        }
    }

    private func realOrNil(_ index: Int, required: Bool) -> Double? {
        cursor.read(index, .real, required: required) { s, i in
            switch s.type(at: i) {
            case .real: s.real(at: i)
            case .integer: Double(s.integer(at: i))
            default: nil
            }
        }
    }

    private func blobOrNil(_ index: Int, required: Bool) -> [UInt8]? {
        cursor.read(index, .blob, required: required) { s, i in s.type(at: i) == .blob ? s.blob(at: i) : nil }
    }
}

/// The query's result as its rows are read: the statement standing on the current row, the column names, and
/// the first problem the row closure met on this row.
final class ResultCursor {
    let statement: PreparedStatement
    let names: [String]
    private(set) var problem: SQLRowProblem?
    /// A name's position, for reads by name (the first column of that name, case-insensitively, as SQL does).
    private let positions: [String: Int]

    init(statement: PreparedStatement, names: [String]) {
        self.statement = statement
        self.names = names
        var positions: [String: Int] = [:]
        for (i, n) in names.enumerated().reversed() { positions[n.lowercased()] = i }
        self.positions = positions
    }

    /// Clears the recorded problem before the next row.
    func startRow() { problem = nil }

    /// The position of column `name`; a missing name is recorded, and -1 (no column) returned.
    func index(of name: String) -> Int {
        if let i = positions[name.lowercased()] { return i }
        record(.noSuchName(name: name, columns: names))
        return -1
    }

    /// Column `index` as SQLite's column number, or nil (recorded, unless a name was missing already) when
    /// there is no such column.
    func column(_ index: Int) -> Int32? {
        guard names.indices.contains(index) else {
            if index >= 0 || problem == nil { record(.noSuchIndex(index: index, columns: names)) }
            return nil
        }
        return Int32(index)
    }

    /// Reads column `index` with `get` (nil: not of the `expected` type); records a wrong type, or a `NULL`
    /// when the value is `required`.
    func read<V>(
        _ index: Int, _ expected: SQLValueType, required: Bool, _ get: (PreparedStatement, Int32) -> V?
    ) -> V? {
        guard let i = column(index) else { return nil }
        if let value = get(statement, i) { return value }
        let found = statement.type(at: i)
        if found != .null {
            record(.wrongType(index: index, name: names[index], expected: expected, found: found))
        } else if required {
            record(.null(index: index, name: names[index], expected: expected))
        }
        return nil
    }

    private func record(_ p: SQLRowProblem) { if problem == nil { problem = p } }
}
