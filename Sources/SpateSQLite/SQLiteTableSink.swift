import Foundation
import Spate
import SpateSQL
import SQLiteNIO
import Synchronization

/// Writes batches to one table of one SQLite file, batch-keyed: each batch's rows and its `spate_batches` claim
/// (table, sink id, batch time) go in one transaction, and a batch whose claim is already recorded is skipped
/// (a versioned upsert records no batches: its writes are idempotent by version).
///
/// The sink keeps one connection from `open()` (before the first batch) to `close()` (when the context stops).
/// Every SQLite call runs on sqlite-nio's `NIOThreadPool`; the calling task only awaits. Batches of one output
/// run one after another, and SQLite's `BEGIN IMMEDIATE` plus sqlite-nio's busy handler serialize concurrent
/// writers of the same file.
final class SQLiteTableSink: TableWriter {
    let path: String
    let layout: TableLayout
    /// The sink id the batches are claimed under.
    let sink: String
    /// Where rows SQLite refuses for their values go (nil: they fail the batch).
    let deadLetters: DeadLetterTable?
    private let connection = Mutex<SQLiteConnection?>(nil)
    /// How many connections the sink opened: one for its life.
    let connectionsOpened = Atomic<Int>(0)

    /// The most variables one statement binds (SQLite's default limit is 32766).
    static let maxVariables = 30_000

    init(path: String, layout: TableLayout, sink: String = TableLayout.defaultSink, deadLetters: DeadLetterTable? = nil) {
        self.path = path
        self.layout = layout
        self.sink = sink
        self.deadLetters = deadLetters
    }

    private var operation: String { TableLayout.operation("saveToSQLite", table: layout.table, sink: sink) }
    private var database: String { "SQLite database \(path)" }

    /// Opens the database file (creating it and its folder if missing), then creates or verifies the tables.
    func open() async throws {
        let db: SQLiteConnection
        do {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            db = try await SQLiteConnection.open(storage: .file(path: path))
        } catch {
            throw TableSinkError.connectionFailed(operation: operation, database: database, underlying: error)
        }
        connectionsOpened.add(1, ordering: .relaxed)
        do {
            try await SQLiteSchema.prepare(layout, on: db, path: path)
        } catch {
            try? await db.close()
            if error is SpateError { throw error }
            throw TableSinkError.schemaFailed(operation: operation, database: database, underlying: error)
        }
        connection.withLock { $0 = db }
    }

    /// Writes `rows` (values in `layout.columns` order) as the batch of `time`, or skips it when its claim is
    /// recorded already. With a dead-letter table, rows refused for their values are set aside (see
    /// ``RejectedRowPolicy``); other errors are retried (``WriteRetry``), then fail the batch.
    @discardableResult
    func write(_ rows: [[TableValue]], time: BatchTime) async throws -> TableWriteOutcome {
        let admitted: [[TableValue]], refused: [RejectedRow]
        if deadLetters == nil {
            (admitted, refused) = (try layout.checkedRows(rows, time: time, operation: operation), [])
        } else {
            (admitted, refused) = try layout.admittedRows(rows, time: time, operation: operation)
        }
        let binds = admitted.map { data($0) }
        guard let db = connection.withLock({ $0 }) else {
            throw SpateError.notActive("\(operation) at batch \(time) (the sink is not open)")
        }
        do {
            return try await WriteRetry.run(retryable: { !Self.refusesRow($0) }) {
                do {
                    return try await transaction(
                        binds, admitted: admitted, refused: refused, rowCount: rows.count, time: time, on: db)
                } catch where deadLetters != nil && Self.refusesRow(error) {
                    // One row is refused: the batch again, row by row, setting the refused ones aside.
                    return try await transaction(
                        binds, admitted: admitted, refused: refused, rowCount: rows.count, time: time, on: db,
                        rowByRow: true)
                }
            }
        } catch {
            throw TableSinkError.writeFailed(operation: operation, batch: time, database: database, underlying: error)
        }
    }

    /// Whether SQLite refused a statement for the values it writes (a constraint such as `NOT NULL`, a type
    /// mismatch, a value too big, the integer overflow of an `.accumulate` sum), rather than for the database
    /// itself (busy, full, I/O).
    static func refusesRow(_ error: any Error) -> Bool {
        guard let error = error as? SQLiteError else { return false }
        switch error.reason {
        case .mismatch, .tooBig, .range: return true
        case .error: return error.message.contains("integer overflow")
        // The constraint reasons are many (constraintNotNullFailed, constraintCheckFailed, ...).
        default: return "\(error.reason)".hasPrefix("constraint")
        }
    }

    /// Closes the connection.
    func close() async throws {
        guard let db = connection.withLock({ c in defer { c = nil }; return c }) else { return }
        do {
            try await db.close()
        } catch {
            throw TableSinkError.connectionFailed(operation: operation, database: database, underlying: error)
        }
    }

    /// One batch's transaction: claim the batch (skip it if recorded, reading the recorded claim), insert the
    /// rows (`rowByRow`: each under a savepoint, the ones SQLite refuses set aside), insert the refused rows into
    /// the dead-letter table, commit (a versioned upsert neither claims nor records).
    private func transaction(
        _ rows: [[SQLiteData]], admitted: [[TableValue]], refused: [RejectedRow], rowCount: Int, time: BatchTime,
        on db: SQLiteConnection, rowByRow: Bool = false
    ) async throws -> TableWriteOutcome {
        let dialect = SQLiteSchema.dialect
        let batchTime = SQLiteData.integer(SQLiteInt64(time.milliseconds))
        _ = try await db.query("BEGIN IMMEDIATE")
        do {
            if layout.recordsBatches {
                let key: [SQLiteData] = [.text(layout.table), .text(sink), batchTime]
                let claimed = try await db.query(dialect.claimBatch, key + [.integer(SQLiteInt64(rowCount))])
                if claimed.isEmpty {
                    let recorded = try await db.query(dialect.recordedClaim, key).first
                    _ = try await db.query("ROLLBACK")
                    return .alreadyClaimed(
                        rows: recorded?.column("rows")?.integer.map { Int64($0) },
                        committedAt: recorded?.column("committed_at")?.string)
                }
            }
            var refused = refused
            if rowByRow {
                for (i, row) in rows.enumerated() {
                    let single = dialect.inserts(
                        layout, rows: [row], batchTime: batchTime, seq: { _ in .integer(SQLiteInt64(i)) },
                        maxParameters: Self.maxVariables)
                    _ = try await db.query("SAVEPOINT spate_row")
                    do {
                        for insert in single { _ = try await db.query(insert.sql, insert.parameters) }
                    } catch where Self.refusesRow(error) {
                        _ = try await db.query("ROLLBACK TO spate_row")
                        refused.append(RejectedRow(values: admitted[i], reason: "\(error)"))
                    }
                    _ = try await db.query("RELEASE spate_row")
                }
            } else {
                for insert in dialect.inserts(
                    layout, rows: rows, batchTime: batchTime, seq: { .integer(SQLiteInt64($0)) },
                    maxParameters: Self.maxVariables)
                {
                    _ = try await db.query(insert.sql, insert.parameters)
                }
            }
            if let deadLetters, !refused.isEmpty {
                // Created with the first row it holds.
                _ = try await db.query(deadLetters.create(dialect))
                for (seq, row) in refused.enumerated() {
                    _ = try await db.query(deadLetters.insert(dialect), [
                        .text(sink), batchTime, .integer(SQLiteInt64(seq)), .text(row.reason), .text(row.text),
                    ])
                }
            }
            _ = try await db.query("COMMIT")
            guard let deadLetters, !refused.isEmpty else { return .written }
            return .writtenSettingAside(rejected: refused.count, deadLetterTable: deadLetters.name)
        } catch {
            _ = try? await db.query("ROLLBACK")
            throw error
        }
    }

    /// A checked row (`TableLayout.checkRow`) as SQLite values (integers given for real columns as reals).
    private func data(_ values: [TableValue]) -> [SQLiteData] {
        zip(values, layout.columns).map { value, column in
            switch value {
            case let .integer(v): column.type == .real ? .float(Double(v)) : .integer(SQLiteInt64(v))
            case let .real(v): .float(v)
            case let .text(v): .text(v)
            case let .blob(v): .blob(ByteBuffer(bytes: v))
            case .null: .null
            }
        }
    }
}
