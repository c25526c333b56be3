import Spate
import SpateSQL

/// Source offsets stored with a table's batches in `spate_offsets("table", group_id, topic, partition,
/// until_offset, committed_at)`: one row per (table, consumer group, topic partition) holding the offset after
/// the last batch written, updated in the batch's transaction (`saveToPostgres(..., offsets:)`).
enum PostgresOffsets {
    /// The quoted offsets table.
    static let table = PostgresSchema.dialect.quote(TableLayout.offsetsTable)

    /// `CREATE TABLE IF NOT EXISTS` for the offsets table.
    static let createStatement = "CREATE TABLE IF NOT EXISTS \(table) ("
        + "\"table\" text NOT NULL, group_id text NOT NULL, topic text NOT NULL, \"partition\" integer NOT NULL, "
        + "until_offset bigint NOT NULL, committed_at timestamptz NOT NULL DEFAULT now(), "
        + "PRIMARY KEY (\"table\", group_id, topic, \"partition\"))"

    /// What a batch's offset ranges meet in the store.
    enum Claim: Equatable, Sendable {
        /// Every partition's stored offset is absent or where the batch starts: write the batch.
        case claimed
        /// Every partition's stored offset is at or past where the batch ends: the batch was written before.
        case alreadyWritten
        /// Another writer moved some partition's offset (or the batch is partly written): drop the batch and
        /// read the partitions again from these offsets (the stored ones; where the batch starts for
        /// partitions with none stored).
        case conflict(rewind: [SourcePartition: Int64])
    }

    /// Decides a batch against the offsets `stored` before it (partitions without a row absent): a range is
    /// ready when its partition has no offset or the offset is its `fromOffset`, and written when the offset is
    /// at or past its `untilOffset` (and not its `fromOffset`); an empty range at the stored offset (or with
    /// none stored) is both, since writing it changes nothing. All ready: claimed; all written (and not all
    /// empty): already written (a batch replayed after recovery); anything else: a conflict.
    static func decide(_ ranges: [SourceOffsetRange], stored: [SourcePartition: Int64]) -> Claim {
        var ready = 0, written = 0, neutral = 0
        for r in ranges {
            guard let s = stored[r.topicPartition], s != r.fromOffset else {
                if r.count == 0 { neutral += 1 } else { ready += 1 }
                continue
            }
            if s >= r.untilOffset { written += 1 }
        }
        if ready + neutral == ranges.count { return .claimed }
        if written + neutral == ranges.count { return .alreadyWritten }
        var rewind: [SourcePartition: Int64] = [:]
        for r in ranges { rewind[r.topicPartition] = stored[r.topicPartition] ?? r.fromOffset }
        return .conflict(rewind: rewind)
    }

    /// In the batch's open transaction: makes sure every range's partition has a row (inserting missing ones at
    /// the range's `fromOffset`, which waits for a concurrent first insert of the same row to finish), locks the
    /// rows in (topic, partition) order with `SELECT ... FOR UPDATE` (a concurrent writer of the same partitions
    /// waits until this transaction ends), and decides the batch from the offsets stored before it.
    static func claim(_ ranges: [SourceOffsetRange], table: String, group: String, on s: PostgresSession) throws -> Claim {
        guard !ranges.isEmpty else { return .claimed }
        let sorted = ranges.sorted { $0.topicPartition < $1.topicPartition }
        var params: [String?] = [table, group]
        var tuples: [String] = []
        for r in sorted {
            let n = params.count
            tuples.append("($1, $2, $\(n + 1), $\(n + 2)::integer, $\(n + 3)::bigint)")
            params += [r.topic, String(r.partition), String(r.fromOffset)]
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
            keys.append("($\(n + 1), $\(n + 2)::integer)")
            params += [r.topic, String(r.partition)]
        }
        var stored: [SourcePartition: Int64] = [:]
        for row in try s.query(
            "SELECT topic, \"partition\", until_offset FROM \(Self.table) WHERE \"table\" = $1 AND group_id = $2 "
                + "AND (topic, \"partition\") IN (" + keys.joined(separator: ", ") + ") "
                + "ORDER BY topic COLLATE \"C\", \"partition\" FOR UPDATE",
            params)
        {
            if let p = partition(row), let offset = row[2].flatMap({ Int64($0) }) { stored[p] = offset }
        }
        for p in inserted { stored[p] = nil }
        return decide(ranges, stored: stored)
    }

    /// In the batch's open transaction, after `claim` returned `.claimed`: stores every range's `untilOffset`.
    static func store(_ ranges: [SourceOffsetRange], table: String, group: String, on s: PostgresSession) throws {
        guard !ranges.isEmpty else { return }
        var params: [String?] = [table, group]
        var tuples: [String] = []
        for r in ranges.sorted(by: { $0.topicPartition < $1.topicPartition }) {
            let n = params.count
            tuples.append("($1, $2, $\(n + 1), $\(n + 2)::integer, $\(n + 3)::bigint)")
            params += [r.topic, String(r.partition), String(r.untilOffset)]
        }
        try s.query(
            "INSERT INTO \(Self.table) (\"table\", group_id, topic, \"partition\", until_offset) VALUES "
                + tuples.joined(separator: ", ")
                + " ON CONFLICT (\"table\", group_id, topic, \"partition\") DO UPDATE SET "
                + "until_offset = excluded.until_offset, committed_at = now()",
            params)
    }

    /// Every offset stored for `table` and `group` (none when the offsets table does not exist).
    static func offsets(table: String, group: String, on s: PostgresSession) throws -> [SourcePartition: Int64] {
        do {
            var out: [SourcePartition: Int64] = [:]
            for row in try s.query(
                "SELECT topic, \"partition\", until_offset FROM \(Self.table) WHERE \"table\" = $1 AND group_id = $2",
                [table, group])
            {
                if let p = partition(row), let offset = row[2].flatMap({ Int64($0) }) { out[p] = offset }
            }
            return out
        } catch let error as PostgresError where error.sqlState == "42P01" {
            return [:]  // undefined_table: nothing was ever stored in this database
        }
    }

    /// The partition named by a row's first two columns (topic, partition).
    private static func partition(_ row: [String?]) -> SourcePartition? {
        guard row.count >= 2, let topic = row[0], let number = row[1].flatMap({ Int($0) }) else { return nil }
        return SourcePartition(topic: topic, partition: number)
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
    public func storedOffsets(group: String, partitions: [SourcePartition]) throws -> [SourcePartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let wanted = Set(partitions)
        return try offsets(group: group).filter { wanted.contains($0.key) }
    }

    /// Every offset stored for `group` with `table`'s batches. Throws `SpateError.sourceFailed` when the database
    /// cannot be reached or read.
    public func offsets(group: String) throws -> [SourcePartition: Int64] {
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
