import Spate
import SpateSQL
import Testing

/// The statements `SQLDialect` builds, to the letter, for SQLite and PostgreSQL.
@Suite struct SQLDialectTests {
    static let sqlite = SQLiteDialect()
    static let postgres = PostgreSQLDialect()

    static func layout(_ mode: TableWriteMode, version: String? = nil) throws -> TableLayout {
        try TableLayout(
            table: "counts", mode: mode,
            columns: [TableColumn("word", .text), TableColumn("n", .integer), TableColumn("note", .text, nullable: true)]
                .filter { mode != .accumulate || $0.name != "note" },
            keyColumns: mode == .append ? [] : ["word"], versionColumn: version)
    }

    @Test func identifiersAreDoubleQuotedWithQuotesDoubled() {
        #expect(Self.sqlite.quote("table") == "\"table\"")
        #expect(Self.postgres.quote("odd\"name") == "\"odd\"\"name\"")
    }

    @Test func createTableDeclaresEveryColumnInTheDialectsTypesWithThePrimaryKey() throws {
        let upsert = try Self.layout(.upsert)
        #expect(Self.sqlite.createTable(upsert) == "CREATE TABLE IF NOT EXISTS \"counts\" (\"word\" TEXT NOT NULL, "
            + "\"n\" INTEGER NOT NULL, \"note\" TEXT, \"batch_time\" INTEGER NOT NULL, PRIMARY KEY (\"word\"))")
        #expect(Self.postgres.createTable(upsert) == "CREATE TABLE IF NOT EXISTS \"counts\" (\"word\" text NOT NULL, "
            + "\"n\" bigint NOT NULL, \"note\" text, \"batch_time\" bigint NOT NULL, PRIMARY KEY (\"word\"))")
        let append = try Self.layout(.append)
        #expect(Self.postgres.createTable(append) == "CREATE TABLE IF NOT EXISTS \"counts\" (\"batch_time\" bigint "
            + "NOT NULL, \"seq\" bigint NOT NULL, \"word\" text NOT NULL, \"n\" bigint NOT NULL, \"note\" text, "
            + "PRIMARY KEY (\"batch_time\", \"seq\"))")
        let types = TableColumnType.allCases
        #expect(types.map(Self.sqlite.typeName) == ["INTEGER", "REAL", "TEXT", "BLOB"])
        #expect(types.map(Self.postgres.typeName) == ["bigint", "double precision", "text", "bytea"])
    }

    @Test func theBookkeepingTableAndItsClaimDifferOnlyInTypesParametersAndTimestamps() {
        #expect(Self.sqlite.createBatchesTable == "CREATE TABLE IF NOT EXISTS \"spate_batches\" (\"table\" TEXT "
            + "NOT NULL, sink TEXT NOT NULL, batch_time INTEGER NOT NULL, rows INTEGER NOT NULL, committed_at TEXT "
            + "NOT NULL, PRIMARY KEY (\"table\", sink, batch_time))")
        #expect(Self.postgres.createBatchesTable == "CREATE TABLE IF NOT EXISTS \"spate_batches\" (\"table\" text "
            + "NOT NULL, sink text NOT NULL, batch_time bigint NOT NULL, rows bigint NOT NULL, committed_at "
            + "timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (\"table\", sink, batch_time))")
        #expect(Self.sqlite.claimBatch == "INSERT INTO \"spate_batches\" (\"table\", sink, batch_time, rows, "
            + "committed_at) VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) ON CONFLICT (\"table\", "
            + "sink, batch_time) DO NOTHING RETURNING 1")
        #expect(Self.postgres.claimBatch == "INSERT INTO \"spate_batches\" (\"table\", sink, batch_time, rows, "
            + "committed_at) VALUES ($1, $2, $3, $4, now()) ON CONFLICT (\"table\", sink, batch_time) DO NOTHING "
            + "RETURNING 1")
        #expect(Self.sqlite.recordedClaim == "SELECT rows, committed_at FROM \"spate_batches\" WHERE \"table\" = ? "
            + "AND sink = ? AND batch_time = ?")
        #expect(Self.postgres.recordedClaim == "SELECT rows, committed_at FROM \"spate_batches\" WHERE \"table\" = "
            + "$1 AND sink = $2 AND batch_time = $3")
    }

    @Test func theEarlierBookkeepingTableMigratesInOneTransactionKeepingItsClaimsAsTheDefaultSinks() {
        #expect(Self.postgres.migrateBatchesTable == [
            "BEGIN",
            "CREATE TABLE \"spate_batches_keyed\" (\"table\" text NOT NULL, sink text NOT NULL, batch_time bigint "
                + "NOT NULL, rows bigint NOT NULL, committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY "
                + "(\"table\", sink, batch_time))",
            "INSERT INTO \"spate_batches_keyed\" (\"table\", sink, batch_time, rows, committed_at) SELECT \"table\", "
                + "'default', batch_time, rows, committed_at FROM \"spate_batches\"",
            "DROP TABLE \"spate_batches\"",
            "ALTER TABLE \"spate_batches_keyed\" RENAME TO \"spate_batches\"",
            "COMMIT",
        ])
        #expect(Self.sqlite.migrateBatchesTable[1] == "CREATE TABLE \"spate_batches_keyed\" (\"table\" TEXT NOT "
            + "NULL, sink TEXT NOT NULL, batch_time INTEGER NOT NULL, rows INTEGER NOT NULL, committed_at TEXT NOT "
            + "NULL, PRIMARY KEY (\"table\", sink, batch_time))")
        #expect(Array(Self.sqlite.migrateBatchesTable[2...]) == Array(Self.postgres.migrateBatchesTable[2...]))
    }

    @Test func appendInsertsPlainRowsNumberingParametersRowByRow() throws {
        let append = try Self.layout(.append)
        #expect(Self.postgres.insert(append, rows: 2) == "INSERT INTO \"counts\" (\"batch_time\", \"seq\", \"word\", "
            + "\"n\", \"note\") VALUES ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10)")
        #expect(Self.sqlite.insert(append, rows: 1) == "INSERT INTO \"counts\" (\"batch_time\", \"seq\", \"word\", "
            + "\"n\", \"note\") VALUES (?, ?, ?, ?, ?)")
    }

    @Test func upsertReplacesEveryNonKeyColumnOnConflict() throws {
        #expect(Self.postgres.insert(try Self.layout(.upsert), rows: 1) == "INSERT INTO \"counts\" (\"word\", \"n\", "
            + "\"note\", \"batch_time\") VALUES ($1, $2, $3, $4) ON CONFLICT (\"word\") DO UPDATE SET \"n\" = "
            + "excluded.\"n\", \"note\" = excluded.\"note\", \"batch_time\" = excluded.\"batch_time\"")
    }

    @Test func aVersionedUpsertReplacesOnlyRowsOfAnEqualOrLowerVersion() throws {
        #expect(Self.sqlite.insert(try Self.layout(.upsert, version: "n"), rows: 1) == "INSERT INTO \"counts\" "
            + "(\"word\", \"n\", \"note\", \"batch_time\") VALUES (?, ?, ?, ?) ON CONFLICT (\"word\") DO UPDATE SET "
            + "\"n\" = excluded.\"n\", \"note\" = excluded.\"note\", \"batch_time\" = excluded.\"batch_time\" "
            + "WHERE \"counts\".\"n\" <= excluded.\"n\"")
    }

    @Test func accumulateAddsEveryValueColumnAndReplacesTheBatchTime() throws {
        #expect(Self.postgres.insert(try Self.layout(.accumulate), rows: 1) == "INSERT INTO \"counts\" (\"word\", "
            + "\"n\", \"batch_time\") VALUES ($1, $2, $3) ON CONFLICT (\"word\") DO UPDATE SET \"n\" = "
            + "\"counts\".\"n\" + excluded.\"n\", \"batch_time\" = excluded.\"batch_time\"")
    }

    @Test func insertsSplitABatchSoNoStatementBindsMoreThanTheLimit() throws {
        let append = try Self.layout(.append)  // 5 parameters a row: at most 2 rows under a limit of 12
        let rows: [[String]] = (0..<5).map { i in ["w\(i)", "\(i)", "-"] }
        let statements = Array(Self.postgres.inserts(
            append, rows: rows, batchTime: "7000", seq: { "s\($0)" }, maxParameters: 12))
        #expect(statements.map(\.sql) == [
            Self.postgres.insert(append, rows: 2), Self.postgres.insert(append, rows: 2),
            Self.postgres.insert(append, rows: 1),
        ])
        #expect(statements.map(\.parameters) == [
            ["7000", "s0", "w0", "0", "-", "7000", "s1", "w1", "1", "-"],
            ["7000", "s2", "w2", "2", "-", "7000", "s3", "w3", "3", "-"],
            ["7000", "s4", "w4", "4", "-"],
        ])
        let keyed = Array(Self.sqlite.inserts(
            try Self.layout(.upsert), rows: [["a", "1", "x"]], batchTime: "9", seq: { _ in "unused" },
            maxParameters: 100))
        #expect(keyed.map(\.parameters) == [["a", "1", "x", "9"]])
        #expect(Array(Self.sqlite.inserts(append, rows: [[String]](), batchTime: "", seq: { _ in "" },
                                          maxParameters: 12)).isEmpty)
    }

    @Test func anExistingTableWithOtherColumnsFailsNamingBothAndTheFix() throws {
        let upsert = try Self.layout(.upsert)
        let batches = ["table", "sink", "batch_time", "rows"].map {
            FoundColumn(name: $0, type: "x", notNull: true, pk: 0)
        }
        let found = [FoundColumn(name: "word", type: "TEXT", notNull: true, pk: 1),
                     FoundColumn(name: "n", type: "REAL", notNull: true, pk: 0)]
        let error = #expect(throws: SpateError.self) {
            try upsert.checkExisting(batches: batches, table: found, claimsBatches: true, dialect: Self.sqlite,
                                     sink: "saveToSQLite", place: "x.sqlite")
        }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("table counts has columns (word TEXT NOT NULL, n REAL NOT NULL, PRIMARY KEY (word))"))
        #expect(message.contains("writes (word TEXT NOT NULL, n INTEGER NOT NULL, note TEXT, batch_time INTEGER"))
        #expect(message.contains("DROP TABLE counts"))
        let expected = upsert.tableColumns.map { c in
            FoundColumn(name: c.name.uppercased(), type: Self.sqlite.typeName(c.type).lowercased(),
                        notNull: !c.nullable, pk: c.name == "word" ? 1 : 0)
        }
        try upsert.checkExisting(
            batches: batches, table: expected, claimsBatches: true, dialect: Self.sqlite, sink: "s", place: "p")
        #expect(throws: SpateError.self) {
            try upsert.checkExisting(batches: Array(batches.prefix(2)), table: expected, claimsBatches: true,
                                     dialect: Self.sqlite, sink: "s", place: "p")
        }
    }

    @Test func aBookkeepingTableOfTheEarlierFormatFailsWithItsMigrationOnlyForASinkClaimingBatches() throws {
        let upsert = try Self.layout(.upsert)
        let earlier = ["table", "batch_time", "rows", "committed_at"].map {
            FoundColumn(name: $0, type: "x", notNull: true, pk: 0)
        }
        let table = upsert.tableColumns.map { c in
            FoundColumn(name: c.name, type: Self.postgres.typeName(c.type), notNull: !c.nullable,
                        pk: c.name == "word" ? 1 : 0)
        }
        let error = #expect(throws: SpateError.self) {
            try upsert.checkExisting(batches: earlier, table: table, claimsBatches: true, dialect: Self.postgres,
                                     sink: "saveToPostgres", place: "PostgreSQL 'dbname=spate'")
        }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("spate_batches has the format of an earlier Spate"))
        #expect(message.contains("run " + Self.postgres.migrateBatchesTable.joined(separator: "; ") + " ("))
        #expect(message.contains("claims of sink id 'default'"))
        // A sink that claims nothing there (offsets, a versioned upsert) does not need the table migrated.
        try upsert.checkExisting(batches: earlier, table: table, claimsBatches: false, dialect: Self.postgres,
                                 sink: "saveToPostgres", place: "p")
    }
}
