import Spate

/// A batch's rows on their way to a table: checked against the columns, combined by key as the mode says, and
/// given the sink's own columns.
extension TableLayout {
    /// Throws `SpateError.outputFailed` for `operation` when row `index` of the batch at `time` does not fit the
    /// columns: one value per column, of the column's type (an integer is accepted for a real column), `NULL`
    /// only in nullable columns.
    package func checkRow(_ values: [TableValue], index: Int, time: BatchTime, operation: String) throws {
        guard values.count == columns.count else {
            throw SpateError.outputFailed(
                operation: operation,
                reason: "row \(index) of batch \(time.milliseconds) ms has \(values.count) values but the table has "
                    + "\(columns.count) columns \(columns.map(\.name)): return one value per column, in that order")
        }
        for (value, column) in zip(values, columns) {
            switch (value, column.type) {
            case (.integer, .integer), (.integer, .real), (.real, .real), (.text, .text), (.blob, .blob): continue
            case (.null, _) where column.nullable: continue
            default:
                throw SpateError.outputFailed(
                    operation: operation,
                    reason: "row \(index) of batch \(time.milliseconds) ms gives \(value) for column \(column): "
                        + "return a value of the column's type" + (column.nullable ? "" : " (or declare it nullable)"))
            }
        }
    }

    /// A batch's rows checked (``checkRow(_:index:time:operation:)``) and combined by key
    /// (``combineByKey(_:time:operation:)``): what a sink writes.
    package func checkedRows(_ rows: [[TableValue]], time: BatchTime, operation: String) throws -> [[TableValue]] {
        for (i, row) in rows.enumerated() { try checkRow(row, index: i, time: time, operation: operation) }
        return try combineByKey(rows, time: time, operation: operation)
    }

    /// A batch's checked rows (see ``checkRow(_:index:time:operation:)``) as one statement can write them, one
    /// row per key: `.append` keeps every row; `.upsert` keeps each key's last row, or with a version column the
    /// row with the highest version (the later row on a tie); `.accumulate` sums each key's values (integer
    /// columns exactly, throwing on `Int64` overflow; real columns as doubles). Keyed rows come in the order of
    /// each key's first row, and integers given for real columns become reals.
    ///
    /// Both databases' `INSERT ... ON CONFLICT DO UPDATE` need this: PostgreSQL rejects a statement updating one
    /// row twice, and the mode's semantics (sum, highest version) must not depend on the order rows are applied.
    package func combineByKey(_ rows: [[TableValue]], time: BatchTime, operation: String) throws -> [[TableValue]] {
        var throwing: [RejectedRow]? = nil
        return try combine(rows, time: time, operation: operation, rejected: &throwing)
    }

    /// A batch's rows as ``checkedRows(_:time:operation:)`` gives them, but with the rows refused for their
    /// values set aside instead of failing the batch: a `.null` for a non-nullable column, and (`.accumulate`)
    /// a row whose addition to its key's sum overflows a 64-bit integer. Rows that do not fit the columns at
    /// all (a value count or type the program got wrong) still throw.
    package func admittedRows(
        _ rows: [[TableValue]], time: BatchTime, operation: String
    ) throws -> (rows: [[TableValue]], rejected: [RejectedRow]) {
        var admitted: [[TableValue]] = []
        admitted.reserveCapacity(rows.count)
        var rejected: [RejectedRow]? = []
        for (i, row) in rows.enumerated() {
            if row.count == columns.count,
                let column = zip(row, columns).first(where: { $0.0 == .null && !$0.1.nullable })?.1
            {
                rejected!.append(RejectedRow(values: row, reason: "NULL for the NOT NULL column \(column.name)"))
                continue
            }
            try checkRow(row, index: i, time: time, operation: operation)
            admitted.append(row)
        }
        let combined = try combine(admitted, time: time, operation: operation, rejected: &rejected)
        return (combined, rejected ?? [])
    }

    /// ``combineByKey(_:time:operation:)``; an overflowing `.accumulate` row goes to `rejected`, or throws
    /// when `rejected` is nil.
    private func combine(
        _ rows: [[TableValue]], time: BatchTime, operation: String, rejected: inout [RejectedRow]?
    ) throws -> [[TableValue]] {
        guard mode.isKeyed else { return rows }
        let keyIndexes = keyColumns.map { k in columns.firstIndex { $0.name == k }! }
        let realIndexes = columns.indices.filter { columns[$0].type == .real }
        let versionIndex = versionColumn.map { v in columns.firstIndex { $0.name == v }! }
        let summed = mode == .accumulate ? columns.indices.filter { !keyIndexes.contains($0) } : []
        var slot: [RowKey: Int] = [:]
        var out: [[TableValue]] = []
        out.reserveCapacity(rows.count)
        rowLoop: for var row in rows {
            for i in realIndexes { if case let .integer(v) = row[i] { row[i] = .real(Double(v)) } }
            let key = RowKey(values: keyIndexes.map { row[$0] })
            guard let at = slot[key] else {
                slot[key] = out.count
                out.append(row)
                continue
            }
            switch mode {
            case .accumulate:
                var sums = out[at]
                for i in summed {
                    switch (sums[i], row[i]) {
                    case let (.integer(a), .integer(b)):
                        let (sum, overflow) = a.addingReportingOverflow(b)
                        guard !overflow else {
                            let reason = "batch \(time.milliseconds) ms: the sum of column \(columns[i].name) for key "
                                + "\(key.values) overflows a 64-bit integer"
                            if rejected != nil {
                                rejected!.append(RejectedRow(values: row, reason: reason))
                                continue rowLoop
                            }
                            throw SpateError.outputFailed(
                                operation: operation, reason: reason + ": declare the column .real, or write smaller increments")
                        }
                        sums[i] = .integer(sum)
                    case let (.real(a), .real(b)):
                        sums[i] = .real(a + b)
                    default:
                        preconditionFailure("checkRow admits only numbers in accumulate columns")
                    }
                }
                out[at] = sums
            case .upsert:
                if let v = versionIndex, case let .integer(stored) = out[at][v], case let .integer(new) = row[v],
                    new < stored
                {
                    continue
                }
                out[at] = row
            case .append:
                preconditionFailure("append rows are not combined")
            }
        }
        return out
    }

    /// One table row of a batch row's `values`, with the sink's columns (`batch_time`, and `seq` for append)
    /// where ``tableColumns`` has them.
    package func tableRow<V>(_ values: [V], batchTime: V, seq: @autoclosure () -> V) -> [V] {
        mode.isKeyed ? values + [batchTime] : [batchTime, seq()] + values
    }
}

/// The key columns' values of a row, hashable: reals compare as doubles with every NaN equal (as the databases'
/// key indexes treat them) and `-0.0` equal to `0.0`.
private struct RowKey: Hashable {
    let values: [TableValue]

    static func == (a: RowKey, b: RowKey) -> Bool {
        a.values.count == b.values.count && zip(a.values, b.values).allSatisfy { x, y in
            if case let .real(p) = x, case let .real(q) = y { return p == q || (p.isNaN && q.isNaN) }
            return x == y
        }
    }

    func hash(into h: inout Hasher) {
        for v in values {
            switch v {
            case let .integer(i): h.combine(0); h.combine(i)
            case let .real(d): h.combine(1); if d.isNaN { h.combine(Double.nan.bitPattern) } else { h.combine(d) }
            case let .text(s): h.combine(2); h.combine(s)
            case let .blob(b): h.combine(3); h.combine(b)
            case .null: h.combine(4)
            }
        }
    }
}

