import Spate
import SpateSQL

/// Source offsets stored with a table's batches in `spate_offsets("table", group_id, topic, partition,
/// until_offset, committed_at)`: one row per (table, consumer group, source partition) holding the position
/// after the last batch written, updated in the batch's transaction (`saveToPostgres(..., offsets:)`). The
/// partition's stream (a Kafka topic, a Kinesis stream) goes in `topic`, its id (a partition number, a shard
/// id) in `partition` and its position (an offset, a sequence number) in `until_offset`, all as text.
enum PostgresOffsets {
    /// The quoted offsets table.
    static let table = PostgresSchema.dialect.quote(TableLayout.offsetsTable)

    /// How to bring a table of the earlier format (integer partition, bigint offset) to this one.
    static let migration = "ALTER TABLE \(table) ALTER COLUMN \"partition\" TYPE text, ALTER COLUMN until_offset TYPE text"

    /// Creates the offsets table when missing, and fails with a clear error (PostgreSQL's `RAISE`, naming the
    /// migration) when it exists in the format of an earlier Spate.
    static let createStatement = "DO $spate$ BEGIN CREATE TABLE IF NOT EXISTS \(table) ("
        + "\"table\" text NOT NULL, group_id text NOT NULL, topic text NOT NULL, \"partition\" text NOT NULL, "
        + "until_offset text NOT NULL, committed_at timestamptz NOT NULL DEFAULT now(), "
        + "PRIMARY KEY (\"table\", group_id, topic, \"partition\")); "
        + "IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
        + "AND table_name = '\(TableLayout.offsetsTable)' AND column_name IN ('partition', 'until_offset') "
        + "AND data_type <> 'text') THEN RAISE EXCEPTION USING ERRCODE = '42804', MESSAGE = "
        + "'\(TableLayout.offsetsTable) has the format of an earlier Spate (integer partition, bigint until_offset); "
        + "this one stores any source''s partition ids and positions as text: run "
        + migration.replacingOccurrences(of: "'", with: "''")
        + " (the stored offsets stay valid), or drop the table'; END IF; END $spate$"

    /// What a batch's offset ranges meet in the store.
    enum Claim: Equatable, Sendable {
        /// Every partition's stored offset is absent or where the batch starts: write the batch.
        case claimed
        /// Every partition's stored offset is at or past where the batch ends: the batch was written before.
        case alreadyWritten
        /// Another writer moved some partition's offset (or the batch is partly written): drop the batch and
        /// read the partitions again from these offsets (the stored ones; where the batch starts for
        /// partitions with none stored).
        case conflict(rewind: [SourcePartition: SourceOffset])
    }

    /// Decides a batch against the offsets `stored` before it (partitions without a row absent): a range is
    /// ready when its partition has no offset or the offset is its `from`, and written when the offset is
    /// at or past its `until` (and not its `from`); an empty range at the stored offset (or with none stored)
    /// is both, since writing it changes nothing. All ready: claimed; all written (and not all empty): already
    /// written (a batch replayed after recovery); anything else: a conflict.
    static func decide(_ ranges: [SourceOffsetRange], stored: [SourcePartition: SourceOffset]) -> Claim {
        var ready = 0, written = 0, neutral = 0
        for r in ranges {
            guard let s = stored[r.sourcePartition], s != r.from else {
                if r.isEmpty { neutral += 1 } else { ready += 1 }
                continue
            }
            if s >= r.until { written += 1 }
        }
        if ready + neutral == ranges.count { return .claimed }
        if written + neutral == ranges.count { return .alreadyWritten }
        var rewind: [SourcePartition: SourceOffset] = [:]
        for r in ranges { rewind[r.sourcePartition] = stored[r.sourcePartition] ?? r.from }
        return .conflict(rewind: rewind)
    }

    /// In the batch's open transaction: makes sure every range's partition has a row (inserting missing ones at
    /// the range's `fromOffset`, which waits for a concurrent first insert of the same row to finish), locks the
    /// rows in (topic, partition) order with `SELECT ... FOR UPDATE` (a concurrent writer of the same partitions
    /// waits until this transaction ends), and decides the batch from the offsets stored before it.
    static func claim(_ ranges: [SourceOffsetRange], table: String, group: String, on s: PostgresSession) throws -> Claim {
        guard !ranges.isEmpty else { return .claimed }
        let sorted = ranges.sorted { lockOrder($0.sourcePartition, $1.sourcePartition) }
        var params: [String?] = [table, group]
        var tuples: [String] = []
        for r in sorted {
            let n = params.count
            tuples.append("($1, $2, $\(n + 1), $\(n + 2), $\(n + 3))")
            params += [r.sourcePartition.stream, r.sourcePartition.id, r.from.value]
        }
        let inserted = try s.query(
            "INSERT INTO \(Self.table) (\"table\", group_id, topic, \"partition\", until_offset) VALUES "
                + tuples.joined(separator: ", ")
                + " ON CONFLICT (\"table\", group_id, topic, \"partition\") DO NOTHING RETURNING topic, \"partition\"",
            params
        ).compactMap(partition)
        var keys: [String] = []
        params = [table, group]
        for r in sorted {
            let n = params.count
            keys.append("($\(n + 1), $\(n + 2))")
            params += [r.sourcePartition.stream, r.sourcePartition.id]
        }
        var stored: [SourcePartition: SourceOffset] = [:]
        for row in try s.query(
            "SELECT topic, \"partition\", until_offset FROM \(Self.table) WHERE \"table\" = $1 AND group_id = $2 "
                + "AND (topic, \"partition\") IN (" + keys.joined(separator: ", ") + ") "
                + "ORDER BY topic COLLATE \"C\", \"partition\" COLLATE \"C\" FOR UPDATE",
            params)
        {
            if let p = partition(row), let offset = row[2].map(SourceOffset.init) { stored[p] = offset }
        }
        for p in inserted { stored[p] = nil }
        return decide(ranges, stored: stored)
    }

    /// In the batch's open transaction, after `claim` returned `.claimed`: stores every range's `untilOffset`.
    static func store(_ ranges: [SourceOffsetRange], table: String, group: String, on s: PostgresSession) throws {
        guard !ranges.isEmpty else { return }
        var params: [String?] = [table, group]
        var tuples: [String] = []
        for r in ranges.sorted(by: { lockOrder($0.sourcePartition, $1.sourcePartition) }) {
            let n = params.count
            tuples.append("($1, $2, $\(n + 1), $\(n + 2), $\(n + 3))")
            params += [r.sourcePartition.stream, r.sourcePartition.id, r.until.value]
        }
        try s.query(
            "INSERT INTO \(Self.table) (\"table\", group_id, topic, \"partition\", until_offset) VALUES "
                + tuples.joined(separator: ", ")
                + " ON CONFLICT (\"table\", group_id, topic, \"partition\") DO UPDATE SET "
                + "until_offset = excluded.until_offset, committed_at = now()",
            params)
    }

    /// Every offset stored for `table` and `group` (none when the offsets table does not exist).
    static func offsets(table: String, group: String, on s: PostgresSession) throws -> [SourcePartition: SourceOffset] {
        do {
            var out: [SourcePartition: SourceOffset] = [:]
            for row in try s.query(
                "SELECT topic, \"partition\", until_offset FROM \(Self.table) WHERE \"table\" = $1 AND group_id = $2",
                [table, group])
            {
                if let p = partition(row), let offset = row[2].map(SourceOffset.init) { out[p] = offset }
            }
            return out
        } catch let error as PostgresError where error.sqlState == "42P01" {
            return [:]  // undefined_table: nothing was ever stored in this database
        }
    }

    /// The order rows are written and locked in, the same as the `COLLATE "C"` order of the locking `SELECT`
    /// (bytes), so every writer takes the row locks in one order and no two deadlock.
    private static func lockOrder(_ a: SourcePartition, _ b: SourcePartition) -> Bool {
        a.stream != b.stream ? a.stream.utf8.lexicographicallyPrecedes(b.stream.utf8)
            : a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
    }

    /// The partition named by a row's first two columns (topic, partition).
    private static func partition(_ row: [String?]) -> SourcePartition? {
        guard row.count >= 2, let stream = row[0], let id = row[1] else { return nil }
        return SourcePartition(stream: stream, id: id)
    }
}

/// The source offsets `saveToPostgres(..., offsets:)` stores with a table's batches, read back for a source to
/// resume exactly after the last batch written: pass it to Kafka's `KafkaStartingOffsets.stored(_:)`.
///
/// Each read opens a short-lived connection (libpq, blocking the calling thread) and closes it. A database
/// where nothing was stored yet (no `spate_offsets` table) has no offsets.
/// ```swift
/// let store = PostgresOffsetStore(connection: "host=127.0.0.1 port=5432 user=postgres dbname=spate",
///                                 table: "word_counts")
/// ```
public struct PostgresOffsetStore: SourceOffsetStore {
    /// The libpq connection string of the database the sink writes.
    public let connection: String
    /// The table whose batches the offsets were stored with (the sink's `table:`).
    public let table: String

    /// The offsets stored with `table`'s batches in the PostgreSQL database `connection`.
    public init(connection: String, table: String) {
        self.connection = connection
        self.table = table
    }

    /// The stored next offset of each of `partitions` that has one for `group` (a consumer group, the
    /// `BatchOffsets.group` the sink wrote with). Throws `SpateError.sourceFailed` when the database cannot be
    /// reached or read.
    public func storedOffsets(group: String, partitions: [SourcePartition]) throws -> [SourcePartition: SourceOffset] {
        guard !partitions.isEmpty else { return [:] }
        let wanted = Set(partitions)
        return try offsets(group: group).filter { wanted.contains($0.key) }
    }

    /// Every offset stored for `group` with `table`'s batches. Throws `SpateError.sourceFailed` when the database
    /// cannot be reached or read.
    public func offsets(group: String) throws -> [SourcePartition: SourceOffset] {
        let table = self.table
        do {
            return try PostgresConnection.withTemporarySession(connection) { s in
                try PostgresOffsets.offsets(table: table, group: group, on: s)
            }
        } catch let error as PostgresError where error.connectionLost {
            throw SpateError.sourceFailed(
                source: "PostgresOffsetStore(\(table))",
                reason: "reading the stored offsets of group '\(group)': \(error.message): start the server "
                    + "(scripts/postgres.sh start) or fix the connection string '\(connection)'")
        } catch {
            throw SpateError.sourceFailed(
                source: "PostgresOffsetStore(\(table))",
                reason: "reading the stored offsets of group '\(group)' from PostgreSQL '\(connection)': \(error)")
        }
    }
}
