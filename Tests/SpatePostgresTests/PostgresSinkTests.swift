import Foundation
import Spate
import SpatePostgres
import Testing

/// The PostgreSQL sink against the real server `scripts/postgres.sh start` runs, with the manual clock.
@Suite struct PostgresSinkTests {
    /// The test server, with no schema chosen.
    static let server = "host=127.0.0.1 port=5432 user=postgres dbname=spate connect_timeout=3"
    /// These tests' tables and `spate_batches` live in a schema of their own, apart from the shared database's
    /// `public` schema, where runs of other versions may keep a `spate_batches` of the earlier format.
    static let schema = "spate_sink_claims"
    static let conninfo = server + " options='-c search_path=\(schema)'"

    /// A connection to the test server in the tests' schema (created if missing), or nil (with a recorded
    /// issue saying how to start the server).
    static func connect() async -> PostgresConnection? {
        let admin = PostgresConnection(server)
        // Two processes creating the schema at once: one wins, and the schema is there.
        _ = try? await admin.query("CREATE SCHEMA IF NOT EXISTS \(schema)")
        await admin.close()
        let db = PostgresConnection(conninfo)
        do {
            try await db.query("SELECT 1")
            return db
        } catch {
            Issue.record("PostgreSQL is not reachable (\(error)): run scripts/postgres.sh start")
            return nil
        }
    }

    /// Runs one batch of `ssc` and expects the output to fail with an error mentioning every one of `phrases`.
    static func expectFirstBatchFails(_ ssc: StreamingContext, saying phrases: [String]) async {
        do {
            try await ssc.start()
            try? await ssc.advance(by: .seconds(1))
            await ssc.stop()
            try await ssc.awaitTermination()
            Issue.record("expected the output to fail")
        } catch {
            for phrase in phrases { #expect("\(error)".contains(phrase)) }
        }
    }

    /// A table name no other test (or earlier run) uses; its table, bookkeeping rows and stored offsets are
    /// dropped first.
    static func freshTable(_ prefix: String, on db: PostgresConnection) async throws -> String {
        let name = prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try await db.query("DROP TABLE IF EXISTS \"\(name)\"")
        try await db.query(
            "DO $$ BEGIN IF to_regclass('spate_batches') IS NOT NULL THEN "
                + "DELETE FROM spate_batches WHERE \"table\" = '\(name)'; END IF; "
                + "IF to_regclass('spate_offsets') IS NOT NULL THEN "
                + "DELETE FROM spate_offsets WHERE \"table\" = '\(name)'; END IF; END $$")
        return name
    }

    /// Runs `define` on a fresh manual-clock context over `batches` batch intervals.
    static func run(batches: Int, _ define: (StreamingContext) throws -> Void) async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try define(ssc)
        try await ssc.start()
        try await ssc.advance(by: .seconds(batches))
        await ssc.stop()
    }

    /// Every row of `sql`, `NULL` shown as `null`.
    static func dump(_ db: PostgresConnection, _ sql: String) async throws -> [[String]] {
        try await db.query(sql).map { $0.map { $0 ?? "null" } }
    }

    static let input: [[(String, Int)]] = [[("a", 1), ("b", 2)], [("a", 5)], [], [("c", 3), ("b", 7), ("c", 4)]]

    @Test func upsertKeepsTheLatestValuePerKeyAndReRunsAreIdempotent() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Self.freshTable("counts", on: db)
        try await Self.run(batches: 4) { ssc in
            try ssc.queueStream(Self.input).saveToPostgres(connection: Self.conninfo, table: table)
        }
        let query = "SELECT key, value, batch_time FROM \(table) ORDER BY key"
        let rows = try await Self.dump(db, query)
        #expect(rows == [["a", "5", "2000"], ["b", "7", "4000"], ["c", "4", "4000"]])
        let batchesQuery = "SELECT batch_time, rows FROM spate_batches WHERE \"table\" = '\(table)' ORDER BY batch_time"
        let batches = try await Self.dump(db, batchesQuery)
        #expect(batches == [["1000", "2"], ["2000", "1"], ["3000", "0"], ["4000", "3"]])
        let types = try await Self.dump(
            db, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '\(table)' "
                + "ORDER BY ordinal_position")
        #expect(types == [["key", "text"], ["value", "bigint"], ["batch_time", "bigint"]])

        // A second context over the same table and batch times (as after recovery) writes nothing again, even
        // when its data differs.
        try await Self.run(batches: 4) { ssc in
            try ssc.queueStream(Self.input.map { $0.map { ($0.0, $0.1 * 100) } })
                .saveToPostgres(connection: Self.conninfo, table: table)
        }
        #expect(try await Self.dump(db, query) == rows)
        #expect(try await Self.dump(db, batchesQuery) == batches)

        // Later batch times are written on top.
        try await Self.run(batches: 5) { ssc in
            try ssc.queueStream(Self.input + [[("a", 9), ("d", 1)]]).saveToPostgres(connection: Self.conninfo, table: table)
        }
        #expect(try await Self.dump(db, query)
            == [["a", "9", "5000"], ["b", "7", "4000"], ["c", "4", "4000"], ["d", "1", "5000"]])
        try await db.query("DROP TABLE \(table)")
    }

    @Test func appendKeepsEveryRowKeyedByBatchTimeAndSeqAndReRunsAreIdempotent() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Self.freshTable("events", on: db)
        func once(_ input: [[(String, Int)]]) async throws {
            try await Self.run(batches: 4) { ssc in
                try ssc.queueStream(input).saveToPostgres(connection: Self.conninfo, table: table, mode: .append)
            }
        }
        try await once(Self.input)
        let query = "SELECT batch_time, seq, key, value FROM \(table) ORDER BY batch_time, seq"
        let rows = try await Self.dump(db, query)
        #expect(rows.count == 6)
        #expect(rows.map { $0[0] } == ["1000", "1000", "2000", "4000", "4000", "4000"])
        #expect(rows.filter { $0[0] == "4000" }.map { $0[1] } == ["0", "1", "2"])
        #expect(Set(rows.map { [$0[2], $0[3]] }) == Set(Self.input.flatMap { $0 }.map { [$0.0, String($0.1)] }))
        try await once(Self.input.map { $0.map { ($0.0, -$0.1) } })
        #expect(try await Self.dump(db, query) == rows)
        try await db.query("DROP TABLE \(table)")
    }

    @Test func generalFormWritesEveryColumnType() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Self.freshTable("typed", on: db)
        struct Rec: Sendable { var id: Int; var score: Double; var tag: String?; var raw: [UInt8] }
        let input: [[Rec]] = [
            [Rec(id: 1, score: 0.5, tag: "x", raw: [0, 255]), Rec(id: 2, score: -1e-5, tag: nil, raw: [])],
            [Rec(id: 1, score: 2.25, tag: "it's \"quoted\"", raw: [1, 2, 3])],
        ]
        try await Self.run(batches: 2) { ssc in
            try ssc.queueStream(input).saveToPostgres(
                connection: Self.conninfo, table: table, mode: .upsert,
                columns: [
                    TableColumn("id", .integer), TableColumn("score", .real), TableColumn("tag", .text, nullable: true),
                    TableColumn("raw", .blob),
                ],
                key: ["id"]
            ) { r in [.integer(Int64(r.id)), .real(r.score), r.tag.map { .text($0) } ?? .null, .blob(r.raw)] }
        }
        let rows = try await Self.dump(db, "SELECT id, score, tag, encode(raw, 'hex'), batch_time FROM \(table) ORDER BY id")
        #expect(rows == [["1", "2.25", "it's \"quoted\"", "010203", "2000"], ["2", "-1e-05", "null", "", "1000"]])
        try await db.query("DROP TABLE \(table)")
    }

    @Test func aMismatchedExistingTableFailsWithAMessage() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Self.freshTable("clash", on: db)
        try await db.query("CREATE TABLE \(table) (key text PRIMARY KEY, other int)")
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try ssc.queueStream([[("a", 1)]]).saveToPostgres(connection: Self.conninfo, table: table)
        await Self.expectFirstBatchFails(ssc, saying: ["has columns", "DROP TABLE \(table)"])
        #expect(try await Self.dump(db, "SELECT count(*) FROM \(table)") == [["0"]])
        try await db.query("DROP TABLE \(table)")
    }

    @Test func aServerErrorCarriesTheServersMessage() async throws {
        guard let db = await Self.connect() else { return }
        do {
            try await db.query("SELECT * FROM spate_no_such_table_xyz")
            Issue.record("expected an error")
        } catch let error as PostgresError {
            #expect(error.message.contains("spate_no_such_table_xyz"))
            #expect(error.sqlState == "42P01")
        }
        // The connection is still usable after a statement error.
        #expect(try await db.query("SELECT $1::int + 1", ["41"]) == [["42"]])
        let bad = PostgresConnection("host=127.0.0.1 port=1 user=postgres dbname=spate connect_timeout=2")
        await #expect(throws: PostgresError.self) { try await bad.query("SELECT 1") }
    }

    @Test func aDroppedConnectionIsReopenedAndTheBatchWritten() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Self.freshTable("reconnect", on: db)
        let app = "spate_" + table
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try ssc.queueStream(Self.input).saveToPostgres(connection: Self.conninfo + " application_name=\(app)", table: table)
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        let killed = try await db.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [app])
        #expect(killed == [["t"]])
        try await ssc.advance(by: .seconds(2))
        await ssc.stop()
        try await ssc.awaitTermination()
        #expect(try await Self.dump(db, "SELECT key, value FROM \(table) ORDER BY key") == [["a", "5"], ["b", "7"], ["c", "4"]])
        #expect(try await Self.dump(db, "SELECT count(*) FROM spate_batches WHERE \"table\" = '\(table)'") == [["4"]])
        try await db.query("DROP TABLE \(table)")
    }

    @Test func aLostConnectionIsReportedAndTheNextUseReconnects() async throws {
        guard let db = await Self.connect() else { return }
        let other = PostgresConnection(Self.conninfo)
        let pid = try #require(try await other.query("SELECT pg_backend_pid()").first?.first ?? nil)
        try await db.query("SELECT pg_terminate_backend($1::int)", [pid])
        do {
            try await other.query("SELECT 1")
            Issue.record("expected the terminated connection to fail")
        } catch let error as PostgresError {
            #expect(error.connectionLost)
        }
        #expect(try await other.query("SELECT 1") == [["1"]])
        await other.close()
    }

    @Test func aRejectedBatchFailsWithTheServersErrorUnderneath() async throws {
        guard let db = await Self.connect() else { return }
        let table = try await Self.freshTable("rejected", on: db)
        // The columns the sink expects, plus a constraint the second batch breaks.
        try await db.query(
            "CREATE TABLE \(table) (key text NOT NULL, value bigint NOT NULL CHECK (value < 100), "
                + "batch_time bigint NOT NULL, PRIMARY KEY (key))")
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try ssc.queueStream([[("a", 1)], [("a", 500)]]).saveToPostgres(
            connection: Self.conninfo, table: table, rejectedRows: .failBatch)
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        let error = await #expect(throws: TableSinkError.self) { try await ssc.advance(by: .seconds(1)) }
        guard case let .writeFailed(operation, batch, _, underlying as PostgresError) = error else {
            Issue.record("expected writeFailed over a PostgresError, got \(String(describing: error))")
            return
        }
        #expect(operation == "saveToPostgres(\(table))")
        #expect(batch == BatchTime(milliseconds: 2000))
        #expect(underlying.sqlState == "23514")  // check_violation
        #expect("\(error!)".contains("rolled back"))
        #expect(try await Self.dump(db, "SELECT key, value FROM \(table)") == [["a", "1"]])
        try await db.query("DROP TABLE \(table)")
    }

    @Test func libpqRunsOnTheThreadsForBlockingCallsNotOnTheCooperativePool() async throws {
        guard let db = await Self.connect() else { return }
        // BlockingIO's threads are NIOThreadPool's, named "TP-#<n>"; the cooperative pool's threads are not.
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<4 { group.addTask { try await db.withSession { _ in Thread.current.name ?? "" } } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(names.count == 4)
        #expect(names.allSatisfy { $0.hasPrefix("TP-#") }, "libpq ran on \(names)")
        await db.close()
    }
}
