import Foundation
import Spate
@testable import SpatePostgres
import Synchronization
import Testing

/// `saveToPostgres(..., offsets:)` and `PostgresOffsetStore` against the real PostgreSQL server, with hand-made
/// `BatchOffsets` standing in for a partitioned source.
@Suite struct PostgresOffsetsTests {
    typealias Helpers = PostgresSinkTests
    /// These tests' tables and `spate_offsets` live in a schema of their own, apart from the shared database's
    /// `public` schema, where runs of other versions may keep an offsets table of the earlier format.
    static let schema = "spate_text_offsets"
    static let conninfo = Helpers.server + " options='-c search_path=\(schema),public'"

    /// A connection to the test database whose search path starts at the tests' schema (created if missing).
    static func connect() async -> PostgresConnection? {
        guard let admin = await Helpers.connect() else { return nil }
        _ = try? await admin.query("CREATE SCHEMA IF NOT EXISTS \(schema)")
        await admin.close()
        let db = PostgresConnection(conninfo)
        return (try? await db.query("SELECT 1")) == nil ? nil : db
    }

    /// A fake source's offsets: fixed ranges per batch time (in ms), recording every rewind.
    final class FakeSource: Sendable {
        let ranges: [Int: [SourceOffsetRange]]
        let rewinds = Mutex<[[SourcePartition: SourceOffset]]>([])
        init(_ ranges: [Int: [SourceOffsetRange]]) { self.ranges = ranges }

        func offsets(group: String) -> BatchOffsets {
            BatchOffsets(
                group: group, ranges: { [ranges] time in ranges[time.milliseconds] },
                rewind: { [self] offsets in rewinds.withLock { $0.append(offsets) } })
        }
        var rewound: [[SourcePartition: SourceOffset]] { rewinds.withLock { $0 } }
    }

    static func range(_ partition: Int, _ from: Int64, _ until: Int64, topic: String = "clicks") -> SourceOffsetRange {
        SourceOffsetRange(partition: p(partition, topic: topic), from: SourceOffset(from), until: SourceOffset(until))
    }
    static func p(_ partition: Int, topic: String = "clicks") -> SourcePartition {
        SourcePartition(stream: topic, id: "\(partition)")
    }

    /// Accumulates `input` into `table` with `source`'s offsets under `group`.
    static func accumulate(
        _ input: [[(String, Int)]], table: String, source: FakeSource, group: String = "g"
    ) async throws {
        try await Helpers.run(batches: input.count) { ssc in
            try ssc.queueStream(input).saveToPostgres(
                connection: Self.conninfo, table: table, mode: .accumulate, offsets: source.offsets(group: group))
        }
    }

    static let firstBatches: [Int: [SourceOffsetRange]] = [
        1000: [range(0, 0, 3), range(1, 0, 2)],
        2000: [range(0, 3, 5)],
        3000: [],
    ]
    static let firstInput: [[(String, Int)]] = [[("a", 1), ("b", 1), ("a", 1)], [("a", 1), ("c", 1)], [("d", 1)]]

    @Test func anAcceptedBatchWritesItsRowsAndOffsetsTogether() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Helpers.freshTable("offs_ok", on: db)
        let source = FakeSource(Self.firstBatches)
        try await Self.accumulate(Self.firstInput, table: table, source: source)
        let query = "SELECT key, value, batch_time FROM \(table) ORDER BY key"
        #expect(try await Helpers.dump(db, query)
            == [["a", "3", "2000"], ["b", "1", "1000"], ["c", "1", "2000"], ["d", "1", "3000"]])
        #expect(try await Helpers.dump(
            db, "SELECT group_id, topic, partition, until_offset, committed_at IS NOT NULL FROM spate_offsets "
                + "WHERE \"table\" = '\(table)' ORDER BY partition")
            == [["g", "clicks", "0", "5", "t"], ["g", "clicks", "1", "2", "t"]])
        // The offsets replace the batch records.
        #expect(try await Helpers.dump(db, "SELECT count(*) FROM spate_batches WHERE \"table\" = '\(table)'") == [["0"]])
        #expect(source.rewound.isEmpty)
        try await db.query("DROP TABLE \(table)")
    }

    @Test func aReplayedBatchIsSkippedAndLaterBatchesContinue() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Helpers.freshTable("offs_replay", on: db)
        try await Self.accumulate(Self.firstInput, table: table, source: FakeSource(Self.firstBatches))
        let query = "SELECT key, value FROM \(table) ORDER BY key"
        let once = try await Helpers.dump(db, query)

        // After recovery the same batches come again (same ranges), then a new one: the replays add nothing.
        var batches = Self.firstBatches
        batches[3000] = [Self.range(0, 5, 6), Self.range(1, 2, 2)]
        let source = FakeSource(batches)
        try await Self.accumulate(
            [[("a", 1), ("b", 1), ("a", 1)], [("a", 1), ("c", 1)], [("a", 100)]], table: table, source: source)
        #expect(once == [["a", "3"], ["b", "1"], ["c", "1"], ["d", "1"]])
        #expect(try await Helpers.dump(db, query) == [["a", "103"], ["b", "1"], ["c", "1"], ["d", "1"]])
        #expect(try PostgresOffsetStore(connection: Self.conninfo, table: table).offsets(group: "g")
            == [Self.p(0): 6, Self.p(1): 2])
        #expect(source.rewound.isEmpty)
        try await db.query("DROP TABLE \(table)")
    }

    @Test func aConflictWritesNothingAndRewindsToTheStoredOffsets() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Helpers.freshTable("offs_conflict", on: db)
        try await Self.accumulate(Self.firstInput, table: table, source: FakeSource(Self.firstBatches))
        let query = "SELECT key, value FROM \(table) ORDER BY key"
        let before = try await Helpers.dump(db, query)
        let store = PostgresOffsetStore(connection: Self.conninfo, table: table)

        let source = FakeSource([
            // Another writer moved partition 0 to 5: a batch from 3 to 8 overlaps what it wrote.
            1000: [Self.range(0, 3, 8)],
            // Partition 0 fits (stored 5), partition 1 does not (stored 2, batch from 1), partition 2 has none.
            2000: [Self.range(0, 5, 7), Self.range(1, 1, 4), Self.range(2, 0, 1)],
            // Partition 0 written before (stored 5 >= 5) but partition 1 fits: a mix, also a conflict.
            3000: [Self.range(0, 3, 5), Self.range(1, 2, 4)],
        ])
        try await Self.accumulate([[("a", 50)], [("b", 50)], [("c", 50)]], table: table, source: source)
        #expect(try await Helpers.dump(db, query) == before)
        #expect(try store.offsets(group: "g") == [Self.p(0): 5, Self.p(1): 2])
        #expect(source.rewound == [
            [Self.p(0): 5],
            [Self.p(0): 5, Self.p(1): 2, Self.p(2): 0],
            [Self.p(0): 5, Self.p(1): 2],
        ])
        try await db.query("DROP TABLE \(table)")
    }

    @Test func concurrentWritersOfTheSameBatchesWriteThemOnce() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Helpers.freshTable("offs_race", on: db)
        let input: [[(String, Int)]] = (0..<6).map { b in (0..<20).map { ("k\(($0 * 7 + b) % 13)", 1) } }
        var batches: [Int: [SourceOffsetRange]] = [:]
        for b in 0..<6 {
            batches[(b + 1) * 1000] = (0..<3).map { Self.range($0, Int64(b * 10), Int64(b * 10 + 10), topic: "race") }
        }
        let sources = [FakeSource(batches), FakeSource(batches), FakeSource(batches)]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for source in sources {
                group.addTask { try await Self.accumulate(input, table: table, source: source) }
            }
            try await group.waitForAll()
        }
        #expect(try await Helpers.dump(db, "SELECT sum(value), count(*) FROM \(table)") == [["120", "13"]])
        #expect(try PostgresOffsetStore(connection: Self.conninfo, table: table).offsets(group: "g")
            == [Self.p(0, topic: "race"): 60, Self.p(1, topic: "race"): 60, Self.p(2, topic: "race"): 60])
        #expect(sources.allSatisfy { $0.rewound.isEmpty })
        try await db.query("DROP TABLE \(table)")
    }

    @Test func writersOfDisjointPartitionsAddToSharedKeysConcurrently() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Helpers.freshTable("offs_group", on: db)
        // Two processes of one consumer group, one partition each, same batch times, the same keys in opposite
        // orders: both batches are written (no deadlock), and their counts add up.
        let keys = (0..<40).map { "k\($0)" }
        let inputs = [[keys.map { ($0, 1) }], [keys.reversed().map { ($0, 2) }]]
        let sources = (0..<2).map { p in
            FakeSource((1...4).reduce(into: [:]) { $0[$1 * 1000] = [Self.range(p, Int64($1 - 1) * 40, Int64($1) * 40)] })
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (input, source) in zip(inputs, sources) {
                group.addTask { try await Self.accumulate(Array(repeating: input[0], count: 4), table: table, source: source) }
            }
            try await group.waitForAll()
        }
        #expect(try await Helpers.dump(db, "SELECT min(value), max(value), count(*) FROM \(table)") == [["12", "12", "40"]])
        #expect(try PostgresOffsetStore(connection: Self.conninfo, table: table).offsets(group: "g")
            == [Self.p(0): 160, Self.p(1): 160])
        #expect(sources.allSatisfy { $0.rewound.isEmpty })
        try await db.query("DROP TABLE \(table)")
    }

    @Test func aBatchTheSourceDoesNotKnowFailsTheOutput() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Helpers.freshTable("offs_unknown", on: db)
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try ssc.queueStream([[("a", 1)]]).saveToPostgres(
            connection: Self.conninfo, table: table, mode: .accumulate, offsets: FakeSource([:]).offsets(group: "g"))
        await Helpers.expectFirstBatchFails(ssc, saying: ["the source does not know batch 1000 ms"])
        try await db.query("DROP TABLE IF EXISTS \(table)")
    }

    /// A Kinesis-like source: string shard ids and sequence numbers longer than any integer type.
    @Test func shardIdsAndLongSequenceNumbersAreStoredAndResumedFrom() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Helpers.freshTable("offs_shards", on: db)
        let shard = SourcePartition(stream: "clicks-stream", id: "shardId-000000000001")
        let seq = ["49590338271490256608559692538361571095921575989136588898",
                   "49590338271490256608559692538361571095921575989136588999",
                   "495903382714902566085596925383615710959215759891365889990"].map(SourceOffset.init)
        let source = FakeSource([
            1000: [SourceOffsetRange(partition: shard, from: seq[0], until: seq[1])],
            2000: [SourceOffsetRange(partition: shard, from: seq[1], until: seq[2])],
        ])
        try await Self.accumulate([[("a", 1)], [("a", 2)]], table: table, source: source)
        #expect(try PostgresOffsetStore(connection: Self.conninfo, table: table).offsets(group: "g") == [shard: seq[2]])
        #expect(source.rewound.isEmpty)
        // A replay of the first batch finds it written: the longer sequence number is the later one.
        #expect(PostgresOffsets.decide([SourceOffsetRange(partition: shard, from: seq[0], until: seq[1])],
                                       stored: [shard: seq[2]]) == .alreadyWritten)
        try await db.query("DROP TABLE \(table)")
    }

    /// A `spate_offsets` of the earlier format (integer partition, bigint offset) fails the first batch with
    /// the statement that migrates it, instead of failing later on a shard id.
    @Test func anOffsetsTableOfTheEarlierFormatFailsWithItsMigration() async throws {
        guard let db = await Self.connect() else { return }
        let schema = "spate_old_offsets_\(UInt32.random(in: 0...UInt32.max))"
        try await db.query("CREATE SCHEMA \(schema)")
        try await db.query(
            "CREATE TABLE \(schema).spate_offsets (\"table\" text NOT NULL, group_id text NOT NULL, topic text NOT NULL, "
                + "\"partition\" integer NOT NULL, until_offset bigint NOT NULL, committed_at timestamptz NOT NULL "
                + "DEFAULT now(), PRIMARY KEY (\"table\", group_id, topic, \"partition\"))")
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try ssc.queueStream([[("a", 1)]]).saveToPostgres(
            connection: Helpers.server + " options='-c search_path=\(schema)'", table: "offs_old", mode: .accumulate,
            offsets: FakeSource(Self.firstBatches).offsets(group: "g"))
        await Helpers.expectFirstBatchFails(ssc, saying: [
            "format of an earlier Spate", "ALTER COLUMN \"partition\" TYPE text, ALTER COLUMN until_offset TYPE text"])
        try await db.query("DROP SCHEMA \(schema) CASCADE")
    }

    @Test func theOffsetStoreReadsWhatWasStoredAndNothingElse() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Helpers.freshTable("offs_store", on: db)
        try await Self.accumulate(Self.firstInput, table: table, source: FakeSource(Self.firstBatches), group: "g1")
        let store = PostgresOffsetStore(connection: Self.conninfo, table: table)
        #expect(try store.offsets(group: "g1") == [Self.p(0): 5, Self.p(1): 2])
        #expect(try store.storedOffsets(group: "g1", partitions: [Self.p(1), Self.p(7), Self.p(0, topic: "other")])
            == [Self.p(1): 2])
        #expect(try store.storedOffsets(group: "g1", partitions: []) == [:])
        #expect(try store.offsets(group: "unknown") == [:])
        #expect(try PostgresOffsetStore(connection: Self.conninfo, table: "no_such_table").offsets(group: "g1") == [:])
        // A database (here: a search path) without the offsets table has no offsets.
        let empty = PostgresOffsetStore(
            connection: Helpers.server + " options='-c search_path=spate_no_such_schema'", table: table)
        #expect(try empty.storedOffsets(group: "g1", partitions: [Self.p(0)]) == [:])
        // An unreachable server says where it looked and how to start one.
        let down = "host=127.0.0.1 port=1 user=postgres dbname=spate connect_timeout=2"
        do {
            _ = try PostgresOffsetStore(connection: down, table: table).storedOffsets(group: "g1", partitions: [Self.p(0)])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains(down))
            #expect("\(error)".contains("scripts/postgres.sh start"))
        }
        try await db.query("DROP TABLE \(table)")
    }
}

/// The decision rule alone (no database): ready, written, empty and conflicting ranges.
@Suite struct OffsetClaimRuleTests {
    typealias Claim = PostgresOffsets.Claim
    static func range(_ p: Int, _ from: Int64, _ until: Int64) -> SourceOffsetRange {
        SourceOffsetRange(partition: SourcePartition(stream: "t", id: "\(p)"), from: SourceOffset(from),
                          until: SourceOffset(until))
    }
    static func at(_ offsets: [Int: Int64]) -> [SourcePartition: SourceOffset] {
        Dictionary(uniqueKeysWithValues: offsets.map { (SourcePartition(stream: "t", id: "\($0.key)"), SourceOffset($0.value)) })
    }

    @Test func positionsOfDecimalDigitsCompareAsNumbersOthersInByteOrder() {
        #expect(SourceOffset(9) < SourceOffset(10))
        let kinesis = "49590338271490256608559692538361571095921575989136588898"
        #expect(SourceOffset(kinesis) < SourceOffset(kinesis + "0"))
        #expect(SourceOffset("0" + kinesis) == SourceOffset("0" + kinesis) && !(SourceOffset("0" + kinesis) < SourceOffset(kinesis)))
        #expect(SourceOffset("b") > SourceOffset("a1"))
        #expect(SourcePartition(stream: "t", id: "2") < SourcePartition(stream: "t", id: "10"))
        #expect(SourcePartition(stream: "t", id: "shardId-000000000002") > SourcePartition(stream: "t", id: "shardId-000000000001"))
    }

    @Test func rangesStartingAtTheStoredOffsetsAreClaimed() {
        #expect(PostgresOffsets.decide([Self.range(0, 5, 9), Self.range(1, 0, 3)], stored: Self.at([0: 5])) == .claimed)
        #expect(PostgresOffsets.decide([Self.range(0, 5, 5)], stored: Self.at([0: 5])) == .claimed)
    }

    @Test func aReplayedBatchIsAlreadyWrittenEvenWithEmptyRangesBesideIt() {
        #expect(PostgresOffsets.decide([Self.range(0, 5, 9)], stored: Self.at([0: 9])) == .alreadyWritten)
        // Partition 1 read nothing in that batch and nothing was stored after it: still a replay, not a conflict.
        #expect(PostgresOffsets.decide([Self.range(0, 5, 9), Self.range(1, 4, 4)], stored: Self.at([0: 12, 1: 4])) == .alreadyWritten)
    }

    @Test func anythingElseIsAConflictThatRewindsToTheStoredOffsets() {
        let claim = PostgresOffsets.decide([Self.range(0, 5, 9), Self.range(1, 2, 6)], stored: Self.at([0: 5, 1: 4]))
        #expect(claim == .conflict(rewind: Self.at([0: 5, 1: 4])))
        // Partly written (one partition ahead, one ready) is a conflict too.
        #expect(PostgresOffsets.decide([Self.range(0, 5, 9), Self.range(1, 2, 6)], stored: Self.at([0: 9])) ==
            .conflict(rewind: Self.at([0: 9, 1: 2])))
    }
}
