import Foundation
import Spate
@testable import SpateSQLite
import SQLiteNIO
import Testing

/// Batch claims in `spate_batches` identify the writer, `(table, sink, batch_time)`: two outputs of one program
/// writing one table each record and skip only their own batches.
@Suite struct SQLiteClaimsTests {
    typealias Helpers = SQLiteSinkTests

    /// Runs three batches of a program whose two outputs add `a` and `b` counts to `counts`, under sink ids
    /// `first` and `second` (batch `i` adds `i * scale` and `10 * i * scale`); returns its claims.
    static func runTwoOutputs(_ path: String, scale: Int = 1, first: String = "a", second: String = "b")
        async throws -> TableClaims?
    {
        var claims: TableClaims?
        try await Helpers.run(batches: 3) { ssc in
            claims = TableClaims.of(ssc)
            for (key, factor, sink) in [("a", 1, first), ("b", 10, second)] {
                try ssc.queueStream((1...3).map { [(key, factor * $0 * scale)] }).saveToSQLite(
                    path: path, table: "counts", mode: .accumulate, sink: sink)
            }
        }
        return claims
    }

    @Test func twoOutputsOfOneTableEachWriteEveryBatchAndSkipOnlyTheirOwnOnARerun() async throws {
        let dir = Helpers.TempDir()
        let path = dir.path("shared.sqlite")
        let firstClaims = try await Self.runTwoOutputs(path)
        let totals = [["a", "6"], ["b", "60"]]
        #expect(try await Helpers.dump(path, "SELECT key, value FROM counts ORDER BY key") == totals)
        let claims = "SELECT \"table\", sink, batch_time, rows FROM spate_batches ORDER BY sink, batch_time"
        let recorded = [["counts", "a", "1000", "1"], ["counts", "a", "2000", "1"], ["counts", "a", "3000", "1"],
                        ["counts", "b", "1000", "1"], ["counts", "b", "2000", "1"], ["counts", "b", "3000", "1"]]
        #expect(try await Helpers.dump(path, claims) == recorded)
        #expect(firstClaims?.skippedBatches("saveToSQLite(counts, sink: a)") == 0)
        // The same program again over the same batch times (as after recovery), with other data: every batch of
        // both outputs is skipped as claimed, and counted.
        let againClaims = try await Self.runTwoOutputs(path, scale: 100)
        #expect(try await Helpers.dump(path, "SELECT key, value FROM counts ORDER BY key") == totals)
        #expect(try await Helpers.dump(path, claims) == recorded)
        #expect(againClaims?.skippedBatches("saveToSQLite(counts, sink: a)") == 3)
        #expect(againClaims?.skippedBatches("saveToSQLite(counts, sink: b)") == 3)
        // A third output id is a writer of its own: it writes every batch.
        _ = try await Self.runTwoOutputs(path, first: "c", second: "d")
        #expect(try await Helpers.dump(path, "SELECT key, value FROM counts ORDER BY key")
            == [["a", "12"], ["b", "120"]])
    }

    @Test func twoOutputsWithOneClaimKeyThrowAtDefinition() throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let pairs = ssc.queueStream([[("a", 1)]])
        try pairs.saveToSQLite(path: "claims.sqlite", table: "counts", mode: .accumulate)
        let error = #expect(throws: TableDefinitionError.self) {
            try pairs.saveToSQLite(path: "./claims.sqlite", table: "counts", mode: .accumulate)
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("give each output its own sink: id"))
        #expect(throws: TableDefinitionError.self) { try pairs.saveToSQLite(path: "claims.sqlite", table: "counts", sink: "") }
        // Another sink id, another table or another file is another claim key; two versioned upserts claim
        // nothing.
        try pairs.saveToSQLite(path: "claims.sqlite", table: "counts", mode: .accumulate, sink: "other")
        try pairs.saveToSQLite(path: "claims.sqlite", table: "totals", mode: .accumulate)
        try pairs.saveToSQLite(path: "other.sqlite", table: "counts", mode: .accumulate)
        let columns = [TableColumn("k", .text), TableColumn("v", .integer)]
        for _ in 0..<2 {
            try pairs.saveToSQLite(path: "claims.sqlite", table: "versioned", mode: .upsert, columns: columns,
                                   key: ["k"], version: "v") { [.text($0.0), .integer(Int64($0.1))] }
        }
        // An append table is keyed by (batch_time, seq): a second output's rows would collide with the first's.
        try pairs.saveToSQLite(path: "claims.sqlite", table: "events", mode: .append, sink: "one")
        let append = #expect(throws: TableDefinitionError.self) {
            try pairs.saveToSQLite(path: "claims.sqlite", table: "events", mode: .append, sink: "two")
        }
        #expect("\(append.map { "\($0)" } ?? "")".contains("an append table is keyed by (batch_time, seq)"))
    }

    @Test func aClaimConflictIgnoredAtDefinitionStillStopsStartAndTheClaimsAreNoListener() async throws {
        let dir = Helpers.TempDir()
        let path = dir.path("ignored.sqlite")
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let pairs = ssc.queueStream([[("a", 1)]])
        try pairs.saveToSQLite(path: path, table: "counts", mode: .accumulate)
        // The program ignores the definition's error: start() reports it as a definition error of the graph.
        try? pairs.saveToSQLite(path: path, table: "counts", mode: .accumulate)
        let error = await #expect(throws: TableDefinitionError.self) { try await ssc.start() }
        guard case .sinkIDShared(_, _, "counts", TableLayout.defaultSink)? = error else {
            Issue.record("expected sinkIDShared, got \(String(describing: error))")
            return
        }
        // The claims live in the program's storage, not among the listeners, and are one instance per program.
        #expect(!ssc.registeredListeners.contains { $0 is TableClaims })
        #expect(TableClaims.of(ssc) === TableClaims.of(ssc))
        #expect(TableClaims.of(ssc) !== TableClaims.of(StreamingContext(batchInterval: .seconds(1), clock: .manual)))
    }

    @Test func aBookkeepingTableOfTheEarlierFormatFailsWithItsMigrationWhichKeepsItsClaims() async throws {
        let dir = Helpers.TempDir()
        let path = dir.path("old.sqlite")
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        let old = try await SQLiteConnection.open(storage: .file(path: path))
        _ = try await old.query(
            "CREATE TABLE spate_batches (\"table\" TEXT NOT NULL, batch_time INTEGER NOT NULL, rows INTEGER NOT NULL, "
                + "committed_at TEXT NOT NULL, PRIMARY KEY (\"table\", batch_time))")
        _ = try await old.query("INSERT INTO spate_batches VALUES ('counts', 1000, 1, '2026-12-01T10:00:00Z')")
        try await old.close()
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try ssc.queueStream([[("a", 1)], [("a", 2)]]).saveToSQLite(path: path, table: "counts", mode: .accumulate)
        try await ssc.start()
        let error = await #expect(throws: SpateError.self) { try await ssc.advance(by: .seconds(1)) }
        let migration = SQLiteSchema.dialect.migrateBatchesTable
        #expect("\(error.map { "\($0)" } ?? "")".contains("format of an earlier Spate"))
        #expect("\(error.map { "\($0)" } ?? "")".contains(migration.joined(separator: "; ")))
        await #expect(throws: SpateError.self) { try await ssc.awaitTermination() }
        // The statements the message names migrate the table; the old claim becomes the default sink id's, so
        // batch 1000 stays skipped and batch 2000 is written.
        let db = try await SQLiteConnection.open(storage: .file(path: path))
        for statement in migration { _ = try await db.query(statement) }
        try await db.close()
        try await Helpers.run(batches: 2) { ssc in
            try ssc.queueStream([[("a", 1)], [("a", 2)]]).saveToSQLite(path: path, table: "counts", mode: .accumulate)
        }
        #expect(try await Helpers.dump(path, "SELECT key, value FROM counts") == [["a", "2"]])
        #expect(try await Helpers.dump(path, "SELECT sink, batch_time FROM spate_batches ORDER BY batch_time")
            == [["default", "1000"], ["default", "2000"]])
    }
}
