extension DStream {
    /// Runs `body` on every batch (at each of the stream's slide times). The most general output operation;
    /// an error thrown by `body` stops the context and is rethrown by `awaitTermination()`. For an output
    /// that holds a connection or files across batches, write a ``BatchSink`` and register it with
    /// ``foreach(_:)``.
    public func foreachBatch(_ body: @escaping @Sendable (Batch<T>, BatchTime) async throws -> Void) {
        foreachBatch(name: "foreachBatch", body)
    }

    /// Registers an output operation named `name` running `body` on every batch; `close` (if any) runs once
    /// when the context stops.
    func foreachBatch(
        name: String, close: (@Sendable () async throws -> Void)? = nil,
        _ body: @escaping @Sendable (Batch<T>, BatchTime) async throws -> Void
    ) {
        let id = context.register(name: name)
        addConsumer()
        context.add(output: OutputOperation(id: id, name: name, node: self, close: close) { [self] time, run in
            guard let stage = try getOrCompute(time, run) else { return }
            try await body(Batch(time: time, partitions: stage.materialize(run)), time)
        })
    }
}
