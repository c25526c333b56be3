import Foundation
import SQLiteNIO
import Spate
import SpateSQLite
import Testing

/// `.accumulate` and the versioned upsert against real SQLite files, with the manual clock.
@Suite struct SQLiteModesTests {
    typealias Helpers = SQLiteSinkTests

    @Test func accumulateAddsEveryBatchToTheStoredRowsAndSumsDuplicateKeys() async throws {
        let dir = Helpers.TempDir()
        let path = dir.path("out.sqlite")
        // Batch 4 holds c twice: summed to 7.
        try await Helpers.run(batches: 4) { ssc in
            try ssc.queueStream(Helpers.input).saveToSQLite(path: path, table: "totals", mode: .accumulate)
        }
        let query = "SELECT key, value, batch_time FROM totals ORDER BY key"
        #expect(try await Helpers.dump(path, query) == [["a", "6", "2000"], ["b", "9", "4000"], ["c", "7", "4000"]])
        #expect(try await Helpers.dump(path, "SELECT batch_time, rows FROM spate_batches ORDER BY batch_time")
            == [["1000", "2"], ["2000", "1"], ["3000", "0"], ["4000", "3"]])

        // Re-running the same batch times (as after recovery) adds nothing; later batches add on top.
        try await Helpers.run(batches: 5) { ssc in
            try ssc.queueStream(Helpers.input + [[("a", 10), ("d", 1), ("a", 20)]])
                .saveToSQLite(path: path, table: "totals", mode: .accumulate)
        }
        #expect(try await Helpers.dump(path, query)
            == [["a", "36", "5000"], ["b", "9", "4000"], ["c", "7", "4000"], ["d", "1", "5000"]])
    }

    @Test func accumulateSumsIntegerAndRealColumnsWithACompositeKey() async throws {
        let dir = Helpers.TempDir()
        let path = dir.path("out.sqlite")
        let input: [[(String, Int, Double)]] = [[("/", 1, 0.5), ("/", 2, 1.25), ("/", 1, 0.25)], [("/", 1, 2)]]
        try await Helpers.run(batches: 2) { ssc in
            try ssc.queueStream(input).saveToSQLite(
                path: path, table: "hits", mode: .accumulate,
                columns: [TableColumn("page", .text), TableColumn("day", .integer), TableColumn("hits", .integer),
                          TableColumn("seconds", .real)],
                key: ["page", "day"]
            ) { h in [.text(h.0), .integer(Int64(h.1)), .integer(1), .real(h.2)] }
        }
        #expect(try await Helpers.dump(path, "SELECT page, day, hits, seconds, typeof(seconds), batch_time FROM hits ORDER BY day")
            == [["/", "1", "3", "2.75", "real", "2000"], ["/", "2", "1", "1.25", "real", "1000"]])
    }

    @Test func accumulateAndVersionLayoutsAreValidatedAtDefinition() throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let words = ssc.queueStream([[("a", "x")]])
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        let text = message { try words.saveToSQLite(path: "x.sqlite", table: "t", mode: .accumulate) }
        #expect(text.contains("accumulate adds every non-key column, but 'value text NOT NULL'"))
        #expect(text.contains("TableColumn(\"value\", .integer)"))
        #expect(message {
            try words.saveToSQLite(
                path: "x.sqlite", table: "t", mode: .accumulate,
                columns: [TableColumn("k", .text), TableColumn("n", .real, nullable: true)], key: ["k"]
            ) { _ in [.text("a"), .null] }
        }.contains("is not a non-nullable integer or real column"))
        let columns = [TableColumn("k", .text), TableColumn("v", .integer), TableColumn("r", .real)]
        func version(_ mode: TableWriteMode, _ v: String) -> String {
            message {
                try words.saveToSQLite(path: "x.sqlite", table: "t", mode: mode, columns: columns, key: ["k"], version: v) {
                    _ in [.text("a"), .integer(1), .real(1)]
                }
            }
        }
        #expect(version(.accumulate, "v").contains("only orders .upsert writes"))
        #expect(version(.append, "v").contains("only orders .upsert writes"))
        #expect(version(.upsert, "k").contains("is a key column"))
        #expect(version(.upsert, "r").contains("must be a non-nullable integer column"))
        #expect(version(.upsert, "nope").contains("is not one of the columns"))
        #expect(version(.upsert, "v") == "")
    }

    /// Rows `(id, value, version)` upserted with `version` as the version column.
    static func saveVersioned(_ stream: DStream<(Int, String, Int)>, path: String) throws {
        try stream.saveToSQLite(
            path: path, table: "latest", mode: .upsert,
            columns: [TableColumn("id", .integer), TableColumn("value", .text), TableColumn("version", .integer)],
            key: ["id"], version: "version"
        ) { r in [.integer(Int64(r.0)), .text(r.1), .integer(Int64(r.2))] }
    }

    @Test func versionedUpsertKeepsTheHighestVersionAndRecordsNoBatches() async throws {
        let dir = Helpers.TempDir()
        let path = dir.path("out.sqlite")
        let input: [[(Int, String, Int)]] = [
            [(1, "a5", 5), (2, "x1", 1)],
            // 1: an older version does not overwrite; 2: an equal version does.
            [(1, "old4", 4), (2, "y1", 1)],
            // The highest version in the batch wins, wherever it is.
            [(3, "v7", 7), (3, "v9", 9), (3, "v8", 8), (1, "a6", 6)],
        ]
        try await Helpers.run(batches: 3) { ssc in try Self.saveVersioned(ssc.queueStream(input), path: path) }
        let query = "SELECT id, value, version, batch_time FROM latest ORDER BY id"
        #expect(try await Helpers.dump(path, query)
            == [["1", "a6", "6", "3000"], ["2", "y1", "1", "2000"], ["3", "v9", "9", "3000"]])
        #expect(try await Helpers.dump(path, "SELECT count(*) FROM spate_batches") == [["0"]])

        // A second writer with the same batch times is not skipped; its rows win or lose by version alone.
        try await Helpers.run(batches: 2) { ssc in
            try Self.saveVersioned(ssc.queueStream([[(1, "stale", 5), (4, "new", 1)], [(3, "v10", 10)]]), path: path)
        }
        #expect(try await Helpers.dump(path, query)
            == [["1", "a6", "6", "3000"], ["2", "y1", "1", "2000"], ["3", "v10", "10", "2000"], ["4", "new", "1", "1000"]])
        #expect(try await Helpers.dump(path, "SELECT count(*) FROM spate_batches") == [["0"]])
    }
}
