import Spate
// Programs that declare a query's columns name `TableColumn` and `TableValue`: they come with this module.
@_exported import SpateSQL

extension DStream {
    /// Runs the SQL `query` on every batch, as Spark's guide does with a DataFrame per batch (`foreachRDD`,
    /// `createOrReplaceTempView`, `spark.sql`), and turns each result row into a record with `row`.
    ///
    /// Each batch is loaded into the table `batch` of an in-memory SQLite database that this operator owns
    /// (one prepared `INSERT` per row, in one transaction); its columns are `columns`, then `batch_time` (the
    /// element's batch time in ms). `over:` keeps the rows of the last few batches too (``SQLHistory``): the
    /// query then spans them, and memory is bounded by the history. The results of a batch form the batch of
    /// the returned stream, so they go on to any operator or sink.
    ///
    /// The query is prepared once, here: SQL that SQLite refuses (with SQLite's message), or that is not one
    /// read-only statement returning rows, is thrown by `start()` as ``StreamSQLError/invalidQuery(query:message:)``,
    /// as are columns or a history that cannot be built. At run time, a row that does not fit the columns, a
    /// failing query, or a result row `row` cannot read (see ``SQLRow``) fails the batch with a
    /// ``StreamSQLError`` naming the query and the batch, which stops the context (`awaitTermination()`
    /// rethrows it). A recovered batch is queried again from its recovered rows, with the same result.
    ///
    /// SQLite runs in the batch's compute, as any operator's work does: the database is in memory and private
    /// to the operator, so its calls only compute, never wait.
    /// ```swift
    /// let counts = words.sql("SELECT word, COUNT(*) AS total FROM batch GROUP BY word",
    ///                        columns: .declared([TableColumn("word", .text)]) { [.text($0)] }) { row in
    ///     (row.text(0), row.integer(1))
    /// }
    /// ```
    /// - Complexity: per batch, one insert per row of each batch entering the history, plus the query's own
    ///   cost; the batches leaving the history are deleted.
    public func sql<R: Sendable>(
        _ query: String, columns: SQLColumns<T>, over history: SQLHistory = .batch,
        row: @escaping @Sendable (SQLRow) throws -> R
    ) -> DStream<R> {
        let tables = [SQLTableSpec(SQLOperator.batchTable, columns)]
        guard let plan = SQLOperator.plan(query, tables: tables, history: history, context: context) else {
            return SQLOperator.nothing(self)
        }
        guard let length = plan.lengthMs else {
            return transform { batch, time in
                let rows = try plan.engine.run(at: time, dropThrough: nil, fill: { filler in
                    for p in batch.partitions {
                        try filler.insert(p, batch: Int64(time.milliseconds), into: 0, columns: columns)
                    }
                }, decode: row)
                return Batch(time: time, elements: rows, partitions: Swift.max(1, batch.partitions.count))
            }
        }
        guard let tagged = SQLOperator.history(self, length: length, plan: plan) else { return SQLOperator.nothing(self) }
        return tagged.transform { batch, time in
            let rows = try plan.engine.run(at: time, dropThrough: Int64(time.milliseconds - length), fill: { filler in
                try SQLOperator.fill(&filler, table: 0, from: batch, columns: columns)
            }, decode: row)
            return Batch(time: time, elements: rows, partitions: Swift.max(1, batch.partitions.count))
        }
    }

    /// Runs the SQL `query` on every batch of this stream (table `batch`) and the batch of `other` at the same
    /// time (table `name`), so the query can join them: as ``sql(_:columns:over:row:)``, with `over:` keeping
    /// the history of both. `name` is an SQL identifier other than `batch`.
    /// ```swift
    /// let joined = clicks.sql(
    ///     "SELECT b.user, COUNT(*) FROM batch b JOIN buys ON buys.user = b.user GROUP BY b.user",
    ///     columns: .record, joining: purchases, as: "buys", columns: .record) { row in (row.text(0), row.integer(1)) }
    /// ```
    public func sql<U: Sendable, R: Sendable>(
        _ query: String, columns: SQLColumns<T>, joining other: DStream<U>, as name: String,
        columns otherColumns: SQLColumns<U>, over history: SQLHistory = .batch,
        row: @escaping @Sendable (SQLRow) throws -> R
    ) -> DStream<R> {
        let tables = [SQLTableSpec(SQLOperator.batchTable, columns), SQLTableSpec(name, otherColumns)]
        guard let plan = SQLOperator.plan(query, tables: tables, history: history, context: context) else {
            return SQLOperator.nothing(self)
        }
        guard let length = plan.lengthMs else {
            return transformWith(other) { a, b in
                let time = a.time
                let rows = try plan.engine.run(at: time, dropThrough: nil, fill: { filler in
                    let ms = Int64(time.milliseconds)
                    for p in a.partitions { try filler.insert(p, batch: ms, into: 0, columns: columns) }
                    for p in b.partitions { try filler.insert(p, batch: ms, into: 1, columns: otherColumns) }
                }, decode: row)
                return Batch(time: time, elements: rows, partitions: Swift.max(1, a.partitions.count))
            }
        }
        guard let mine = SQLOperator.history(self, length: length, plan: plan),
            let theirs = SQLOperator.history(other, length: length, plan: plan)
        else { return SQLOperator.nothing(self) }
        return mine.transformWith(theirs) { a, b in
            let time = a.time
            let rows = try plan.engine.run(at: time, dropThrough: Int64(time.milliseconds - length), fill: { filler in
                try SQLOperator.fill(&filler, table: 0, from: a, columns: columns)
                try SQLOperator.fill(&filler, table: 1, from: b, columns: otherColumns)
            }, decode: row)
            return Batch(time: time, elements: rows, partitions: Swift.max(1, a.partitions.count))
        }
    }
}

extension DStream where T: Codable {
    /// ``sql(_:columns:over:row:)`` with one column per stored property of the `Codable` struct `T`
    /// (``SQLColumns/record``), as Spark makes a DataFrame of a case class:
    /// ```swift
    /// struct Record: Codable { let word: String }
    /// let counts = words.map { Record(word: $0) }
    ///     .sql("SELECT word, COUNT(*) AS total FROM batch GROUP BY word") { row in (row.text(0), row.integer(1)) }
    /// ```
    public func sql<R: Sendable>(
        _ query: String, over history: SQLHistory = .batch, row: @escaping @Sendable (SQLRow) throws -> R
    ) -> DStream<R> {
        sql(query, columns: .record, over: history, row: row)
    }
}

extension DStream where T: TableValueConvertible & Codable {
    /// ``sql(_:columns:over:row:)`` with one column, `value` (as Spark names a Dataset's one column), of the
    /// element's type: `String` -> `TEXT`, `Int` -> `INTEGER`, `Double` -> `REAL`, ...
    /// ```swift
    /// let lengths = words.sql("SELECT length(value) FROM batch") { row in row.integer(0) }
    /// ```
    public func sql<R: Sendable>(
        _ query: String, over history: SQLHistory = .batch, row: @escaping @Sendable (SQLRow) throws -> R
    ) -> DStream<R> {
        sql(query, columns: .value(), over: history, row: row)
    }

    /// ``sql(_:over:row:)`` with the one column named `column`.
    /// ```swift
    /// let counts = words.sql("SELECT word, COUNT(*) FROM batch GROUP BY word", column: "word") { row in
    ///     (row.text(0), row.integer(1))
    /// }
    /// ```
    public func sql<R: Sendable>(
        _ query: String, column: String, over history: SQLHistory = .batch,
        row: @escaping @Sendable (SQLRow) throws -> R
    ) -> DStream<R> {
        sql(query, columns: .value(named: column), over: history, row: row)
    }
}

extension DStream {
    /// ``sql(_:columns:over:row:)`` over a stream of pairs of scalars: columns `key` and `value` (as the table
    /// sinks name them) unless `columns` names them.
    public func sql<A: TableValueConvertible, B: TableValueConvertible, R: Sendable>(
        _ query: String, columns names: (String, String) = ("key", "value"), over history: SQLHistory = .batch,
        row: @escaping @Sendable (SQLRow) throws -> R
    ) -> DStream<R> where T == (A, B) {
        sql(query, columns: .pair(names.0, names.1), over: history, row: row)
    }

    /// ``sql(_:columns:over:row:)`` over a stream of triples of scalars: columns `_1`, `_2`, `_3` unless
    /// `columns` names them.
    public func sql<A: TableValueConvertible, B: TableValueConvertible, C: TableValueConvertible, R: Sendable>(
        _ query: String, columns names: (String, String, String) = ("_1", "_2", "_3"),
        over history: SQLHistory = .batch, row: @escaping @Sendable (SQLRow) throws -> R
    ) -> DStream<R> where T == (A, B, C) {
        sql(query, columns: .triple(names.0, names.1, names.2), over: history, row: row)
    }
}
