import Foundation
import SQLiteNIO
import Spate
import SpateStreamSQL
import Synchronization

// The SQL word count (SpateStreamSQL, the guide's SqlNetworkWordCount) beside reduceByKey on the same words,
// a hand-written loop, and sqlite-nio's own query API doing the SQL's work: words counted per batch, rows/s.
// Run: cd Benchmarks && swift run -c release SQLWordCountBenchmark [batches] [wordsPerBatch]
let arguments = CommandLine.arguments
let batchCount = arguments.count > 1 ? Int(arguments[1]) ?? 10 : 10
let perBatch = arguments.count > 2 ? Int(arguments[2]) ?? 200_000 : 200_000

/// W1's words (../shared/WORKLOADS.md): drawn from `w0`..`w9999`, Zipf(s = 1.0), splitmix64 seeded with 42.
func zipfWords(_ n: Int) -> [String] {
    var rng = SeededRandom(seed: 42)
    var cdf: [Double] = []
    var total = 0.0
    for i in 0..<10_000 { total += 1.0 / Double(i + 1); cdf.append(total) }
    let words = (0..<10_000).map { "w\($0)" }
    return (0..<n).map { _ in
        let u = rng.nextUniform() * total
        var lo = 0, hi = cdf.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] < u { lo = mid + 1 } else { hi = mid } }
        return words[lo]
    }
}

struct Record: Codable, Sendable { let word: String }

let all = zipfWords(batchCount * perBatch)
let batches = (0..<batchCount).map { Array(all[($0 * perBatch)..<(($0 + 1) * perBatch)]) }
let reference = batches.map { b in b.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 } }

/// Runs `pipeline` over the batches on a manual clock; returns the seconds taken and checks every batch's
/// counts against the reference.
func timed(_ pipeline: @Sendable (DStream<String>) -> DStream<(String, Int)>) async throws -> Double {
    let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
    let results = Results()
    pipeline(ssc.queueStream(batches)).foreachBatch { batch, time in results.add(batch.collect(), at: time) }
    try await ssc.start()
    let start = ContinuousClock.now
    try await ssc.advance(by: .seconds(batchCount))
    let seconds = (ContinuousClock.now - start) / .seconds(1)
    await ssc.stop()
    guard results.all() == reference else { throw CountsDiffer() }
    return seconds
}

/// Each batch's counts as the output received them.
final class Results: Sendable {
    private let batches = Mutex<[Int: [String: Int]]>([:])
    func add(_ counts: [(String, Int)], at time: BatchTime) {
        let counts = Dictionary(uniqueKeysWithValues: counts)
        batches.withLock { $0[Int(time.milliseconds / 1000) - 1] = counts }
    }
    func all() -> [[String: Int]] { batches.withLock { b in (0..<batchCount).map { b[$0] ?? [:] } } }
}

struct CountsDiffer: Error {}

/// sqlite-nio's API doing the operator's work per batch: multi-row INSERTs of up to 30,000 parameters, the
/// GROUP BY, a DELETE; each call a hop to its thread pool.
func sqliteNIO() async throws -> Double {
    let db = try await SQLiteConnection.open(storage: .memory)
    _ = try await db.query("CREATE TABLE batch (word TEXT NOT NULL, batch_time INTEGER NOT NULL) STRICT")
    let start = ContinuousClock.now
    for (i, batch) in batches.enumerated() {
        _ = try await db.query("BEGIN")
        for chunk in stride(from: 0, to: batch.count, by: 15_000) {
            let rows = batch[chunk..<min(chunk + 15_000, batch.count)]
            let sql = "INSERT INTO batch VALUES " + Array(repeating: "(?, ?)", count: rows.count).joined(separator: ",")
            _ = try await db.query(sql, rows.flatMap { [SQLiteData.text($0), .integer(i)] })
        }
        _ = try await db.query("COMMIT")
        let rows = try await db.query("SELECT word, COUNT(*) AS total FROM batch GROUP BY word")
        let counts = Dictionary(uniqueKeysWithValues: rows.map { ($0.column("word")!.string!, $0.column("total")!.integer!) })
        guard counts == reference[i] else { throw CountsDiffer() }
        _ = try await db.query("DELETE FROM batch")
    }
    let seconds = (ContinuousClock.now - start) / .seconds(1)
    try await db.close()
    return seconds
}

/// The best of three runs of `body`, in rows (words) per second.
func rate(_ name: String, _ body: @Sendable () async throws -> Double) async throws {
    var best = Double.infinity
    for _ in 0..<3 { best = min(best, try await body()) }
    let rows = Double(batchCount * perBatch)
    print(name.padding(toLength: 44, withPad: " ", startingAt: 0)
        + String(format: "%12.0f rows/s  (%.3f s for %d rows)", rows / best, best, batchCount * perBatch))
}

print("SQL word count: \(batchCount) batches of \(perBatch) words (W1's Zipf words), parallelism 2, best of 3")
try await rate("hand loop ([String: Int], one thread)") {
    let start = ContinuousClock.now
    let counts = batches.map { b in b.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 } }
    precondition(counts == reference)
    return (ContinuousClock.now - start) / .seconds(1)
}
try await rate("reduceByKey") { try await timed { $0.map { ($0, 1) }.reduceByKey(+) } }
try await rate("sql, String column (value)") {
    try await timed { $0.sql("SELECT value, COUNT(*) FROM batch GROUP BY value") { ($0.text(0), $0.integer(1)) } }
}
try await rate("sql, Codable Record (the example)") {
    try await timed {
        $0.map { Record(word: $0) }
            .sql("SELECT word, COUNT(*) AS total FROM batch GROUP BY word") { ($0.text(0), $0.integer(1)) }
    }
}
try await rate("sqlite-nio query API (multi-row INSERT)") { try await sqliteNIO() }
