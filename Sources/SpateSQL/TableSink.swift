import Spate

/// One database table a sink writes batches of rows to, over a connection it keeps from `open()` to
/// `close()`: what SpateSQLite and SpatePostgres each implement.
package protocol TableWriter: Sendable {
    /// Connects (and creates or verifies the tables).
    func open() async throws

    /// Writes `rows` (values in the layout's column order) as the batch of `time`; returns false when the
    /// batch was skipped (already written).
    @discardableResult
    func write(_ rows: [[TableValue]], time: BatchTime) async throws -> Bool

    /// Closes the connection.
    func close() async throws
}

/// A stream's output to a table: every record mapped to a row by `row`, each batch's rows handed to `writer`,
/// which the context opens before the first batch and closes when it stops.
struct TableSink<Element: Sendable, Writer: TableWriter>: BatchSink {
    let operation: String
    let writer: Writer
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
        try await writer.write(rows, time: time)
    }

    func close() async throws { try await writer.close() }
}

extension DStream {
    /// Registers a database sink's output named `sink(table)`: every batch's records mapped by `row` (a
    /// throwing `row` fails the output with `TableSinkError.rowFailed`), then written by `writer`.
    package func save(
        to writer: some TableWriter, sink: String, table: String, row: @escaping @Sendable (T) throws -> [TableValue]
    ) {
        let operation = "\(sink)(\(table))"
        foreach(TableSink(operation: operation, writer: writer, row: row), named: operation)
    }
}
