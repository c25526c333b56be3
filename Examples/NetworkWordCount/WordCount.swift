import Spate

/// The word count of NetworkWordCount: words split on ASCII whitespace, counted per batch, on the fast text
/// path: the lines are `Utf8Text` views of the received bytes and each word a `TextKey` (short words stored
/// inline), so no String is built per line or word.
///
/// A function of the input stream, so the example's tests (Tests/ExampleTests) run the same pipeline on pushed
/// batches with SpateTesting instead of a socket.
func wordCounts(_ lines: DStream<Utf8Text>) -> DStream<(TextKey, Int)> {
    lines
        .flatMap { $0.wordKeys }
        .map { ($0, 1) }
        .reduceByKey(+)
}
