import Foundation
import Spate
@testable import SpateSQLite
import Testing

/// The SQLite sink over the output lifecycle: one connection for the life of the output, and failures that
/// keep the error underneath.
@Suite struct SQLiteLifecycleTests {
    struct BadRecord: Error {}

    @Test func everyBatchIsWrittenOverTheOneConnectionOpenedBeforeTheFirst() async throws {
        let dir = SQLiteSinkTests.TempDir()
        let path = dir.path("one.sqlite")
        let layout = try TableLayout(
            table: "counts", mode: .accumulate, columns: TableColumn.pair(String.self, Int.self), keyColumns: ["key"])
        let sink = SQLiteTableSink(path: path, layout: layout)
        let batches = 6
        try await SQLiteSinkTests.run(batches: batches) { ssc in
            try ssc.queueStream((0..<batches).map { _ in [("a", 1), ("b", 2)] })
                .save(to: sink, kind: "saveToSQLite", database: path, table: "counts", sink: TableLayout.defaultSink,
                      mode: .accumulate, claimsBatches: true) { [.text($0.0), .integer(Int64($0.1))] }
        }
        #expect(sink.connectionsOpened.load(ordering: .relaxed) == 1)
        #expect(try await SQLiteSinkTests.dump(path, "SELECT key, value FROM counts ORDER BY key")
            == [["a", "6"], ["b", "12"]])
        #expect(try await SQLiteSinkTests.dump(path, "SELECT count(*) FROM spate_batches") == [["\(batches)"]])
    }

    @Test func aRowClosureThatThrowsFailsTheOutputWithItsError() async throws {
        let dir = SQLiteSinkTests.TempDir()
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try ssc.queueStream([[1, 2, -3]]).saveToSQLite(
            path: dir.path("bad.sqlite"), table: "numbers", mode: .append, columns: [TableColumn("n", .integer)]
        ) { n in
            guard n >= 0 else { throw BadRecord() }
            return [.integer(Int64(n))]
        }
        try await ssc.start()
        let error = await #expect(throws: TableSinkError.self) { try await ssc.advance(by: .seconds(1)) }
        guard case let .rowFailed(operation, batch, underlying) = error else {
            Issue.record("expected rowFailed, got \(String(describing: error))")
            return
        }
        #expect(operation == "saveToSQLite(numbers)")
        #expect(batch == BatchTime(milliseconds: 1000))
        #expect(underlying is BadRecord)
        #expect("\(error!)".contains("filter out the records it cannot map"))
        await #expect(throws: TableSinkError.self) { try await ssc.awaitTermination() }
    }

    @Test func aFileThatIsNotADatabaseFailsWithSQLitesError() async throws {
        let dir = SQLiteSinkTests.TempDir()
        let path = dir.path("text.sqlite")
        try FileManager.default.createDirectory(at: dir.url, withIntermediateDirectories: true)
        try Data(String(repeating: "not a database file ", count: 100).utf8).write(to: URL(fileURLWithPath: path))
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try ssc.queueStream([[("a", 1)]]).saveToSQLite(path: path, table: "counts")
        try await ssc.start()
        let error = await #expect(throws: TableSinkError.self) { try await ssc.advance(by: .seconds(1)) }
        #expect(error?.operation == "saveToSQLite(counts)")
        let underlying = error.map { "\($0.underlying)".lowercased() } ?? ""
        #expect(underlying.contains("not a database"))
    }
}
