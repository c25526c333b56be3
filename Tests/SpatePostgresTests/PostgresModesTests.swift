import Foundation
import Spate
import SpatePostgres
import Testing

/// `.accumulate` and the versioned upsert against the real PostgreSQL server, with the manual clock.
@Suite struct PostgresModesTests {
    typealias Helpers = PostgresSinkTests
    static let conninfo = Helpers.conninfo

    @Test func accumulateAddsEveryBatchToTheStoredRowsAndSumsDuplicateKeys() async throws {
        guard let db = await Helpers.connect() else { return }
        let table = try await Helpers.freshTable("totals", on: db)
        // Batch 4 holds c twice: summed to 7 before the insert (PostgreSQL would reject updating c twice).
        try await Helpers.run(batches: 4) { ssc in
            try ssc.queueStream(Helpers.input).saveToPostgres(connection: Self.conninfo, table: table, mode: .accumulate)
        }
        let query = "SELECT key, value, batch_time FROM \(table) ORDER BY key"
        let rows = try await Helpers.dump(db, query)
        #expect(rows == [["a", "6", "2000"], ["b", "9", "4000"], ["c", "7", "4000"]])
        let batchesQuery = "SELECT batch_time, rows FROM spate_batches WHERE \"table\" = '\(table)' ORDER BY batch_time"
        #expect(try await Helpers.dump(db, batchesQuery) == [["1000", "2"], ["2000", "1"], ["3000", "0"], ["4000", "3"]])

        // Re-running the same batch times (as after recovery) adds nothing; later batches add on top.
        try await Helpers.run(batches: 5) { ssc in
            try ssc.queueStream(Helpers.input + [[("a", 10), ("d", 1), ("a", 20)]])
                .saveToPostgres(connection: Self.conninfo, table: table, mode: .accumulate)
        }
        #expect(try await Helpers.dump(db, query)
            == [["a", "36", "5000"], ["b", "9", "4000"], ["c", "7", "4000"], ["d", "1", "5000"]])
        try await db.query("DROP TABLE \(table)")
    }

    @Test func accumulateSumsIntegerAndRealColumnsWithACompositeKey() async throws {
        guard let db = await Helpers.connect() else { return }
        let table = try await Helpers.freshTable("sums", on: db)
        struct Hit: Sendable { var page: String; var day: Int; var n: Int; var seconds: Double }
        let input: [[Hit]] = [
            [Hit(page: "/", day: 1, n: 1, seconds: 0.5), Hit(page: "/", day: 2, n: 1, seconds: 1.25),
             Hit(page: "/", day: 1, n: 2, seconds: 0.25)],
            [Hit(page: "/", day: 1, n: 4, seconds: 2)],
        ]
        try await Helpers.run(batches: 2) { ssc in
            try ssc.queueStream(input).saveToPostgres(
                connection: Self.conninfo, table: table, mode: .accumulate,
                columns: [TableColumn("page", .text), TableColumn("day", .integer), TableColumn("hits", .integer),
                          TableColumn("seconds", .real)],
                key: ["page", "day"]
            ) { h in [.text(h.page), .integer(Int64(h.day)), .integer(Int64(h.n)), .integer(Int64(h.seconds * 4)) ] }
        }
        // seconds is written as integers (quarter seconds) into a real column: summed as doubles.
        #expect(try await Helpers.dump(db, "SELECT page, day, hits, seconds, batch_time FROM \(table) ORDER BY day")
            == [["/", "1", "7", "11", "2000"], ["/", "2", "1", "5", "1000"]])
        try await db.query("DROP TABLE \(table)")
    }

    @Test func accumulateAndVersionLayoutsAreValidatedAtDefinition() throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let words = ssc.queueStream([[("a", "x")]])
        let c = Self.conninfo
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        // A text value column cannot be summed.
        let text = message { try words.saveToPostgres(connection: c, table: "t", mode: .accumulate) }
        #expect(text.contains("accumulate adds every non-key column"))
        #expect(text.contains("TableColumn(\"value\", .integer)"))
        // Nor can a nullable one.
        let nullable = message {
            try words.saveToPostgres(
                connection: c, table: "t", mode: .accumulate,
                columns: [TableColumn("k", .text), TableColumn("n", .integer, nullable: true)], key: ["k"]
            ) { _ in [.text("a"), .null] }
        }
        #expect(nullable.contains("is not a non-nullable integer or real column"))
        #expect(message {
            try words.saveToPostgres(connection: c, table: "t", mode: .accumulate, columns: [TableColumn("n", .integer)]) {
                _ in [.integer(1)]
            }
        }.contains("accumulate needs at least one key column"))
        let versioned: [TableColumn] = [TableColumn("k", .text), TableColumn("v", .integer), TableColumn("s", .text),
                                        TableColumn("o", .integer, nullable: true)]
        func version(_ mode: TableWriteMode, _ v: String) -> String {
            message {
                try words.saveToPostgres(connection: c, table: "t", mode: mode, columns: versioned, key: ["k"], version: v) {
                    _ in [.text("a"), .integer(1), .text("b"), .null]
                }
            }
        }
        #expect(message {
            try words.saveToPostgres(
                connection: c, table: "t", mode: .accumulate,
                columns: [TableColumn("k", .text), TableColumn("v", .integer)], key: ["k"], version: "v"
            ) { _ in [.text("a"), .integer(1)] }
        }.contains("only orders .upsert writes"))
        #expect(version(.append, "v").contains("only orders .upsert writes"))
        #expect(version(.upsert, "k").contains("is a key column"))
        #expect(version(.upsert, "s").contains("must be a non-nullable integer column"))
        #expect(version(.upsert, "o").contains("must be a non-nullable integer column"))
        #expect(version(.upsert, "missing").contains("is not one of the columns"))
        #expect(version(.upsert, "V") == "")
        #expect(message { try words.saveToPostgres(connection: c, table: "spate_offsets") }.contains("bookkeeping"))
    }

    /// Rows `(id, value, version)` upserted with `version` as the version column.
    static func saveVersioned(_ stream: DStream<(Int, String, Int)>, table: String) throws {
        try stream.saveToPostgres(
            connection: Self.conninfo, table: table, mode: .upsert,
            columns: [TableColumn("id", .integer), TableColumn("value", .text), TableColumn("version", .integer)],
            key: ["id"], version: "version"
        ) { r in [.integer(Int64(r.0)), .text(r.1), .integer(Int64(r.2))] }
    }

    @Test func versionedUpsertKeepsTheHighestVersionAndRecordsNoBatches() async throws {
        guard let db = await Helpers.connect() else { return }
        let table = try await Helpers.freshTable("versioned", on: db)
        let input: [[(Int, String, Int)]] = [
            [(1, "a5", 5), (2, "x1", 1)],
            // 1: an older version does not overwrite; 2: an equal version does.
            [(1, "old4", 4), (2, "y1", 1)],
            // The highest version in the batch wins, wherever it is.
            [(3, "v7", 7), (3, "v9", 9), (3, "v8", 8), (1, "a6", 6)],
        ]
        try await Helpers.run(batches: 3) { ssc in try Self.saveVersioned(ssc.queueStream(input), table: table) }
        let query = "SELECT id, value, version, batch_time FROM \(table) ORDER BY id"
        #expect(try await Helpers.dump(db, query)
            == [["1", "a6", "6", "3000"], ["2", "y1", "1", "2000"], ["3", "v9", "9", "3000"]])
        #expect(try await Helpers.dump(db, "SELECT count(*) FROM spate_batches WHERE \"table\" = '\(table)'") == [["0"]])

        // Another writer (as a second process of a consumer group) with the same batch times: not skipped, and
        // its rows win or lose by version alone.
        try await Helpers.run(batches: 2) { ssc in
            try Self.saveVersioned(ssc.queueStream([[(1, "stale", 5), (4, "new", 1)], [(3, "v10", 10)]]), table: table)
        }
        #expect(try await Helpers.dump(db, query)
            == [["1", "a6", "6", "3000"], ["2", "y1", "1", "2000"], ["3", "v10", "10", "2000"], ["4", "new", "1", "1000"]])
        #expect(try await Helpers.dump(db, "SELECT count(*) FROM spate_batches WHERE \"table\" = '\(table)'") == [["0"]])
        try await db.query("DROP TABLE \(table)")
    }
}
