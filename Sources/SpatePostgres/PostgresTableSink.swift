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
    /// Where rows PostgreSQL refuses for their values go (nil: they fail the batch).
    let deadLetters: DeadLetterTable?
    let logger: Logger

    /// The most parameters one statement binds (PostgreSQL's protocol limit is 65535).
    static let maxParameters = 60_000

    init(
        conninfo: String, layout: TableLayout, offsets: BatchOffsets? = nil, sink: String = TableLayout.defaultSink,
        deadLetters: DeadLetterTable? = nil, logger: Logger
    ) {
        self.connection = PostgresConnection(conninfo)
        self.layout = layout
        self.offsets = offsets
        self.sink = sink
        self.deadLetters = deadLetters
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
            try await WriteRetry.run(retryable: Self.retryable) {
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
        /// Written, with `rejected` rows set aside in the dead-letter table.
        case written(rejected: Int)
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
        var admitted: [[TableValue]], refused: [RejectedRow]
        if deadLetters == nil {
            (admitted, refused) = (try layout.checkedRows(rows, time: time, operation: operation), [])
        } else {
            (admitted, refused) = try layout.admittedRows(rows, time: time, operation: operation)
            // libpq passes text as C strings: a NUL would cut it short, so such a row is refused here.
            refused += admitted.compactMap { row in nulColumn(row).map { c in
                RejectedRow(values: row, reason: "text with a NUL character for column \(c.name): PostgreSQL text "
                    + "cannot hold NUL characters")
            } }
            admitted.removeAll { nulColumn($0) != nil }
        }
        // Each row with its values as text parameters, sorted below; `admitted` keeps the values for dead letters.
        var params = try admitted.map { (try textValues($0, time: time), $0) }
        if layout.mode.isKeyed {
            // Concurrent writers (a consumer group's processes) update shared keys in one order, so they wait for
            // each other instead of deadlocking.
            let keyIndexes = layout.keyColumns.map { k in layout.columns.firstIndex { $0.name == k }! }
            params = params.map { row in (keyIndexes.map { row.0[$0] ?? "" }, row) }
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
        let outcome = try await run(
            params.map(\.0), values: params.map(\.1), refused: refused, rowCount: rows.count, time: time,
            guardedBy: batchGuard)
        switch outcome {
        case let .written(rejected):
            guard let deadLetters, rejected > 0 else { return .written }
            return .writtenSettingAside(rejected: rejected, deadLetterTable: deadLetters.name)
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

    /// Runs the batch's transaction, retrying (``WriteRetry``) what is not about its rows (a lost connection, a
    /// deadlock, a full disk); when a row is refused for its values and the sink has a dead-letter table, again
    /// row by row. The database's errors become `TableSinkError`s holding them.
    private func run(
        _ params: [[String?]], values: [[TableValue]], refused: [RejectedRow], rowCount: Int, time: BatchTime,
        guardedBy batchGuard: BatchGuard
    ) async throws -> Outcome {
        let (layout, deadLetters, sink) = (self.layout, self.deadLetters, self.sink)
        func attempt(rowByRow: Bool) async throws -> Outcome {
            try await connection.withSession { session in
                try Self.transaction(
                    params, rowCount: rowCount, layout: layout, time: time, guardedBy: batchGuard, on: session,
                    deadLetters: deadLetters.map { ($0, sink, values, refused, rowByRow) })
            }
        }
        do {
            return try await WriteRetry.run(retryable: Self.retryable) {
                do {
                    return try await attempt(rowByRow: false)
                } catch where deadLetters != nil && Self.refusesRow(error) {
                    return try await attempt(rowByRow: true)
                }
            }
        } catch let error as PostgresError where error.connectionLost {
            throw TableSinkError.connectionFailed(operation: operation, database: database, underlying: error)
        } catch let error as PostgresError {
            throw TableSinkError.writeFailed(operation: operation, batch: time, database: database, underlying: error)
        }
    }

    /// Whether an error is worth another try: the connection lost (a server restart: SQLSTATE class 08, 57P),
    /// a deadlock or serialization failure (40P01, 40001), insufficient resources such as a full disk (53).
    /// Safe even if a lost transaction committed, since the batch is then recorded (or its offsets stored, or
    /// its versions written), and the schema statements are `IF NOT EXISTS`.
    static func retryable(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        if error.connectionLost { return true }
        guard let state = error.sqlState else { return false }
        return ["40P01", "40001"].contains(state) || ["08", "53", "57P"].contains { state.hasPrefix($0) }
    }

    /// Whether PostgreSQL refused a statement for the values it writes: a data exception (SQLSTATE class 22,
    /// e.g. 22003 `bigint out of range`) or an integrity constraint (class 23, e.g. 23502 `NOT NULL`).
    static func refusesRow(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError, !error.connectionLost, let state = error.sqlState else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23")
    }

    /// One batch's transaction: claim the batch through its guard (skip if written, stop on an offset conflict),
    /// insert the rows, store the offsets.
    private static func transaction(
        _ rows: [[String?]], rowCount: Int, layout: TableLayout, time: BatchTime, guardedBy batchGuard: BatchGuard,
        on s: PostgresSession,
        deadLetters: (table: DeadLetterTable, sink: String, values: [[TableValue]], refused: [RejectedRow], rowByRow: Bool)?
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
            var refused = deadLetters?.refused ?? []
            if let deadLetters, deadLetters.rowByRow {
                for (i, row) in rows.enumerated() {
                    try s.query("SAVEPOINT spate_row")
                    do {
                        for insert in PostgresSchema.dialect.inserts(
                            layout, rows: [row], batchTime: batchTime, seq: { _ in String(i) }, maxParameters: Self.maxParameters)
                        {
                            try s.query(insert.sql, insert.parameters)
                        }
                    } catch where refusesRow(error) {
                        try s.query("ROLLBACK TO SAVEPOINT spate_row")
                        refused.append(RejectedRow(values: deadLetters.values[i], reason: "\(error)"))
                    }
                    try s.query("RELEASE SAVEPOINT spate_row")
                }
            } else {
                for insert in PostgresSchema.dialect.inserts(
                    layout, rows: rows, batchTime: batchTime, seq: { String($0) }, maxParameters: Self.maxParameters)
                {
                    try s.query(insert.sql, insert.parameters)
                }
            }
            if let deadLetters, !refused.isEmpty {
                // Created with the first row it holds, under the lock that serializes the sinks' schema changes.
                try s.query("SELECT pg_advisory_xact_lock($1::bigint)", [String(Int64(PostgresSchema.schemaLockKey, radix: 16)!)])
                try s.query(deadLetters.table.create(PostgresSchema.dialect))
                for (seq, row) in refused.enumerated() {
                    try s.query(deadLetters.table.insert(PostgresSchema.dialect),
                                [deadLetters.sink, batchTime, String(seq), row.reason, row.text])
                }
            }
            if case let .offsets(group, ranges) = batchGuard {
                try PostgresOffsets.store(ranges, table: layout.table, group: group, on: s)
            }
            try s.query("COMMIT")
            return .written(rejected: refused.count)
        } catch {
            _ = try? s.query("ROLLBACK")
            throw error
        }
    }

    /// The first text column of `row` whose value holds a NUL character (which PostgreSQL text cannot hold).
    private func nulColumn(_ row: [TableValue]) -> TableColumn? {
        zip(row, layout.columns).first { value, _ in
            if case let .text(v) = value { return v.utf8.contains(0) }
            return false
        }?.1
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
