import Spate
import SpateSQL
import Synchronization

/// The in-memory database of one SQL operator: its tables (`batch`, and a joined stream's), the rows each
/// holds, and the query, prepared once when the operator is defined and run on every batch.
///
/// Each batch's new rows are inserted by one prepared `INSERT` per table, in one transaction; rows of batches
/// that left the history are deleted first, so the database holds at most the history's batches. The tables are
/// `STRICT`: a value of the wrong type is refused, not stored.
final class QueryEngine: Sendable {
    let query: String
    /// The database, its statements and what each table holds; `Mutex` because a stream may be computed from
    /// more than one task (the statements are not thread-safe, and the operator's batches must not interleave).
    private let connection: Mutex<Connection>

    private static let dialect = SQLiteDialect()

    /// Opens the database, creates `tables` and prepares their statements and `query`.
    init(query: String, tables: [(name: String, columns: [TableColumn])]) throws(StreamSQLError) {
        self.query = query
        let db: InMemoryDatabase
        do { db = try InMemoryDatabase() } catch { throw .invalidQuery(query: query, message: error.message) }
        var loaded: [LoadedTable] = []
        for table in tables {
            try Self.check(table.columns, of: table.name, query: query)
            do {
                loaded.append(try LoadedTable(name: table.name, columns: table.columns, on: db))
            } catch {
                throw .invalidColumns(query: query, table: table.name, reason: error.message)
            }
        }
        let statement: PreparedStatement
        do { statement = try db.prepare(query) } catch { throw .invalidQuery(query: query, message: error.message) }
        guard statement.isReadOnly, !statement.columnNames.isEmpty else {
            throw .invalidQuery(query: query, message: "the query must read and return rows (one SELECT), not change the tables")
        }
        connection = Mutex(Connection(db: db, tables: loaded, statement: statement))
    }

    /// The columns' names are SQL identifiers, distinct, and not `batch_time`.
    private static func check(_ columns: [TableColumn], of table: String, query: String) throws(StreamSQLError) {
        func bad(_ reason: String) -> StreamSQLError { .invalidColumns(query: query, table: table, reason: reason) }
        guard !columns.isEmpty else { throw bad("there are no columns: declare at least one") }
        var seen = Set<String>()
        for c in columns {
            guard TableLayout.isIdentifier(c.name) else {
                throw bad("column name '\(c.name)' must be letters, digits and '_' (not starting with a digit)")
            }
            guard c.name.lowercased() != TableLayout.batchTimeColumn else {
                throw bad("'batch_time' is the column every table gets (the element's batch time): rename yours")
            }
            guard seen.insert(c.name.lowercased()).inserted else { throw bad("column '\(c.name)' appears twice") }
        }
    }

    /// Runs the query on the batch at `time`: deletes the rows of batches at or before `dropThrough` (every row
    /// when nil: no history), lets `fill` insert the new rows in one transaction, then turns each result row
    /// into a record with `decode`. The tables are emptied again after the query when there is no history.
    func run<R: Sendable>(
        at time: BatchTime, dropThrough: Int64?, fill: (inout TableFiller) throws -> Void,
        decode: (SQLRow) throws -> R
    ) throws -> [R] {
        try connection.withLock { c in
            try load(c, at: time, dropThrough: dropThrough, fill: fill)
            defer { if dropThrough == nil { try? c.clear() } }
            return try results(c, at: time, decode: decode)
        }
    }

    private func load(
        _ c: Connection, at time: BatchTime, dropThrough: Int64?, fill: (inout TableFiller) throws -> Void
    ) throws {
        var filler = TableFiller(tables: c.tables)
        do {
            try c.db.execute("BEGIN")
            if let dropThrough { try c.drop(through: dropThrough) } else { try c.clear() }
            try fill(&filler)
            try c.db.execute("COMMIT")
        } catch {
            try? c.db.execute("ROLLBACK")
            for t in c.tables { t.forgetPending() }
            let table = filler.current.map { c.tables[$0].name } ?? "batch"
            let message = switch error {
            case let e as DatabaseFailure: e.message
            case let e as RowMismatch: e.reason
            default: "\(error)"
            }
            throw StreamSQLError.loadFailed(query: query, table: table, batch: time, message: message)
        }
        for t in c.tables { t.commitPending() }
    }

    private func results<R>(_ c: Connection, at time: BatchTime, decode: (SQLRow) throws -> R) throws -> [R] {
        let cursor = ResultCursor(statement: c.statement, names: c.statement.columnNames)
        var out: [R] = []
        var index = 0
        while true {
            let more: Bool
            do { more = try c.statement.next() } catch {
                throw StreamSQLError.queryFailed(query: query, batch: time, message: error.message)
            }
            guard more else { return out }
            cursor.startRow()
            let record = try decode(SQLRow(cursor: cursor))
            if let problem = cursor.problem {
                c.statement.reset()
                throw StreamSQLError.rowDecoding(query: query, batch: time, row: index, problem: problem)
            }
            out.append(record)
            index += 1
        }
    }
}

/// What the operator's `Mutex` guards: the database, its tables and the query.
///
/// `@unchecked Sendable` is safe: the one instance lives in `QueryEngine.connection` and is only reached inside
/// its `withLock`, so one thread at a time uses the SQLite handles; what the body hands out (a `TableFiller`,
/// an `SQLRow`) is not `Sendable` and is used only during that body, by the closures `run` calls synchronously.
private final class Connection: @unchecked Sendable {
    let db: InMemoryDatabase
    let tables: [LoadedTable]
    let statement: PreparedStatement

    init(db: InMemoryDatabase, tables: [LoadedTable], statement: PreparedStatement) {
        self.db = db
        self.tables = tables
        self.statement = statement
    }

    /// Empties every table.
    func clear() throws(DatabaseFailure) { for t in tables { try t.clear() } }

    /// Deletes the rows of batches at or before `through`.
    func drop(through: Int64) throws(DatabaseFailure) { for t in tables { try t.drop(through: through) } }
}

/// One table of the database: its statements and the batch times whose rows it holds.
final class LoadedTable {
    let name: String
    let columns: [TableColumn]
    let insert: PreparedStatement
    private let deleteAll: PreparedStatement
    private let deleteThrough: PreparedStatement
    /// The batch times whose rows are in the table (committed), and those inserted by the open transaction.
    private(set) var loaded: Set<Int64> = []
    private var pending: Set<Int64> = []

    init(name: String, columns: [TableColumn], on db: InMemoryDatabase) throws(DatabaseFailure) {
        let d = SQLiteDialect()
        let table = d.quote(name)
        let defs = columns.map { c in
            // Reals stay nullable: SQLite stores a NaN as NULL.
            "\(d.quote(c.name)) \(d.typeName(c.type))" + (c.nullable || c.type == .real ? "" : " NOT NULL")
        }
        try db.execute("CREATE TABLE \(table) (\((defs + ["\(TableLayout.batchTimeColumn) INTEGER NOT NULL"]).joined(separator: ", "))) STRICT")
        let marks = Array(repeating: "?", count: columns.count + 1).joined(separator: ", ")
        self.name = name
        self.columns = columns
        insert = try db.prepare("INSERT INTO \(table) VALUES (\(marks))")
        deleteAll = try db.prepare("DELETE FROM \(table)")
        deleteThrough = try db.prepare("DELETE FROM \(table) WHERE \(TableLayout.batchTimeColumn) <= ?")
    }

    func clear() throws(DatabaseFailure) {
        try deleteAll.run()
        loaded.removeAll(keepingCapacity: true)
    }

    func drop(through: Int64) throws(DatabaseFailure) {
        guard loaded.contains(where: { $0 <= through }) else { return }
        try deleteThrough.bind(.integer(through), at: 1)
        try deleteThrough.run()
        loaded = loaded.filter { $0 > through }
    }

    /// Whether the rows of the batch at `time` are in the table (committed by an earlier load).
    func isLoaded(_ time: Int64) -> Bool { loaded.contains(time) }
    func markPending(_ time: Int64) { pending.insert(time) }
    func commitPending() { loaded.formUnion(pending); pending.removeAll(keepingCapacity: true) }
    func forgetPending() { pending.removeAll(keepingCapacity: true) }
}

/// Inserts a batch's elements into the tables, inside the load's transaction.
struct TableFiller {
    fileprivate let tables: [LoadedTable]
    /// The table being filled (named by a load error).
    fileprivate(set) var current: Int?

    fileprivate init(tables: [LoadedTable]) { self.tables = tables }

    /// Whether table `table` already holds the rows of the batch at `time` (a history keeps them).
    func holds(_ table: Int, batch time: Int64) -> Bool { tables[table].isLoaded(time) }

    /// Inserts `elements` of the batch at `time` into table `table`, as `columns` makes their rows.
    mutating func insert<S: Sequence>(
        _ elements: S, batch time: Int64, into table: Int, columns: SQLColumns<S.Element>
    ) throws {
        current = table
        let t = tables[table]
        t.markPending(time)
        let timeParameter = Int32(columns.columns.count + 1)
        for element in elements {
            var binder = RowBinder(statement: t.insert)
            do {
                try columns.bind(element, &binder)
                try t.insert.bind(.integer(time), at: timeParameter)
                try t.insert.run()
            } catch {
                t.insert.reset()
                throw error
            }
        }
        current = nil
    }
}
