import CLibPQ
import Spate
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from PostgreSQL or libpq, with the server's (or libpq's) message.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// The message, as the server or libpq wrote it (trailing newlines removed).
    public let message: String
    /// The five-character SQLSTATE code when the server reported one (e.g. `23505` for a unique violation).
    public let sqlState: String?
    /// Whether the connection was lost or could not be made (the next use reconnects).
    public let connectionLost: Bool

    public var description: String {
        "PostgreSQL: " + message + (sqlState.map { " (SQLSTATE \($0))" } ?? "")
    }
}

/// One PostgreSQL connection over libpq, opened lazily and reopened after a failure.
///
/// Every libpq call that can block (connecting, running a statement, fetching its result, closing) runs on
/// Spate's pool of threads for blocking calls (`BlockingIO`), never on Swift's cooperative pool, so a slow
/// server blocks only one of those threads; `withSession` suspends the calling task until the work is done.
/// The `PGconn` lives inside a `Mutex` (the class is `Sendable` through it, with no unchecked conformance):
/// libpq connections must not be used from two threads at once, and the lock makes every use exclusive.
public final class PostgresConnection: Sendable {
    /// The libpq connection string, e.g. `host=127.0.0.1 port=5432 user=postgres dbname=spate`.
    public let conninfo: String
    /// `conninfo` without its password, as errors and logs show it.
    public let redactedConninfo: String
    private let handle: Mutex<OpaquePointer?>

    /// A connection to `conninfo` (libpq's `key=value` or `postgresql://` form); it connects on first use.
    public init(_ conninfo: String) {
        self.conninfo = conninfo
        self.redactedConninfo = RedactedConninfo.redact(conninfo)
        self.handle = Mutex(nil)
    }

    deinit {
        // Normally closed already (`close()`); this only frees a connection its owner forgot to close.
        handle.withLock { conn in
            if let c = conn { PQfinish(c) }
            conn = nil
        }
    }

    /// Runs `body` with the connected session on a thread for blocking calls (connecting first if needed) and
    /// returns its result. A connection-level failure closes the connection, so the next call reconnects.
    public func withSession<R: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> R) async throws -> R {
        try await BlockingIO.run { try self.runLocked(body) }
    }

    /// Runs `sql` with text parameters `$1, $2, ...` (`nil` is `NULL`) and returns the rows as text.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) async throws -> [[String?]] {
        try await withSession { try $0.query(sql, parameters) }
    }

    /// Closes the connection (a later use reconnects).
    public func close() async {
        _ = try? await BlockingIO.run {
            self.handle.withLock { conn in
                if let c = conn { PQfinish(c) }
                conn = nil
            }
        }
    }

    private func runLocked<R: Sendable>(_ body: (PostgresSession) throws -> R) throws -> R {
        try handle.withLock { (conn: inout OpaquePointer?) throws -> R in
            if let c = conn, PQstatus(c) != CONNECTION_OK {
                PQfinish(c)
                conn = nil
            }
            if conn == nil { conn = try Self.connect(conninfo) }
            let c = conn!
            do {
                return try body(PostgresSession(conn: c))
            } catch {
                if PQstatus(c) != CONNECTION_OK {
                    PQfinish(c)
                    conn = nil
                }
                throw error
            }
        }
    }

    /// Opens a libpq connection to `conninfo`, or throws a `PostgresError` (`connectionLost`) naming it.
    private static func connect(_ conninfo: String) throws -> OpaquePointer {
        guard let c = PQconnectdb(conninfo) else {
            throw PostgresError(message: "libpq could not allocate a connection", sqlState: nil, connectionLost: true)
        }
        guard PQstatus(c) == CONNECTION_OK else {
            let message = Self.clean(PQerrorMessage(c))
            PQfinish(c)
            throw PostgresError(
                message: "cannot connect to '\(RedactedConninfo.redact(conninfo))': \(message)", sqlState: nil, connectionLost: true)
        }
        // Server notices (e.g. "relation already exists, skipping") would go to stderr: drop them.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
        return c
    }

    /// Runs `body` on a new connection to `conninfo`, closed when it returns, blocking the calling thread: for
    /// short synchronous reads (such as `PostgresOffsetStore`'s) outside any `PostgresConnection`. Call it only
    /// from a thread that may block, never from a task on the cooperative pool.
    static func withTemporarySession<R>(_ conninfo: String, _ body: (PostgresSession) throws -> R) throws -> R {
        let c = try connect(conninfo)
        defer { PQfinish(c) }
        return try body(PostgresSession(conn: c))
    }

    static func clean(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        var s = String(cString: message)
        while s.last?.isNewline == true { s.removeLast() }
        return s
    }
}

/// The open connection inside `PostgresConnection.withSession`; valid only during that call.
public struct PostgresSession {
    fileprivate let conn: OpaquePointer

    /// Runs `sql` with text parameters `$1, $2, ...` (`nil` is `NULL`; types are inferred by the server) through
    /// `PQexecParams`, and returns the rows with every value as text (`nil` for `NULL`). Throws a
    /// `PostgresError` with the server's message when the statement fails.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        let cStrings: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.flatMap { strdup($0) } }
        defer { for p in cStrings { free(p) } }
        let result: OpaquePointer? = cStrings.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) {
                values in
                PQexecParams(conn, sql, Int32(parameters.count), nil, parameters.isEmpty ? nil : values, nil, nil, 0)
            }
        }
        guard let result else {
            throw PostgresError(
                message: PostgresConnection.clean(PQerrorMessage(conn)), sqlState: nil,
                connectionLost: PQstatus(conn) != CONNECTION_OK)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            throw PostgresError(
                message: PostgresConnection.clean(PQresultErrorMessage(result)), sqlState: state,
                connectionLost: PQstatus(conn) != CONNECTION_OK)
        }
        let rows = PQntuples(result), columns = PQnfields(result)
        var out: [[String?]] = []
        out.reserveCapacity(Int(rows))
        for r in 0..<rows {
            var row: [String?] = []
            row.reserveCapacity(Int(columns))
            for c in 0..<columns {
                row.append(PQgetisnull(result, r, c) != 0 ? nil : String(cString: PQgetvalue(result, r, c)))
            }
            out.append(row)
        }
        return out
    }

}
