/// An output that lives as long as its context runs: opened before its first batch, handed every batch, then
/// flushed and closed once when the context stops, whether the stop is graceful, not graceful, or caused by a
/// failed batch. Spark's `ForeachWriter` and Flink's `RichSinkFunction` play this part.
///
/// Use it for outputs that hold something across batches (a database connection, open files, a producer);
/// `foreachBatch(_:)` stays the plain form for outputs that hold nothing. Register a sink with
/// ``DStream/foreach(_:)``.
///
/// The context calls one method at a time, never two at once, in the order `open()`, `write(_:at:)` for every
/// batch, `flush()`, `close()`:
/// - `open()` runs before the first batch's `write`; when it throws, that batch fails (which stops the context)
///   and the sink counts as never opened. A sink that was never opened is neither flushed nor closed.
/// - A `write` that throws fails its batch and stops the context; `flush()` and `close()` still run.
/// - `flush()` then `close()` run once, after the last batch ended (for a stop that is not graceful, after the
///   batch in progress ended). An error from either is logged, and `awaitTermination()` rethrows it when
///   nothing else stopped the context.
/// ```swift
/// struct LineFile: BatchSink {
///     let handle: FileHandle
///     func write(_ batch: Batch<String>, at time: BatchTime) async throws {
///         try handle.write(contentsOf: Data(batch.collect().map { $0 + "\n" }.joined().utf8))
///     }
///     func flush() async throws { try handle.synchronize() }
///     func close() async throws { try handle.close() }
/// }
/// lines.foreach(LineFile(handle: handle))
/// ```
public protocol BatchSink<Element>: Sendable {
    /// The type of the records the sink writes.
    associatedtype Element: Sendable

    /// Acquires what the sink writes with. Called once, before the first `write(_:at:)`.
    func open() async throws

    /// Writes the batch of `time`. Called once per batch, in batch order.
    func write(_ batch: Batch<Element>, at time: BatchTime) async throws

    /// Makes every write so far durable. Called once, when the context stops, before `close()`.
    func flush() async throws

    /// Releases what `open()` acquired. Called once, when the context stops, after `flush()`.
    func close() async throws
}

extension BatchSink {
    /// Does nothing: a sink with nothing to acquire.
    public func open() async throws {}

    /// Does nothing: a sink whose writes are durable when `write(_:at:)` returns.
    public func flush() async throws {}

    /// Does nothing: a sink with nothing to release.
    public func close() async throws {}
}

extension DStream {
    /// Writes every batch (at each of the stream's slide times) to `sink`, which the context opens before the
    /// first batch and flushes and closes when it stops (see ``BatchSink``). An error thrown by the sink stops
    /// the context and is rethrown by `awaitTermination()`.
    public func foreach(_ sink: some BatchSink<T>) {
        foreach(sink, named: "foreach")
    }

    /// Registers `sink` as an output operation named `name` (shown in `BatchInfo.outputOperations` and the
    /// dashboard), as `foreach(_:)` does.
    package func foreach(_ sink: some BatchSink<T>, named name: String) {
        let lifecycle = SinkLifecycle(sink, name: name)
        foreachBatch(name: name, close: { try await lifecycle.close() }) { batch, time in
            try await lifecycle.write(batch, at: time)
        }
    }
}
