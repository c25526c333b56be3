import Spate
import SpateStreamSQL
import Testing

/// Queries, columns and histories refused at start, and batches failed by a row that cannot be loaded or read:
/// each error names the query and says what was wrong.
@Suite struct StreamSQLErrorTests {
    @Test func aQuerySQLiteRefusesFailsAtStartWithSQLitesMessage() async throws {
        let error = await sqlError([["a"]]) { s in s.sql("SELECT word FROM batch") { $0.text(0) } }
        guard case let .invalidQuery(query, message) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(query == "SELECT word FROM batch")
        #expect(message.contains("no such column: word"))
        #expect("\(error!)".contains("SELECT word FROM batch"))
    }

    @Test func aQueryThatIsNotOneSelectFailsAtStart() async throws {
        for query in ["DELETE FROM batch", "SELECT 1; SELECT 2", "", "BEGIN", "SELECT * FROM nothing_here"] {
            let error = await sqlError([[1]]) { s in s.sql(query) { $0.integer(0) } }
            guard case .invalidQuery(query, _) = error else { Issue.record("\(query): \(String(describing: error))"); continue }
        }
    }

    @Test func columnsAndHistoriesThatCannotBeBuiltFailAtStart() async throws {
        struct Nested: Codable, Sendable { struct Inner: Codable, Sendable { let x: Int }; let inner: Inner }
        let nested = await sqlError([[Nested(inner: .init(x: 1))]]) { s in s.sql("SELECT 1") { $0.integer(0) } }
        guard case let .invalidColumns(_, table, reason) = nested else { Issue.record("\(String(describing: nested))"); return }
        #expect(table == "batch")
        #expect(reason.contains("inner"))

        let reserved = await sqlError([[1]]) { s in s.sql("SELECT 1", column: "batch_time") { $0.integer(0) } }
        guard case .invalidColumns = reserved else { Issue.record("\(String(describing: reserved))"); return }
        let badName = await sqlError([[1]]) { s in s.sql("SELECT 1", column: "two words") { $0.integer(0) } }
        guard case .invalidColumns = badName else { Issue.record("\(String(describing: badName))"); return }

        let zero = await sqlError([[1]]) { s in s.sql("SELECT 1", over: .batches(0)) { $0.integer(0) } }
        guard case let .invalidHistory(_, reason) = zero else { Issue.record("\(String(describing: zero))"); return }
        #expect(reason.contains("at least 1"))
        let uneven = await sqlError([[1]]) { s in s.sql("SELECT 1", over: .window(.milliseconds(1500))) { $0.integer(0) } }
        guard case .invalidHistory = uneven else { Issue.record("\(String(describing: uneven))"); return }
    }

    @Test func readingAColumnAsTheWrongTypeFailsTheBatchNamingTheColumn() async throws {
        let error = await sqlError([["x"]]) { s in s.sql("SELECT value AS word FROM batch") { $0.integer(0) } }
        guard case let .rowDecoding(_, batch, row, problem) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(batch.milliseconds == 1000 && row == 0)
        #expect(problem == .wrongType(index: 0, name: "word", expected: .integer, found: .text))
        #expect("\(error!)".contains("row.text(0)"))
    }

    @Test func readingNullOrAMissingColumnFailsTheBatch() async throws {
        let null = await sqlError([[1]]) { s in s.sql("SELECT NULL AS missing FROM batch") { $0.text(0) } }
        guard case let .rowDecoding(_, _, _, p1) = null else { Issue.record("\(String(describing: null))"); return }
        #expect(p1 == .null(index: 0, name: "missing", expected: .text))
        #expect("\(null!)".contains("textOrNil"))

        let index = await sqlError([[1]]) { s in s.sql("SELECT value FROM batch") { $0.integer(3) } }
        guard case let .rowDecoding(_, _, _, p2) = index else { Issue.record("\(String(describing: index))"); return }
        #expect(p2 == .noSuchIndex(index: 3, columns: ["value"]))

        let name = await sqlError([[1]]) { s in s.sql("SELECT value FROM batch") { $0.integer("total") } }
        guard case let .rowDecoding(_, _, _, p3) = name else { Issue.record("\(String(describing: name))"); return }
        #expect(p3 == .noSuchName(name: "total", columns: ["value"]))
    }

    @Test func aQueryFailingOnABatchFailsThatBatchWithSQLitesMessage() async throws {
        let error = await sqlError([[Int.max, 1]]) { s in s.sql("SELECT SUM(value) FROM batch") { $0.integer(0) } }
        guard case let .queryFailed(_, batch, message) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(batch.milliseconds == 1000)
        #expect(message.contains("integer overflow"))
    }

    @Test func aRowThatDoesNotFitTheDeclaredColumnsFailsTheLoad() async throws {
        let wrongCount = SQLColumns<Int>.declared([TableColumn("a", .integer), TableColumn("b", .integer)]) {
            [.integer(Int64($0))]
        }
        let count = await sqlError([[1]]) { s in s.sql("SELECT a FROM batch", columns: wrongCount) { $0.integer(0) } }
        guard case let .loadFailed(_, table, _, message) = count else { Issue.record("\(String(describing: count))"); return }
        #expect(table == "batch" && message.contains("1 values for the 2 columns"))

        let nulls = SQLColumns<Int>.declared([TableColumn("a", .integer)]) { _ in [.null] }
        let null = await sqlError([[1]]) { s in s.sql("SELECT a FROM batch", columns: nulls) { $0.integer(0) } }
        guard case let .loadFailed(_, _, _, m2) = null else { Issue.record("\(String(describing: null))"); return }
        #expect(m2.contains("NOT NULL"))

        let texts = SQLColumns<Int>.declared([TableColumn("a", .integer)]) { _ in [.text("seven")] }
        let text = await sqlError([[1]]) { s in s.sql("SELECT a FROM batch", columns: texts) { $0.integer(0) } }
        guard case let .loadFailed(_, _, _, m3) = text else { Issue.record("\(String(describing: text))"); return }
        #expect(m3.contains("cannot store TEXT value in INTEGER column"))
    }
}
