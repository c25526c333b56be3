import Logging
import Metrics
import Spate

/// What a table writer did with a batch.
package enum TableWriteOutcome: Sendable, Equatable {
    /// The batch's rows were written.
    case written
    /// The batch's rows were written but for `rejected` rows the database refused for their values, which went
    /// to the dead-letter table `deadLetterTable` in the same transaction (``RejectedRowPolicy``).
    case writtenSettingAside(rejected: Int, deadLetterTable: String)
    /// The batch's claim (table, sink id, batch time) was recorded already, by this output before a restart or
    /// by another process writing with the same sink id: nothing was written. `rows` and `committedAt` are the
    /// recorded claim's (nil when it could not be read).
    case alreadyClaimed(rows: Int64?, committedAt: String?)
    /// The batch was skipped for another reason its writer logged (its source offsets already stored, or in
    /// conflict with the stored ones).
    case skipped
}

/// One database table a sink writes batches of rows to, over a connection it keeps from `open()` to
/// `close()`: what SpateSQLite and SpatePostgres each implement.
package protocol TableWriter: Sendable {
    /// Connects (and creates or verifies the tables).
    func open() async throws

    /// Writes `rows` (values in the layout's column order) as the batch of `time`, or skips it (already
    /// written).
    @discardableResult
    func write(_ rows: [[TableValue]], time: BatchTime) async throws -> TableWriteOutcome

    /// Closes the connection.
    func close() async throws
}

/// A stream's output to a table: every record mapped to a row by `row`, each batch's rows handed to `writer`,
/// which the context opens before the first batch and closes when it stops. Rows set aside in a dead-letter
/// table are logged and counted in the `spate_rejected_rows_total{sink, table}` metric. A batch skipped as already
/// claimed is logged at warning level (a second writer with the same sink id is otherwise invisible) and
/// counted in the context's ``TableClaims``.
struct TableSink<Element: Sendable, Writer: TableWriter>: BatchSink {
    let operation: String
    let sink: String
    let writer: Writer
    let claims: TableClaims
    let logger: Logger
    let row: @Sendable (Element) throws -> [TableValue]

    func open() async throws { try await writer.open() }

    func write(_ batch: Batch<Element>, at time: BatchTime) async throws {
        var rows: [[TableValue]] = []
        rows.reserveCapacity(batch.count)
        do {
            for part in batch.partitions { for record in part { rows.append(try row(record)) } }
        } catch {
            throw TableSinkError.rowFailed(operation: operation, batch: time, underlying: error)
        }
        let outcome = try await writer.write(rows, time: time)
        if case let .writtenSettingAside(rejected, table) = outcome {
            Counter(label: "spate_rejected_rows_total", dimensions: [("sink", operation), ("table", table)])
                .increment(by: rejected)
            logger.warning(
                "rows refused by the database for their values were set aside in the dead-letter table; the stream goes on",
                metadata: [
                    "sink": "\(operation)", "batch": "\(time.milliseconds)", "rejected": "\(rejected)",
                    "deadLetterTable": "\(table)",
                ])
        }
        if case let .alreadyClaimed(recorded, committedAt) = outcome {
            claims.countSkipped(operation)
            logger.warning(
                """
                batch skipped: sink id '\(sink)' recorded it already (a batch re-run after recovery, or another \
                process writing this table with the same sink id: give each process its own sink: id, or write \
                with offsets: or version:)
                """,
                metadata: [
                    "sink": "\(operation)", "batch": "\(time.milliseconds)", "rows": "\(rows.count)",
                    "claimedRows": "\(recorded.map { String($0) } ?? "?")", "committedAt": "\(committedAt ?? "?")",
                ])
        }
    }

    func close() async throws { try await writer.close() }
}

extension DStream {
    /// Registers a database sink's output named `kind(table)` (`kind(table, sink: id)` for a sink id other than
    /// the default): every batch's records mapped by `row` (a throwing `row` fails the output with
    /// `TableSinkError.rowFailed`), then written by `writer`, which claims batches under `sink` when
    /// `claimsBatches`. Throws `TableDefinitionError` when another output of the context claims `table` of
    /// `database` with the same sink id, or either writes it in append mode (see ``TableClaims``).
    package func save(
        to writer: some TableWriter, kind: String, database: String, table: String, sink: String,
        mode: TableWriteMode, claimsBatches: Bool, row: @escaping @Sendable (T) throws -> [TableValue]
    ) throws {
        let operation = TableLayout.operation(kind, table: table, sink: sink)
        let claims = TableClaims.of(context)
        do {
            try claims.register(
                operation: operation, database: database, table: table, sink: sink, mode: mode,
                claimsBatches: claimsBatches)
        } catch {
            // Also a definition error of the program: start() refuses it even if this throw is ignored.
            context.recordModuleDefinitionError(error)
            throw error
        }
        foreach(
            TableSink(operation: operation, sink: sink, writer: writer, claims: claims, logger: context.packageLogger,
                      row: row),
            named: operation)
    }
}

extension TableLayout {
    /// A table output's name: `kind(table)`, or `kind(table, sink: id)` for a sink id other than the default.
    package static func operation(_ kind: String, table: String, sink: String) -> String {
        sink == defaultSink ? "\(kind)(\(table))" : "\(kind)(\(table), sink: \(sink))"
    }
}
