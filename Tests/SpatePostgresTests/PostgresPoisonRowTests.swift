import Foundation
import Spate
import SpatePostgres
import Testing

/// Rows PostgreSQL refuses for their values (poison rows) go to the dead-letter table and the stream goes on,
/// also across a recovery; the good rows land exactly once.
@Suite struct PostgresPoisonRowTests {
    typealias Metric = (key: String, n: Int64, x: Double)

    /// Batch 2 overflows `b`'s bigint sum in the table (`bigint out of range`), batch 3 carries a NaN (which
    /// PostgreSQL's double precision holds), batch 4 a key with a NUL character (which PostgreSQL text cannot).
    static let input: [[Metric]] = [
        [("a", 1, 1), ("b", .max, 0.5)],
        [("a", 2, 2), ("b", 1, 0)],
        [("a", 3, 3), ("c", 1, .nan)],
        [("a", 4, 4), ("d\u{0}x", 1, 1)],
    ]

    static func program(_ table: String) throws -> StreamingContext {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
        try ssc.queueStream(input).checkpoint(interval: .seconds(2)).saveToPostgres(
            connection: PostgresSinkTests.conninfo, table: table, mode: .accumulate,
            columns: [TableColumn("key", .text), TableColumn("n", .integer), TableColumn("x", .real)], key: ["key"]
        ) { m in [.text(m.key), .integer(m.n), .real(m.x)] }
        return ssc
    }

    @Test func poisonRowsGoToTheDeadLetterTableAndARecoveryDoesNotStopAgain() async throws {
        guard let db = await PostgresSinkTests.connect() else { return }
        let table = try await PostgresSinkTests.freshTable("poison", on: db)
        try await db.query("DROP TABLE IF EXISTS \(table)_rejected")
        let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("spate-pg-poison-\(UUID())")
        defer { try? FileManager.default.removeItem(at: checkpoint) }
        // Three batches, then a crash after the checkpoint of batch 2: the recovery runs batch 3 again.
        let first = try StreamingContext.getOrCreate(checkpoint: checkpoint) { try Self.program(table) }
        try await first.start()
        try await first.advance(by: .seconds(3))
        await first.stop(graceful: false)
        try await first.awaitTermination()
        let second = try StreamingContext.getOrCreate(checkpoint: checkpoint) { try Self.program(table) }
        try await second.start()
        try await second.advance(by: .seconds(2))
        await second.stop()
        try await second.awaitTermination()

        #expect(try await PostgresSinkTests.dump(db, "SELECT key, n, x FROM \(table) ORDER BY key") == [
            ["a", "10", "10"], ["b", "\(Int64.max)", "0.5"], ["c", "1", "NaN"],
        ])
        let rejected = try await PostgresSinkTests.dump(
            db, "SELECT sink, batch_time, seq, error, \"row\" FROM \(table)_rejected ORDER BY batch_time, seq")
        #expect(rejected.map { Array($0.prefix(3)) } == [["default", "2000", "0"], ["default", "4000", "0"]])
        #expect(rejected.first?[3].contains("bigint out of range") == true)
        #expect(rejected.first?[4] == "[\"b\", 1, 0.0]")
        #expect(rejected.last?[3].contains("NUL") == true)
        #expect(rejected.last?[4] == "[\"d\\u0000x\", 1, 1.0]")
        #expect(try await PostgresSinkTests.dump(
            db, "SELECT count(*) FROM spate_batches WHERE \"table\" = '\(table)'") == [["4"]])
        try await db.query("DROP TABLE \(table)")
        try await db.query("DROP TABLE \(table)_rejected")
        await db.close()
    }
}
