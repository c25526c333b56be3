import Foundation
import SQLiteNIO
import Spate
import SpateSQLite
import Testing

/// The SQLite sink against real database files, with the manual clock.
@Suite struct SQLiteSinkTests {
    /// A temporary folder removed at the end of a test.
    final class TempDir: Sendable {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("spate-sqlite-\(UUID().uuidString)")
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    /// Runs `define` on a fresh manual-clock context over `batches` batch intervals.
    static func run(batches: Int, _ define: (StreamingContext) throws -> Void) async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try define(ssc)
        try await ssc.start()
        try await ssc.advance(by: .seconds(batches))
        await ssc.stop()
    }

    /// Every row of `sql`, each row's columns rendered as text.
    static func dump(_ path: String, _ sql: String) async throws -> [[String]] {
        let db = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            let rows = try await db.query(sql).map { row in row.columns.map { Self.text($0.data) } }
            try await db.close()
            return rows
        } catch {
            try? await db.close()
            throw error
        }
    }

    /// A value as plain text (`null` for NULL).
    static func text(_ data: SQLiteData) -> String {
        switch data {
        case let .text(s): s
        case .null: "null"
        default: data.description
        }
    }

    static let input: [[(String, Int)]] = [[("a", 1), ("b", 2)], [("a", 5)], [], [("c", 3), ("b", 7), ("c", 4)]]

    @Test func upsertKeepsTheLatestValuePerKeyAndReRunsAreIdempotent() async throws {
        let dir = TempDir()
        let path = dir.path("nested/out.sqlite")
        try await Self.run(batches: 4) { ssc in
            try ssc.queueStream(Self.input).saveToSQLite(path: path, table: "counts")
        }
        let rows = try await Self.dump(path, "SELECT key, value, batch_time FROM counts ORDER BY key")
        #expect(rows == [["a", "5", "2000"], ["b", "7", "4000"], ["c", "4", "4000"]])
        let batches = try await Self.dump(path, "SELECT \"table\", batch_time, rows FROM spate_batches ORDER BY batch_time")
        #expect(batches == [["counts", "1000", "2"], ["counts", "2000", "1"], ["counts", "3000", "0"], ["counts", "4000", "3"]])

        // A second run over the same file and the same batch times (as after recovery) writes nothing again,
        // even when its data differs.
        try await Self.run(batches: 4) { ssc in
            try ssc.queueStream(Self.input.map { $0.map { ($0.0, $0.1 * 100) } }).saveToSQLite(path: path, table: "counts")
        }
        #expect(try await Self.dump(path, "SELECT key, value, batch_time FROM counts ORDER BY key") == rows)
        #expect(try await Self.dump(path, "SELECT \"table\", batch_time, rows FROM spate_batches ORDER BY batch_time") == batches)
    }

    @Test func appendKeepsEveryRowKeyedByBatchTimeAndSeq() async throws {
        let dir = TempDir()
        let path = dir.path("out.sqlite")
        func once() async throws {
            try await Self.run(batches: 4) { ssc in
                try ssc.queueStream(Self.input).saveToSQLite(path: path, table: "events", mode: .append)
            }
        }
        try await once()
        let query = "SELECT batch_time, seq, key, value FROM events ORDER BY batch_time, seq"
        let rows = try await Self.dump(path, query)
        #expect(rows.count == 6)
        #expect(rows.map { $0[0] } == ["1000", "1000", "2000", "4000", "4000", "4000"])
        #expect(rows.map { $0[1] } == ["0", "1", "0", "0", "1", "2"])
        #expect(Set(rows.filter { $0[0] == "4000" }.map { $0[2] + "=" + $0[3] }) == ["c=3", "b=7", "c=4"])
        try await once()
        #expect(try await Self.dump(path, query) == rows)
        #expect(try await Self.dump(path, "SELECT count(*) FROM spate_batches") == [["4"]])
    }

    @Test func generalFormWritesMappedColumnsAndNulls() async throws {
        let dir = TempDir()
        let path = dir.path("out.sqlite")
        try await Self.run(batches: 2) { ssc in
            try ssc.queueStream([["u1 1.5", "u2"], ["u1 2.5"]]).saveToSQLite(
                path: path, table: "scores", mode: .upsert,
                columns: [TableColumn("user", .text), TableColumn("score", .real, nullable: true)], key: ["user"]
            ) { line in
                let f = line.split(separator: " ")
                return [.text(String(f[0])), f.count > 1 ? .real(Double(f[1])!) : .null]
            }
        }
        #expect(try await Self.dump(path, "SELECT user, score, batch_time FROM scores ORDER BY user")
            == [["u1", "2.5", "2000"], ["u2", "null", "1000"]])
    }

    @Test func schemaMismatchFailsWithWhatToChange() async throws {
        let dir = TempDir()
        let path = dir.path("out.sqlite")
        try await Self.run(batches: 1) { ssc in
            try ssc.queueStream([[("a", 1)]]).saveToSQLite(path: path, table: "counts")
        }
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try ssc.queueStream([[("a", 1.5)]]).saveToSQLite(path: path, table: "counts")
        try await ssc.start()
        let error = await #expect(throws: SpateError.self) { try await ssc.advance(by: .seconds(1)) }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("table counts has columns (key TEXT NOT NULL, value INTEGER NOT NULL"))
        #expect(message.contains("writes (key TEXT NOT NULL, value REAL NOT NULL"))
        #expect(message.contains("drop or rename the existing table"))
        await #expect(throws: SpateError.self) { try await ssc.awaitTermination() }
        // The failed batch wrote nothing.
        #expect(try await Self.dump(path, "SELECT count(*) FROM spate_batches") == [["1"]])
    }

    @Test func invalidNamesThrowAtDefinition() throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let pairs = ssc.queueStream([[("a", 1)]])
        #expect(throws: TableDefinitionError.self) { try pairs.saveToSQLite(path: "x.sqlite", table: "bad name") }
        #expect(throws: TableDefinitionError.self) { try pairs.saveToSQLite(path: "x.sqlite", table: "spate_batches") }
        #expect(throws: TableDefinitionError.self) {
            try pairs.saveToSQLite(path: "x.sqlite", table: "t", mode: .upsert, columns: [TableColumn("v", .integer)]) {
                [.integer(Int64($0.1))]
            }
        }
    }
}
