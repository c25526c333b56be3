import Spate

/// The word count of NetworkWordCount: words split on spaces, counted per batch.
///
/// A function of the input stream, so the example's tests (Tests/ExampleTests) run the same pipeline on pushed
/// batches with SpateTesting instead of a socket.
func wordCounts(_ lines: DStream<String>) -> DStream<(String, Int)> {
    lines
        .flatMap { $0.split(separator: " ").map(String.init) }
        .map { ($0, 1) }
        .reduceByKey(+)
}
