// The only file of SpateStreamSQL that calls SQLite's C API (sqlite-nio's bundled copy, `VaporCSQLite`), with
// `PreparedStatement.swift`: every other file goes through these two types.
import VaporCSQLite

/// A private SQLite database in memory that one SQL operator owns: the tables its query reads, refilled from
/// each batch.
///
/// The calls are synchronous and CPU-bound: an in-memory database does no I/O, and this connection is its only
/// user (opened without SQLite's own mutex, guarded by the operator's `Mutex`), so no call ever waits for a file,
/// a lock or another thread. That is why they run in the operator's compute, like a `reduceByKey`'s hash table,
/// rather than on sqlite-nio's thread pool, whose async API a DStream's synchronous compute cannot await.
final class InMemoryDatabase {
    private var handle: OpaquePointer?

    /// SQLite's process-wide setup, done once before the first open (sqlite-nio does the same: concurrent
    /// first opens race on SQLite's global configuration otherwise).
    private static let initialized: Bool = { sqlite_nio_sqlite3_initialize() == SQLITE_OK }()

    /// Opens a new, empty database in memory.
    init() throws(DatabaseFailure) {
        _ = Self.initialized
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY | SQLITE_OPEN_NOMUTEX
        let status = sqlite_nio_sqlite3_open_v2(":memory:", &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            _ = sqlite_nio_sqlite3_close_v2(db)
            throw DatabaseFailure(message: "cannot open an in-memory SQLite database: \(message)")
        }
        handle = db
    }

    deinit {
        // close_v2 waits for the statements still alive (they finalize in their own deinit) to go first.
        _ = sqlite_nio_sqlite3_close_v2(handle)
    }

    /// SQLite's message for the last failed call on this connection.
    var lastError: String { String(cString: sqlite_nio_sqlite3_errmsg(handle)) }

    /// Runs `sql` (statements without parameters or results, such as `BEGIN` or `CREATE TABLE`).
    func execute(_ sql: String) throws(DatabaseFailure) {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite_nio_sqlite3_exec(handle, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? lastError
            sqlite_nio_sqlite3_free(message)
            throw DatabaseFailure(message: text)
        }
    }

    /// Compiles `sql`, which must be exactly one statement, for repeated runs.
    func prepare(_ sql: String) throws(DatabaseFailure) -> PreparedStatement {
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let status = sql.withCString { text in
            let status = sqlite_nio_sqlite3_prepare_v3(
                handle, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, &tail)
            // What follows the first statement, blanks and `;` aside, is a second statement.
            if status == SQLITE_OK, let tail, !String(cString: tail).allSatisfy({ $0.isWhitespace || $0 == ";" }) {
                return SQLITE_MISUSE
            }
            return status
        }
        if status == SQLITE_MISUSE, let statement {
            _ = sqlite_nio_sqlite3_finalize(statement)
            throw DatabaseFailure(message: "give one statement: the text goes on after the first one's end")
        }
        guard status == SQLITE_OK, let statement else {
            throw DatabaseFailure(message: status == SQLITE_OK ? "the text holds no statement" : lastError)
        }
        return PreparedStatement(statement, database: self)
    }
}

/// SQLite's refusal of a call, in its own words.
struct DatabaseFailure: Error, Sendable {
    /// SQLite's message.
    let message: String
}
