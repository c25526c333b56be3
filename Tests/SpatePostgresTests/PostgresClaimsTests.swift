import Foundation
import Spate
@testable import SpatePostgres
import Testing

/// Batch claims in `spate_batches` identify the writer, `(table, sink, batch_time)`: two outputs of one program
/// writing one table each record and skip only their own batches. Each test runs in a fresh schema of its own,
/// so it neither depends on nor changes the shared database's `public.spate_batches` (which runs of other
/// versions use, in the earlier format).
@Suite struct PostgresClaimsTests {
    typealias Helpers = PostgresSinkTests

    /// Runs `body` with the connection string of a new, empty schema (dropped afterwards) and a connection to it.
    static func inFreshSchema(_ body: (String, PostgresConnection) async throws -> Void) async throws {
        guard let admin = await Helpers.connect() else { return }
        let schema = "spate_claims_\(UInt32.random(in: 0...UInt32.max))"
        try await admin.query("CREATE SCHEMA \(schema)")
        let conninfo = Helpers.server + " options='-c search_path=\(schema)'"
        let db = PostgresConnection(conninfo)
        do {
            try await body(conninfo, db)
        } catch {
            await db.close()
            _ = try? await admin.query("DROP SCHEMA \(schema) CASCADE")
            throw error
        }
        await db.close()
        try await admin.query("DROP SCHEMA \(schema) CASCADE")
    }

    /// Runs three batches of a program whose two outputs add `a` and `b` counts to `counts`, under sink ids
    /// `first` and `second` (batch `i` adds `i * scale` and `10 * i * scale`); returns its claims.
    static func runTwoOutputs(_ conninfo: String, scale: Int = 1, first: String = "a", second: String = "b")
        async throws -> TableClaims?
    {
        var claims: TableClaims?
        try await Helpers.run(batches: 3) { ssc in
            claims = TableClaims.of(ssc)
            for (key, factor, sink) in [("a", 1, first), ("b", 10, second)] {
                try ssc.queueStream((1...3).map { [(key, factor * $0 * scale)] }).saveToPostgres(
                    connection: conninfo, table: "counts", mode: .accumulate, sink: sink)
            }
        }
        return claims
    }

    @Test func twoOutputsOfOneTableEachWriteEveryBatchAndSkipOnlyTheirOwnOnARerun() async throws {
        try await Self.inFreshSchema { conninfo, db in
            _ = try await Self.runTwoOutputs(conninfo)
            let totals = [["a", "6"], ["b", "60"]]
            #expect(try await Helpers.dump(db, "SELECT key, value FROM counts ORDER BY key") == totals)
            let claims = "SELECT \"table\", sink, batch_time, rows FROM spate_batches ORDER BY sink, batch_time"
            let recorded = [["counts", "a", "1000", "1"], ["counts", "a", "2000", "1"], ["counts", "a", "3000", "1"],
                            ["counts", "b", "1000", "1"], ["counts", "b", "2000", "1"], ["counts", "b", "3000", "1"]]
            #expect(try await Helpers.dump(db, claims) == recorded)
            // The same program again over the same batch times (as after recovery), with other data: every batch
            // of both outputs is skipped as claimed, and counted.
            let againClaims = try await Self.runTwoOutputs(conninfo, scale: 100)
            #expect(try await Helpers.dump(db, "SELECT key, value FROM counts ORDER BY key") == totals)
            #expect(try await Helpers.dump(db, claims) == recorded)
            #expect(againClaims?.skippedBatches("saveToPostgres(counts, sink: a)") == 3)
            #expect(againClaims?.skippedBatches("saveToPostgres(counts, sink: b)") == 3)
        }
    }

    @Test func twoOutputsWithOneClaimKeyThrowAtDefinition() throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let pairs = ssc.queueStream([[("a", 1)]])
        try pairs.saveToPostgres(connection: Helpers.conninfo, table: "counts", mode: .accumulate)
        let error = #expect(throws: TableDefinitionError.self) {
            try pairs.saveToPostgres(connection: Helpers.conninfo, table: "counts", mode: .accumulate)
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("give each output its own sink: id"))
        try pairs.saveToPostgres(connection: Helpers.conninfo, table: "counts", mode: .accumulate, sink: "other")
    }

    @Test func aBookkeepingTableOfTheEarlierFormatFailsWithItsMigrationWhichKeepsItsClaims() async throws {
        try await Self.inFreshSchema { conninfo, db in
            try await db.query(
                "CREATE TABLE spate_batches (\"table\" text NOT NULL, batch_time bigint NOT NULL, rows bigint NOT NULL, "
                    + "committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (\"table\", batch_time))")
            try await db.query("INSERT INTO spate_batches (\"table\", batch_time, rows) VALUES ('counts', 1000, 1)")
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
            try ssc.queueStream([[("a", 1)]]).saveToPostgres(connection: conninfo, table: "counts", mode: .accumulate)
            let migration = PostgresSchema.dialect.migrateBatchesTable
            await Helpers.expectFirstBatchFails(
                ssc, saying: ["format of an earlier Spate", migration.joined(separator: "; ")])
            // The statements the message names migrate the table; the old claim becomes the default sink id's,
            // so batch 1000 stays skipped and batch 2000 is written.
            for statement in migration { try await db.query(statement) }
            try await Helpers.run(batches: 2) { ssc in
                try ssc.queueStream([[("a", 1)], [("a", 2)]]).saveToPostgres(
                    connection: conninfo, table: "counts", mode: .accumulate)
            }
            #expect(try await Helpers.dump(db, "SELECT key, value FROM counts") == [["a", "2"]])
            #expect(try await Helpers.dump(db, "SELECT sink, batch_time FROM spate_batches ORDER BY batch_time")
                == [["default", "1000"], ["default", "2000"]])
        }
    }
}
