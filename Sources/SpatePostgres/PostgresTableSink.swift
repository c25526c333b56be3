import Spate
import Synchronization

/// Writes batches to one PostgreSQL table, batch-keyed: each batch's rows and its `spate_batches` row go in one
/// transaction, and a batch time already recorded is skipped.
///
/// One connection per sink, reused across batches and reopened after a failure (`PostgresConnection`); every
/// libpq call runs on the connection's own queue, off the cooperative pool. Batches of one output run one after
/// another (the scheduler runs batches in order).
final class PostgresTableSink: Sendable {
    let connection: PostgresConnection
    let layout: TableLayout
    /// Whether this sink has created or verified its tables (once per sink).
    private let schemaReady = Mutex(false)

    /// The most parameters one statement binds (PostgreSQL's protocol limit is 65535).
    static let maxParameters = 60_000
    /// How many times a batch is tried when the connection is lost (each try on a new connection).
    static let attempts = 3

    init(conninfo: String, layout: TableLayout) {
        self.connection = PostgresConnection(conninfo, label: "spate.postgres.\(layout.table)")
        self.layout = layout
    }

    private var operation: String { "saveToPostgres(\(layout.table))" }

    /// Writes `rows` (values in `layout.columns` order) as the batch of `time`; returns false when the batch
    /// was already recorded and so skipped.
    @discardableResult
    func write(_ rows: [[TableValue]], time: BatchTime) async throws -> Bool {
        let params = try rows.enumerated().map { i, values in try textValues(values, row: i, time: time) }
        let layout = self.layout
        let needsSchema = !schemaReady.withLock { $0 }
        let place = "PostgreSQL '\(connection.conninfo)'"
        do {
            var attempt = 1
            while true {
                do {
                    let written = try await connection.withSession { session in
                        if needsSchema { try PostgresSchema.prepare(layout, on: session, where: place) }
                        return try Self.transaction(params, layout: layout, time: time, on: session)
                    }
                    if needsSchema { schemaReady.withLock { $0 = true } }
                    return written
                } catch let error as PostgresError where error.connectionLost && attempt < Self.attempts {
                    // The connection dropped (server restart, idle timeout, ...): retry on a new one. Safe even
                    // if the lost transaction committed, since the batch is then recorded and skipped.
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        } catch let error as SpateError {
            throw error
        } catch {
            throw SpateError.outputFailed(
                operation: operation, reason: "writing batch \(time.milliseconds) ms to \(place): \(error)")
        }
    }

    /// One batch's transaction: record the batch (skip if recorded), then insert the rows.
    private static func transaction(
        _ rows: [[String?]], layout: TableLayout, time: BatchTime, on s: PostgresSession
    ) throws -> Bool {
        let batchTime = String(time.milliseconds)
        try s.query("BEGIN")
        do {
            // Claiming the batch first (ON CONFLICT DO NOTHING) both checks and records it: a batch already in
            // spate_batches returns no row and is skipped, and a concurrent writer of the same batch waits.
            let claimed = try s.query(PostgresSchema.claimBatchStatement, [layout.table, batchTime, String(rows.count)])
            if claimed.isEmpty {
                try s.query("ROLLBACK")
                return false
            }
            var numbered: [(seq: Int, values: [String?])] = rows.enumerated().map { ($0.offset, $0.element) }
            if layout.mode == .upsert {
                // PostgreSQL's ON CONFLICT cannot update one row twice in a statement: keep each key's last row.
                let keyIndexes = layout.keyColumns.map { k in layout.columns.firstIndex { $0.name.lowercased() == k.lowercased() }! }
                var last: [[String?]: Int] = [:]
                for (i, row) in rows.enumerated() { last[keyIndexes.map { row[$0] }] = i }
                numbered = numbered.filter { entry in last[keyIndexes.map { entry.values[$0] }] == entry.seq }
            }
            let width = layout.tableColumns.count
            let perStatement = max(1, Self.maxParameters / width)
            var start = 0
            while start < numbered.count {
                let end = min(numbered.count, start + perStatement)
                var binds: [String?] = []
                binds.reserveCapacity((end - start) * width)
                for (seq, values) in numbered[start..<end] {
                    switch layout.mode {
                    case .upsert: binds += values; binds.append(batchTime)
                    case .append: binds += [batchTime, String(seq)]; binds += values
                    }
                }
                try s.query(PostgresSchema.insertStatement(layout, rows: end - start), binds)
                start = end
            }
            try s.query("COMMIT")
            return true
        } catch {
            _ = try? s.query("ROLLBACK")
            throw error
        }
    }

    /// Checks a row against the layout's columns and converts it to text parameters.
    private func textValues(_ values: [TableValue], row: Int, time: BatchTime) throws -> [String?] {
        let columns = layout.columns
        guard values.count == columns.count else {
            throw SpateError.outputFailed(
                operation: operation,
                reason: "row \(row) of batch \(time.milliseconds) ms has \(values.count) values but the table has "
                    + "\(columns.count) columns \(columns.map(\.name)): return one value per column, in that order")
        }
        return try zip(values, columns).map { value, column in
            switch (value, column.type) {
            case (.integer, .integer), (.integer, .real), (.real, .real), (.blob, .blob):
                return PostgresSchema.text(value)
            case let (.text(v), .text) where !v.utf8.contains(0):
                return v
            case (.null, _) where column.nullable:
                return nil
            default:
                throw SpateError.outputFailed(
                    operation: operation,
                    reason: "row \(row) of batch \(time.milliseconds) ms gives \(value) for column \(column): "
                        + "return a value of the column's type" + (column.nullable ? "" : " (or declare it nullable)")
                        + "; PostgreSQL text cannot hold NUL characters")
            }
        }
    }
}
