import Foundation
import Spate
import SQLiteNIO
import Synchronization

/// Writes batches to one table of one SQLite file, batch-keyed: each batch's rows and its `spate_batches` row
/// go in one transaction, and a batch time already recorded is skipped (a versioned upsert records no batches:
/// its writes are idempotent by version).
///
/// Each batch opens its own connection (cheap for a local file) and closes it, so the sink needs no stop hook
/// and holds no file handle between batches. Every SQLite call runs on sqlite-nio's `NIOThreadPool`; the
/// calling task only awaits. Batches of one output run one after another (the scheduler runs batches in
/// order), and SQLite's `BEGIN IMMEDIATE` plus sqlite-nio's busy handler serialize concurrent writers.
final class SQLiteTableSink: Sendable {
    let path: String
    let layout: TableLayout
    /// Whether this sink has created or verified its tables (once per sink).
    private let schemaReady = Mutex(false)

    /// The most variables one statement binds (SQLite's default limit is 32766).
    static let maxVariables = 30_000

    init(path: String, layout: TableLayout) {
        self.path = path
        self.layout = layout
    }

    private var operation: String { "saveToSQLite(\(layout.table))" }

    /// Writes `rows` (values in `layout.columns` order) as the batch of `time`; returns false when the batch
    /// was already recorded and so skipped.
    @discardableResult
    func write(_ rows: [[TableValue]], time: BatchTime) async throws -> Bool {
        let binds = try layout.checkedRows(rows, time: time, operation: operation).map { data($0) }
        let connection: SQLiteConnection
        do {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            connection = try await SQLiteConnection.open(storage: .file(path: path))
        } catch {
            throw SpateError.outputFailed(
                operation: operation, reason: "cannot open SQLite database \(path): \(error); check the path and its permissions")
        }
        do {
            if !schemaReady.withLock({ $0 }) {
                try await SQLiteSchema.prepare(layout, on: connection, path: path)
                schemaReady.withLock { $0 = true }
            }
            let written = try await transaction(binds, rowCount: rows.count, time: time, on: connection)
            try await connection.close()
            return written
        } catch {
            try? await connection.close()
            if error is SpateError { throw error }
            throw SpateError.outputFailed(
                operation: operation, reason: "writing batch \(time.milliseconds) ms to \(path): \(error)")
        }
    }

    /// One batch's transaction: skip if recorded, else insert the rows and record the batch (a versioned upsert
    /// neither checks nor records).
    private func transaction(
        _ rows: [[SQLiteData]], rowCount: Int, time: BatchTime, on db: SQLiteConnection
    ) async throws -> Bool {
        let batchTime = SQLiteData.integer(SQLiteInt64(time.milliseconds))
        let tableName = SQLiteData.text(layout.table)
        _ = try await db.query("BEGIN IMMEDIATE")
        do {
            if layout.recordsBatches {
                let recorded = try await db.query(
                    "SELECT 1 FROM \(SQLiteSchema.quote(TableLayout.batchesTable)) WHERE \"table\" = ? AND batch_time = ?",
                    [tableName, batchTime])
                if !recorded.isEmpty {
                    _ = try await db.query("ROLLBACK")
                    return false
                }
            }
            let width = layout.tableColumns.count
            let perStatement = max(1, Self.maxVariables / width)
            var start = 0
            while start < rows.count {
                let end = min(rows.count, start + perStatement)
                var binds: [SQLiteData] = []
                binds.reserveCapacity((end - start) * width)
                for i in start..<end { binds += layout.tableRow(rows[i], batchTime: batchTime, seq: .integer(SQLiteInt64(i))) }
                _ = try await db.query(SQLiteSchema.insertStatement(layout, rows: end - start), binds)
                start = end
            }
            if layout.recordsBatches {
                _ = try await db.query(
                    "INSERT INTO \(SQLiteSchema.quote(TableLayout.batchesTable)) (\"table\", batch_time, rows, committed_at) "
                        + "VALUES (?, ?, ?, ?)",
                    [tableName, batchTime, .integer(SQLiteInt64(rowCount)), .text(Date().ISO8601Format())])
            }
            _ = try await db.query("COMMIT")
            return true
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
