import Spate
import SpateSQL
import Testing

/// Table definitions refused before anything runs: the typed case, with a message that names the fix.
@Suite struct TableDefinitionErrorTests {
    @Test func anInvalidLayoutNamesTheTableAndTheFix() {
        let error = #expect(throws: TableDefinitionError.self) {
            try TableLayout(table: "bad name", mode: .append, columns: [TableColumn("v", .integer)], keyColumns: [])
        }
        guard case let .invalidLayout(table, reason)? = error else {
            Issue.record("expected invalidLayout, got \(String(describing: error))")
            return
        }
        #expect(table == "bad name")
        #expect(reason.contains("e.g. campaign_counts"), "\(reason)")
        #expect("\(error!)".hasPrefix("table sink 'bad name': the table name must be letters"))
    }

    @Test func eachClaimConflictNamesTheFix() {
        let cases: [(TableDefinitionError, String)] = [
            (.invalidSinkID(operation: "saveToSQLite(t)", sink: ""), "must be 1 to 200 printable characters"),
            (.appendTableShared(operation: "saveToSQLite(t)", database: "x.sqlite", table: "t", mode: .append),
             "write each stream to a table of its own, or union the streams into one output"),
            (.sinkIDShared(operation: "saveToSQLite(t)", database: "x.sqlite", table: "t", sink: "a"),
             "give each output its own sink: id"),
        ]
        for (error, fix) in cases {
            #expect(error.description.hasPrefix("saveToSQLite(t): "), "\(error)")
            #expect(error.description.contains(fix), "\(error)")
        }
    }
}
