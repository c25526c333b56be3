import Spate
import SpateStreamSQL
import Testing

/// A query per batch over each element type: the results equal a Swift reference computation.
@Suite struct SQLQueryTests {
    @Test func groupByEqualsASwiftCountOfEachBatch() async throws {
        let batches = randomWordBatches(seed: 7, batches: 6)
        let out = try await runSQL(batches) { words in
            words.sql("SELECT value, COUNT(*) AS n FROM batch GROUP BY value") { row in (row.text(0), row.integer("n")) }
        }
        #expect(out.count == batches.count)
        for (batch, result) in zip(batches, out) {
            #expect(Dictionary(uniqueKeysWithValues: result) == counted(batch))
        }
    }

    @Test func theGuidesQueryOverACodableRecordGroupsByItsColumn() async throws {
        struct Record: Codable, Sendable { let word: String }
        let batches = randomWordBatches(seed: 11, batches: 4)
        let out = try await runSQL(batches) { words in
            words.map { Record(word: $0) }
                .sql("SELECT word, COUNT(*) AS total FROM batch GROUP BY word") { row in (row.text(0), row.integer(1)) }
        }
        for (batch, result) in zip(batches, out) {
            #expect(Dictionary(uniqueKeysWithValues: result) == counted(batch))
        }
    }

    struct Reading: Codable, Sendable, Equatable {
        let name: String
        let count: Int
        let score: Double
        let ok: Bool
        let note: String?
        let raw: [UInt8]
        let small: Int32
    }

    @Test func aValueOfEachTypeComesBackAsItWent() async throws {
        let readings = [
            Reading(name: "naïve 日本語 🎉", count: Int.max, score: -0.5, ok: true, note: nil, raw: [0, 255, 7], small: -3),
            Reading(name: "", count: Int.min, score: 1e300, ok: false, note: "it's \"fine\"", raw: [], small: .max),
            Reading(name: "nul\u{0}inside", count: 0, score: .greatestFiniteMagnitude, ok: true, note: "", raw: [1],
                    small: 0),
        ]
        let out = try await runSQL([readings]) { s in
            s.sql("SELECT name, count, score, ok, note, raw, small, batch_time FROM batch ORDER BY rowid") { row in
                (Reading(name: row.text(0), count: row.integer(1), score: row.real(2), ok: row.integer(3) == 1,
                         note: row.textOrNil(4), raw: row.blob(5), small: Int32(row.integer(6))), row.integer(7))
            }
        }
        #expect(out[0].map(\.0) == readings)
        #expect(out[0].map(\.1) == [1000, 1000, 1000])
    }

    @Test func nanIsStoredAsNullAndReadAsNil() async throws {
        let out = try await runSQL([[1.5, .nan, -0.0, .infinity]]) { s in
            s.sql("SELECT value, value IS NULL FROM batch ORDER BY rowid") { row in (row.realOrNil(0), row.integer(1)) }
        }
        #expect(out[0].map(\.1) == [0, 1, 0, 0])
        #expect(out[0].map(\.0) == [1.5, nil, 0, .infinity])
    }

    @Test func nullsOfOptionalColumnsAndOfOuterResultsReadAsNil() async throws {
        let out = try await runSQL([[Int?.some(3), nil, 4]]) { s in
            s.sql("SELECT value, MAX(value) OVER (), (SELECT MIN(value) FROM batch WHERE value > 99) FROM batch "
                    + "ORDER BY rowid") { row in [row.integerOrNil(0), row.integerOrNil(1), row.integerOrNil(2)] }
        }
        #expect(out[0] == [[3, 4, nil], [nil, 4, nil], [4, 4, nil]])
    }

    @Test func pairsAndTriplesHaveNamedColumns() async throws {
        let pairs: [[(String, Int)]] = [[("a", 1), ("b", 2), ("a", 3)], [("c", 5)]]
        let sums = try await runSQL(pairs) { s in
            s.sql("SELECT key, SUM(value) FROM batch GROUP BY key ORDER BY key") { row in (row.text(0), row.integer(1)) }
        }
        #expect(sums.map { $0.map { "\($0.0)=\($0.1)" } } == [["a=4", "b=2"], ["c=5"]])

        let triples: [[(String, Int, Double)]] = [[("x", 1, 0.5), ("x", 2, 0.25)]]
        let named = try await runSQL(triples) { s in
            s.sql("SELECT page, SUM(hits), SUM(secs) FROM batch GROUP BY page", columns: ("page", "hits", "secs")) {
                row in "\(row.text(0)) \(row.integer(1)) \(row.real(2))"
            }
        }
        #expect(named == [["x 3 0.75"]])
    }

    @Test func declaredColumnsTakeTheValuesInTheirOrder() async throws {
        struct Click: Sendable { let user: String; let ms: Int }
        let columns = SQLColumns<Click>.declared([TableColumn("user", .text), TableColumn("ms", .integer)]) { c in
            [.text(c.user), .integer(Int64(c.ms))]
        }
        let out = try await runSQL([[Click(user: "u1", ms: 5), Click(user: "u2", ms: 9), Click(user: "u1", ms: 1)]]) {
            $0.sql("SELECT user, MAX(ms) FROM batch GROUP BY user ORDER BY user", columns: columns) { row in
                "\(row.text("user")):\(row.integer(1))"
            }
        }
        #expect(out == [["u1:5", "u2:9"]])
    }

    @Test func anEmptyBatchRunsTheQueryOnAnEmptyTable() async throws {
        let out = try await runSQL([["a"], [], ["b", "b"]]) { s in
            s.sql("SELECT COUNT(*) FROM batch") { row in row.integer(0) }
        }
        #expect(out == [[1], [0], [2]])
    }
}
