import SpateSQL
import VaporCSQLite

/// One compiled statement of an `InMemoryDatabase`, run again and again (an `INSERT` per row, the query per
/// batch): its parameters bound by position from 1, its result read column by column from 0.
final class PreparedStatement {
    private let statement: OpaquePointer
    /// Keeps the connection open while the statement lives.
    private let database: InMemoryDatabase

    init(_ statement: OpaquePointer, database: InMemoryDatabase) {
        self.statement = statement
        self.database = database
    }

    deinit { _ = sqlite_nio_sqlite3_finalize(statement) }

    /// Whether the statement leaves the database unchanged (a `SELECT`).
    var isReadOnly: Bool { sqlite_nio_sqlite3_stmt_readonly(statement) != 0 }

    /// The names of the result's columns, in order.
    var columnNames: [String] {
        (0..<sqlite_nio_sqlite3_column_count(statement)).map { i in
            sqlite_nio_sqlite3_column_name(statement, i).map { String(cString: $0) } ?? "column \(i)"
        }
    }

    /// Binds `value` to parameter `index` (from 1).
    func bind(_ value: TableValue, at index: Int32) throws(DatabaseFailure) {
        let status: Int32
        switch value {
        case let .integer(v): status = sqlite_nio_sqlite3_bind_int64(statement, index, v)
        // SQLite has no NaN: a NaN bound as a double is stored as NULL.
        case let .real(v): status = sqlite_nio_sqlite3_bind_double(statement, index, v)
        case let .text(v):
            // The explicit length keeps NUL bytes inside the text.
            status = sqlite_nio_sqlite3_bind_text64(
                statement, index, v, UInt64(v.utf8.count), transient, UInt8(SQLITE_UTF8))
        case let .blob(v):
            status = v.isEmpty
                ? sqlite_nio_sqlite3_bind_zeroblob(statement, index, 0)
                : v.withUnsafeBytes { sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), transient) }
        case .null: status = sqlite_nio_sqlite3_bind_null(statement, index)
        }
        try check(status)
    }

    /// Runs an `INSERT` or `DELETE` to its end, then readies it for the next run.
    func run() throws(DatabaseFailure) {
        let status = sqlite_nio_sqlite3_step(statement)
        _ = sqlite_nio_sqlite3_reset(statement)
        guard status == SQLITE_DONE || status == SQLITE_ROW else { throw DatabaseFailure(message: database.lastError) }
    }

    /// Steps to the next result row: true when there is one, false at the end (the statement is then reset).
    func next() throws(DatabaseFailure) -> Bool {
        switch sqlite_nio_sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE:
            _ = sqlite_nio_sqlite3_reset(statement)
            return false
        default:
            let message = database.lastError
            _ = sqlite_nio_sqlite3_reset(statement)
            throw DatabaseFailure(message: message)
        }
    }

    /// Readies the statement to run from its start again (after a failure part way through its rows).
    func reset() { _ = sqlite_nio_sqlite3_reset(statement) }

    /// The storage class of column `i` of the current row.
    func type(at i: Int32) -> SQLValueType {
        switch sqlite_nio_sqlite3_column_type(statement, i) {
        case SQLITE_INTEGER: .integer
        case SQLITE_FLOAT: .real
        case SQLITE_TEXT: .text
        case SQLITE_BLOB: .blob
        default: .null
        }
    }

    /// Column `i` of the current row as an integer (its storage class checked by the caller).
    func integer(at i: Int32) -> Int64 { sqlite_nio_sqlite3_column_int64(statement, i) }

    /// Column `i` of the current row as a double.
    func real(at i: Int32) -> Double { sqlite_nio_sqlite3_column_double(statement, i) }

    /// Column `i` of the current row as text (UTF-8, `NUL` bytes kept).
    func text(at i: Int32) -> String {
        guard let bytes = sqlite_nio_sqlite3_column_text(statement, i) else { return "" }
        let count = Int(sqlite_nio_sqlite3_column_bytes(statement, i))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// Column `i` of the current row as bytes.
    func blob(at i: Int32) -> [UInt8] {
        let count = Int(sqlite_nio_sqlite3_column_bytes(statement, i))
        guard count > 0, let bytes = sqlite_nio_sqlite3_column_blob(statement, i) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    private func check(_ status: Int32) throws(DatabaseFailure) {
        guard status == SQLITE_OK else { throw DatabaseFailure(message: database.lastError) }
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies a bound text or blob before the call returns (the macro is not imported).
private var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

/// The storage class of a value in a SQLite result row.
public enum SQLValueType: String, Sendable, Equatable {
    /// A 64-bit integer.
    case integer
    /// A double.
    case real
    /// UTF-8 text.
    case text
    /// Bytes.
    case blob
    /// `NULL`.
    case null
}
