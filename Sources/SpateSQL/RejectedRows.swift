import Spate

/// What a table sink (`saveToSQLite`, `saveToPostgres`) does with a row that the database (or the sink, on
/// the database's behalf) refuses for its values: a NaN that SQLite stores as `NULL` in a `NOT NULL` column,
/// a `.null` for a `NOT NULL` column, an `.accumulate` sum past the 64-bit range (PostgreSQL's `bigint out
/// of range`), text with a NUL character for PostgreSQL, a check constraint.
///
/// Such a row fails the same way every time its batch runs, so failing the batch would stop the context again
/// at every recovery (a poison batch). The default, as Kafka Streams' and Flink's exception handlers do, sets
/// the row aside and goes on. Errors that are not about a row (the connection lost, a full disk, a locked
/// database) are never set aside: the sink retries them with backoff, then fails the batch with a message
/// naming it, and the context stops.
public enum RejectedRowPolicy: Sendable, Equatable {
    /// Writes each refused row to the dead-letter table `table` (default `<table>_rejected`) with the
    /// database's error, the batch time and the row as text, in the same transaction as the batch's other
    /// rows (so both are written exactly once), and logs a warning; the stream goes on. The table is created
    /// with its first row; its columns: `sink`, `batch_time`, `seq` (the refused row's number in the batch),
    /// `error`, `row`, `rejected_at`.
    case deadLetter(table: String? = nil)
    /// Fails the batch (`TableSinkError.writeFailed`), which stops the context: the batch runs again, and
    /// fails again, after every recovery until the data or the table changes.
    case failBatch
}

/// A row set aside: its values and why it was refused.
package struct RejectedRow: Sendable, Equatable {
    package var values: [TableValue]
    package var reason: String

    package init(values: [TableValue], reason: String) {
        self.values = values
        self.reason = reason
    }

    /// The row as the dead-letter table stores it: a JSON-like array (`[1, 2.5, "text", null, x'00ff']`),
    /// with every control character escaped, so the text holds no NUL.
    package var text: String {
        "[" + values.map { value -> String in
            switch value {
            case let .integer(v): String(v)
            case let .real(v): v.isFinite ? "\(v)" : (v.isNaN ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"))
            case let .text(s): RejectedRow.quoted(s)
            case let .blob(b): "x'" + b.map { String($0, radix: 16).leftPadded(2) }.joined() + "'"
            case .null: "null"
            }
        }.joined(separator: ", ") + "]"
    }

    /// `s` as a JSON string: quotes and backslashes escaped, control characters as `\u00XX`.
    package static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u" + String(scalar.value, radix: 16).leftPadded(4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: Swift.max(0, width - count)) + self
    }
}

/// The dead-letter table of a table sink: where ``RejectedRowPolicy/deadLetter(table:)`` writes refused rows.
package struct DeadLetterTable: Sendable, Equatable {
    /// The table name.
    package let name: String

    /// The dead-letter table of `layout` under `policy`; nil for ``RejectedRowPolicy/failBatch``. Throws
    /// `TableDefinitionError.invalidLayout` when the name is not an identifier (a table name of more than 54
    /// characters makes `<table>_rejected` too long: give one) or is the table itself.
    package init?(_ policy: RejectedRowPolicy, layout: TableLayout) throws {
        guard case let .deadLetter(table) = policy else { return nil }
        let name = table ?? layout.table + "_rejected"
        guard TableLayout.isIdentifier(name), name.lowercased() != layout.table.lowercased(),
            ![TableLayout.batchesTable, TableLayout.offsetsTable].contains(name.lowercased())
        else {
            throw TableDefinitionError.invalidLayout(
                table: layout.table,
                reason: "the dead-letter table name '\(name)' must be letters, digits and '_' (at most 63, not "
                    + "starting with a digit), and not the table itself or a bookkeeping table: pass "
                    + "rejectedRows: .deadLetter(table: \"...\")")
        }
        self.name = name
    }

    /// `CREATE TABLE IF NOT EXISTS` for the dead-letter table.
    package func create(_ d: some SQLDialect) -> String {
        "CREATE TABLE IF NOT EXISTS \(d.quote(name)) (\(TableLayout.sinkColumn) \(d.typeName(.text)) NOT NULL, "
            + "\(TableLayout.batchTimeColumn) \(d.typeName(.integer)) NOT NULL, "
            + "\(TableLayout.seqColumn) \(d.typeName(.integer)) NOT NULL, error \(d.typeName(.text)) NOT NULL, "
            + "\(d.quote("row")) \(d.typeName(.text)) NOT NULL, rejected_at \(d.timestampDeclaration), "
            + "PRIMARY KEY (\(TableLayout.sinkColumn), \(TableLayout.batchTimeColumn), \(TableLayout.seqColumn)))"
    }

    /// Inserts one refused row, parameters (sink id, batch time, seq, error, row text); a row already set aside
    /// by an earlier run of the batch is kept.
    package func insert(_ d: some SQLDialect) -> String {
        "INSERT INTO \(d.quote(name)) (\(TableLayout.sinkColumn), \(TableLayout.batchTimeColumn), "
            + "\(TableLayout.seqColumn), error, \(d.quote("row")), rejected_at) VALUES (\(d.placeholder(1)), "
            + "\(d.placeholder(2)), \(d.placeholder(3)), \(d.placeholder(4)), \(d.placeholder(5)), "
            + "\(d.currentTimestamp)) ON CONFLICT (\(TableLayout.sinkColumn), \(TableLayout.batchTimeColumn), "
            + "\(TableLayout.seqColumn)) DO NOTHING"
    }
}
