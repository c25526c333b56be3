import Spate
import SpateSQL

/// A table of a stream's query as the operator is defined: its name and columns, and why the columns could
/// not be made, if they could not.
struct SQLTableSpec: Sendable {
    let name: String
    let columns: [TableColumn]
    let problem: String?

    init<T>(_ name: String, _ columns: SQLColumns<T>) {
        self.name = name
        self.columns = columns.columns
        self.problem = columns.problem
    }
}

/// A defined SQL operator: its engine, and its history's length (nil: the current batch only).
struct SQLPlan: Sendable {
    let engine: QueryEngine
    let lengthMs: Int?
    let query: String
    let context: StreamingContext
}

/// How `DStream.sql` builds its stream: the engine prepared at definition, the history as a window of the
/// elements tagged with their batch time, and the definition errors handed to `start()`.
enum SQLOperator {
    /// The name of the table each batch is loaded into.
    static let batchTable = "batch"

    /// The operator's engine and history, or nil when the definition is refused: the error is then recorded
    /// for `start()` to throw.
    static func plan(
        _ query: String, tables: [SQLTableSpec], history: SQLHistory, context: StreamingContext
    ) -> SQLPlan? {
        do throws(StreamSQLError) {
            for t in tables {
                if let problem = t.problem { throw .invalidColumns(query: query, table: t.name, reason: problem) }
                guard TableLayout.isIdentifier(t.name) else {
                    throw .invalidColumns(query: query, table: t.name, reason: "the table name must be letters, "
                        + "digits and '_' (not starting with a digit)")
                }
            }
            if tables.count > 1, tables[1].name.lowercased() == batchTable {
                throw .invalidColumns(query: query, table: tables[1].name, reason: "'batch' is this stream's "
                    + "table: name the joined stream's table otherwise, e.g. as: \"other\"")
            }
            let length: Duration?
            do {
                length = try history.length(intervalMs: context.batchIntervalMilliseconds)
            } catch {
                throw .invalidHistory(query: query, reason: error.reason)
            }
            let engine = try QueryEngine(query: query, tables: tables.map { ($0.name, $0.columns) })
            return SQLPlan(engine: engine, lengthMs: length.map { $0.wholeMilliseconds }, query: query, context: context)
        } catch {
            context.recordModuleDefinitionError(error)
            return nil
        }
    }

    /// `stream`'s elements tagged with their batch time, windowed over the history's `length`; nil (the error
    /// recorded for `start()`) when the window is refused.
    static func history<E: Sendable>(_ stream: DStream<E>, length: Int, plan: SQLPlan) -> DStream<(Int64, E)>? {
        do {
            return try stream.transform { batch, time in batch.map { (Int64(time.milliseconds), $0) } }
                .window(length: .milliseconds(length))
        } catch {
            plan.context.recordModuleDefinitionError(
                StreamSQLError.invalidHistory(query: plan.query, reason: "\(error)"))
            return nil
        }
    }

    /// Inserts the elements of a history window that `table` does not hold yet: each batch's run of
    /// elements (a window holds its batches one after another) in one call.
    static func fill<E>(
        _ filler: inout TableFiller, table: Int, from window: Batch<(Int64, E)>, columns: SQLColumns<E>
    ) throws {
        for p in window.partitions {
            var start = p.startIndex
            while start < p.endIndex {
                let time = p[start].0
                var end = start + 1
                while end < p.endIndex, p[end].0 == time { end += 1 }
                if !filler.holds(table, batch: time) {
                    try filler.insert(p[start..<end].lazy.map { $0.1 }, batch: time, into: table, columns: columns)
                }
                start = end
            }
        }
    }

    /// The stream of a refused definition: `start()` throws its error, so it never runs; empty batches.
    static func nothing<E: Sendable, R: Sendable>(_ stream: DStream<E>) -> DStream<R> {
        stream.transform { _, time in Batch(time: time, elements: [R](), partitions: 1) }
    }
}
