extension DStream {
    /// Runs `body` on every batch (at each of the stream's slide times). The most general output operation;
    /// an error thrown by `body` stops the context and is rethrown by `awaitTermination()`.
    public func foreachBatch(_ body: @escaping @Sendable (Batch<T>, BatchTime) async throws -> Void) {
        foreachBatch(name: "foreachBatch", body)
    }

    func foreachBatch(name: String, _ body: @escaping @Sendable (Batch<T>, BatchTime) async throws -> Void) {
        let id = context.register(name: name)
        addConsumer()
        context.add(output: OutputOperation(id: id, name: name, node: self) { [self] time, run in
            guard let stage = try getOrCompute(time, run) else { return }
            try await body(Batch(time: time, partitions: stage.materialize(run)), time)
        })
    }
}
