import Spate
import SpateStreamSQL
import SpateTesting
import Testing

/// Runs `pipeline` on `batches` (one per batch interval, 1 s) with SpateTesting's driver and returns each
/// batch's output records.
func runSQL<I: Sendable, R: Sendable>(
    _ batches: [[I]], parallelism: Int = 2, _ pipeline: @escaping @Sendable (DStream<I>) -> DStream<R>
) async throws -> [[R]] {
    let driver = StreamingTestDriver(parallelism: parallelism) { t in
        try t.output("out", pipeline(try t.input("in", of: I.self)))
    }
    try await driver.start()
    let input = try driver.input("in", of: I.self)
    for b in batches { input.push(b) }
    do {
        try await driver.advance(batches: batches.count)
    } catch {
        await driver.stop(graceful: false)
        throw error
    }
    let out = try driver.output("out", of: R.self).batches.map(\.records)
    await driver.stop()
    return out
}

/// The `StreamSQLError` that running `pipeline` on `batches` (or starting it) throws.
func sqlError<I: Sendable, R: Sendable>(
    _ batches: [[I]], _ pipeline: @escaping @Sendable (DStream<I>) -> DStream<R>,
    sourceLocation: SourceLocation = #_sourceLocation
) async -> StreamSQLError? {
    do {
        _ = try await runSQL(batches, pipeline)
        Issue.record("expected a StreamSQLError, but the pipeline ran", sourceLocation: sourceLocation)
        return nil
    } catch let error as StreamSQLError {
        return error
    } catch {
        Issue.record("expected a StreamSQLError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// `count` batches of random words from a small vocabulary (with repeats, Unicode and an empty word), seeded.
func randomWordBatches(seed: UInt64, batches: Int, maxWords: Int = 200) -> [[String]] {
    let vocabulary = ["spark", "stream", "sql", "naïve", "日本語", "🎉", "", "a b", "O'Brien", "\"quoted\""]
    var rng = SeededRandom(seed: seed)
    return (0..<batches).map { _ in
        (0..<Int(rng.next() % UInt64(maxWords + 1))).map { _ in vocabulary[Int(rng.next() % UInt64(vocabulary.count))] }
    }
}

/// Counts of each word: the Swift reference of a `GROUP BY`.
func counted(_ words: [String]) -> [String: Int] { words.reduce(into: [:]) { $0[$1, default: 0] += 1 } }
