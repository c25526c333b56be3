import Logging
import Spate
import SpateSQL

/// Writes batches to one PostgreSQL table, each batch's rows in one transaction guarded against writing a batch
/// twice: by default with its `spate_batches` claim (table, sink id, batch time; a batch whose claim is recorded
/// already is skipped); with source
/// offsets, by the offsets stored in `spate_offsets` (see `saveToPostgres(..., offsets:)`); for a versioned
/// upsert, by nothing but the rows' versions.
///
/// One connection per sink, opened before the first batch (`open()`), reused across batches, reopened after a
/// failure, and closed when the context stops (`close()`); every libpq call runs on `BlockingIO`'s threads,
/// off the cooperative pool (`PostgresConnection`). Batches of one output run one after another.
final class PostgresTableSink: TableWriter {
    let connection: PostgresConnection
    let layout: TableLayout
    /// The source offsets stored with each batch (nil: none).
    let offsets: BatchOffsets?
    /// The sink id the batches are claimed under.
    let sink: String
    let logger: Logger

    /// The most parameters one statement binds (PostgreSQL's protocol limit is 65535).
    static let maxParameters = 60_000
    /// How many times a batch is tried when the connection is lost or the transaction deadlocks with another
    /// writer (each try in a new transaction; after a lost connection, on a new connection).
    static let attempts = 3

    init(
        conninfo: String, layout: TableLayout, offsets: BatchOffsets? = nil, sink: String = TableLayout.defaultSink,
        logger: Logger
    ) {
        self.connection = PostgresConnection(conninfo)
        self.layout = layout
        self.offsets = offsets
        self.sink = sink
        var logger = logger
        logger[metadataKey: "sink"] = "\(TableLayout.operation("saveToPostgres", table: layout.table, sink: sink))"
        self.logger = logger
    }

    private var operation: String { TableLayout.operation("saveToPostgres", table: layout.table, sink: sink) }
    private var database: String { "PostgreSQL '\(connection.redactedConninfo)'" }

    /// Connects, then creates the tables if missing and verifies them (retrying a lost connection).
    func open() async throws {
        let (layout, withOffsets, place) = (self.layout, offsets != nil, database)
        do {
            try await retrying {
                try await self.connection.withSession { session in
                    try PostgresSchema.prepare(layout, offsets: withOffsets, on: session, where: place)
                }
            }
        } catch let error as PostgresError where error.connectionLost {
            throw TableSinkError.connectionFailed(operation: operation, database: database, underlying: error)
        } catch let error as PostgresError {
            throw TableSinkError.schemaFailed(operation: operation, database: database, underlying: error)
        }
    }

    /// Closes the connection.
    func close() async throws {
        await connection.close()
    }

    /// What keeps a batch from being written twice.
    enum BatchGuard: Sendable {
        /// The batch's `spate_batches` claim under the sink id.
        case batchRecord(sink: String)
        /// The offsets of the batch's source partitions in `spate_offsets`.
        case offsets(group: String, ranges: [SourceOffsetRange])
        /// Nothing: the writes are idempotent (a versioned upsert).
        case none
    }

    /// How a batch's transaction ended.
    enum Outcome: Sendable {
        case written
        /// The batch's claim was recorded already, with these rows and commit time (nil: not read).
        case alreadyClaimed(rows: Int64?, committedAt: String?)
        /// The batch was written before (its offsets already stored).
        case skipped
        /// The stored offsets are neither where the batch starts nor past it: nothing written.
        case conflict(rewind: [SourcePartition: SourceOffset], ranges: [SourceOffsetRange])
    }

    /// Writes `rows` (values in `layout.columns` order) as the batch of `time`, or skips it: already claimed,
    /// already written (its offsets stored), or (with offsets) dropped on an offset conflict after rewinding the
    /// source.
    @discardableResult
    func write(_ rows: [[TableValue]], time: BatchTime) async throws -> TableWriteOutcome {
        let layout = self.layout
        var params = try layout.checkedRows(rows, time: time, operation: operation).map { try textValues($0, time: time) }
        if layout.mode.isKeyed {
            // Concurrent writers (a consumer group's processes) update shared keys in one order, so they wait for
            // each other instead of deadlocking.
            let keyIndexes = layout.keyColumns.map { k in layout.columns.firstIndex { $0.name == k }! }
            params = params.map { row in (keyIndexes.map { row[$0] ?? "" }, row) }
                .sorted { $0.0.lexicographicallyPrecedes($1.0) }
                .map(\.1)
        }
        let batchGuard: BatchGuard
        if let offsets {
            guard let ranges = offsets.ranges(for: time) else {
                throw SpateError.outputFailed(
                    operation: operation,
                    reason: "the source does not know batch \(time.milliseconds) ms, so its offsets cannot be stored "
                        + "with it: pass offsets: from the stream this sink writes (not one of another stream or "
                        + "context)")
            }
            batchGuard = .offsets(group: offsets.group, ranges: ranges)
            try await offsets.prepareToStore(time)
        } else {
            batchGuard = layout.recordsBatches ? .batchRecord(sink: sink) : .none
        }
        let outcome = try await run(params, rowCount: rows.count, time: time, guardedBy: batchGuard)
        switch outcome {
        case .written:
            return .written
        case let .alreadyClaimed(rows, committedAt):
            return .alreadyClaimed(rows: rows, committedAt: committedAt)
        case .skipped:
            return .skipped
        case let .conflict(rewind, ranges):
            let stored = rewind.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" }.joined(separator: ", ")
            logger.warning(
                """
                batch dropped: its source offsets conflict with the stored ones (another writer moved them); \
                rewinding the source to the stored offsets
                """,
                metadata: [
                    "batch": "\(time.milliseconds)", "group": "\(offsets?.group ?? "")",
                    "ranges": "\(ranges.map(\.description).joined(separator: ", "))", "stored": "\(stored)",
                ])
            offsets?.rewind(rewind)
            return .skipped
        }
    }

    /// Runs the batch's transaction, retrying on a lost connection or a deadlock; the database's errors become
    /// `TableSinkError`s holding them.
    private func run(_ params: [[String?]], rowCount: Int, time: BatchTime, guardedBy batchGuard: BatchGuard) async throws
        -> Outcome
    {
        let layout = self.layout
        do {
            return try await retrying {
                try await self.connection.withSession { session in
                    try Self.transaction(
                        params, rowCount: rowCount, layout: layout, time: time, guardedBy: batchGuard, on: session)
                }
            }
        } catch let error as PostgresError where error.connectionLost {
            throw TableSinkError.connectionFailed(operation: operation, database: database, underlying: error)
        } catch let error as PostgresError {
            throw TableSinkError.writeFailed(operation: operation, batch: time, database: database, underlying: error)
        }
    }

    /// Runs `body`, again (up to `attempts` times in all) when the connection was lost or the transaction
    /// deadlocked with another writer and was rolled back. Safe even if a lost transaction committed, since the
    /// batch is then recorded (or its offsets stored, or its versions written), and the schema statements are
    /// `IF NOT EXISTS`.
    private func retrying<R: Sendable>(_ body: () async throws -> R) async throws -> R {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as PostgresError
                where (error.connectionLost || error.sqlState == "40P01") && attempt < Self.attempts
            {
                attempt += 1
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// One batch's transaction: claim the batch through its guard (skip if written, stop on an offset conflict),
    /// insert the rows, store the offsets.
    private static func transaction(
        _ rows: [[String?]], rowCount: Int, layout: TableLayout, time: BatchTime, guardedBy batchGuard: BatchGuard,
        on s: PostgresSession
    ) throws -> Outcome {
        let batchTime = String(time.milliseconds)
        try s.query("BEGIN")
        do {
            switch batchGuard {
            case let .batchRecord(sink):
                // Claiming the batch first (ON CONFLICT DO NOTHING) both checks and records it: a claim already in
                // spate_batches returns no row and is skipped, and a concurrent writer of the same claim waits.
                let key: [String?] = [layout.table, sink, batchTime]
                let claimed = try s.query(PostgresSchema.dialect.claimBatch, key + [String(rowCount)])
                if claimed.isEmpty {
                    let recorded = try s.query(PostgresSchema.dialect.recordedClaim, key).first
                    try s.query("ROLLBACK")
                    return .alreadyClaimed(
                        rows: recorded?[0].flatMap { Int64($0) }, committedAt: recorded?[1] ?? nil)
                }
            case let .offsets(group, ranges):
                switch try PostgresOffsets.claim(ranges, table: layout.table, group: group, on: s) {
                case .claimed:
                    break
                case .alreadyWritten:
                    try s.query("ROLLBACK")
                    return .skipped
                case let .conflict(rewind):
                    try s.query("ROLLBACK")
                    return .conflict(rewind: rewind, ranges: ranges)
                }
            case .none:
                break
            }
            for insert in PostgresSchema.dialect.inserts(
                layout, rows: rows, batchTime: batchTime, seq: { String($0) }, maxParameters: Self.maxParameters)
            {
                try s.query(insert.sql, insert.parameters)
            }
            if case let .offsets(group, ranges) = batchGuard {
                try PostgresOffsets.store(ranges, table: layout.table, group: group, on: s)
            }
            try s.query("COMMIT")
            return .written
        } catch {
            _ = try? s.query("ROLLBACK")
            throw error
        }
    }

    /// Converts a checked row (`TableLayout.checkRow`) to text parameters; throws for text PostgreSQL cannot hold.
    private func textValues(_ values: [TableValue], time: BatchTime) throws -> [String?] {
        try zip(values, layout.columns).map { value, column in
            if case let .text(v) = value, v.utf8.contains(0) {
                throw SpateError.outputFailed(
                    operation: operation,
                    reason: "a row of batch \(time.milliseconds) ms gives text with a NUL character for column "
                        + "\(column): PostgreSQL text cannot hold NUL characters; remove them or use a blob column")
            }
            return PostgresSchema.text(value)
        }
    }
}
