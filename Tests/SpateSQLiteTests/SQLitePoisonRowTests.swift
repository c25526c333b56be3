import Foundation
import SQLiteNIO
import Spate
import SpateSQLite
import Testing

/// Rows SQLite refuses for their values (poison rows) go to the dead-letter table and the stream goes on, also
/// across a recovery; the good rows land exactly once.
@Suite struct SQLitePoisonRowTests {
    /// One record: a key, an integer and a real increment.
    typealias Metric = (key: String, n: Int64, x: Double)

    /// Batch 2 overflows `b`'s integer sum in the table, batch 3 carries a NaN (stored by SQLite as NULL, into a
    /// NOT NULL column), batch 4 a key with a NUL character (which SQLite stores as it is).
    static let input: [[Metric]] = [
        [("a", 1, 1), ("b", .max, 0.5)],
        [("a", 2, 2), ("b", 1, 0)],
        [("a", 3, 3), ("c", 1, .nan)],
        [("a", 4, 4), ("d\u{0}x", 1, 1)],
    ]

    static func program(_ path: String) throws -> StreamingContext {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
        try ssc.queueStream(input).checkpoint(interval: .seconds(2)).saveToSQLite(
            path: path, table: "metrics", mode: .accumulate,
            columns: [TableColumn("key", .text), TableColumn("n", .integer), TableColumn("x", .real)], key: ["key"]
        ) { m in [.text(m.key), .integer(m.n), .real(m.x)] }
        return ssc
    }

    @Test func poisonRowsGoToTheDeadLetterTableAndARecoveryDoesNotStopAgain() async throws {
        let dir = SQLiteSinkTests.TempDir()
        let path = dir.path("poison.sqlite")
        let checkpoint = dir.url.appendingPathComponent("checkpoint")
        // Three batches, then a crash after the checkpoint of batch 2: the recovery runs batch 3 again.
        let first = try StreamingContext.getOrCreate(checkpoint: checkpoint) { try Self.program(path) }
        try await first.start()
        try await first.advance(by: .seconds(3))
        await first.stop(graceful: false)
        try await first.awaitTermination()
        let second = try StreamingContext.getOrCreate(checkpoint: checkpoint) { try Self.program(path) }
        try await second.start()
        try await second.advance(by: .seconds(2))
        await second.stop()
        try await second.awaitTermination()

        #expect(try await SQLiteSinkTests.dump(path, "SELECT hex(key), CAST(n AS TEXT), CAST(x AS TEXT) FROM metrics ORDER BY key") == [
            ["61", "10", "10.0"], ["62", "\(Int64.max)", "0.5"], ["640078", "1", "1.0"],
        ])
        let rejected = try await SQLiteSinkTests.dump(
            path, "SELECT sink, batch_time, seq, error, \"row\" FROM metrics_rejected ORDER BY batch_time, seq")
        #expect(rejected.map { Array($0.prefix(3)) } == [["default", "2000", "0"], ["default", "3000", "0"]])
        #expect(rejected.first?[3].contains("integer overflow") == true)
        #expect(rejected.first?[4] == "[\"b\", 1, 0.0]")
        #expect(rejected.last?[3].contains("NOT NULL") == true)
        #expect(rejected.last?[4] == "[\"c\", 1, NaN]")
        #expect(try await SQLiteSinkTests.dump(path, "SELECT count(*) FROM spate_batches") == [["4"]])
    }

    @Test func failBatchStillFailsTheBatch() async throws {
        let dir = SQLiteSinkTests.TempDir()
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
        try ssc.queueStream([[("c", Double.nan)]]).saveToSQLite(
            path: dir.path("fail.sqlite"), table: "metrics", mode: .upsert,
            columns: [TableColumn("key", .text), TableColumn("x", .real)], key: ["key"], rejectedRows: .failBatch
        ) { m in [.text(m.0), .real(m.1)] }
        try await ssc.start()
        await #expect(throws: TableSinkError.self) { try await ssc.advance(by: .seconds(1)) }
    }
}
