/// How the scheduler drives one input source.
struct SourceHooks: Sendable {
    /// Starts receiving (bind, connect, open); throws a clear error when the source cannot start.
    var start: @Sendable () async throws -> Void = {}
    /// Stops receiving. `graceful`: keep what was received so the final batches still process it.
    var stop: @Sendable (_ graceful: Bool) async -> Void = { _ in }
    /// Whether received data waits for a batch.
    var hasPendingData: @Sendable () -> Bool = { false }
    /// Input records dropped as undecodable (invalid UTF-8, ...) in the batch just cut; called right after
    /// the source's `cut` and summed into `BatchInfo.invalidRecords`. Returns the count and resets it.
    var takeInvalidCount: @Sendable () -> Int = { 0 }
    /// What the source reports about the batch it just cut (BatchInfo.streamIdToMetadata).
    var takeMetadata: @Sendable () -> [String: String] = { [:] }
}

/// An input source on the graph: `prepare` cuts the source's batch for a time and stores it in its DStream.
struct RegisteredSource: Sendable {
    let id: Int
    let name: String
    let hooks: SourceHooks
    /// Cuts and stores the batch for `time`; returns its record count.
    let prepare: @Sendable (BatchTime) async -> Int
}

extension StreamingContext {
    /// Makes an input DStream whose batch for each time is what `cut` returns at generation time.
    func inputStream<T: Sendable>(
        name: String, hooks: SourceHooks = SourceHooks(),
        cut: @escaping @Sendable (BatchTime) -> [[T]]
    ) -> DStream<T> {
        let stream = DStream<T>(context: self, name: name, parents: [], slideMs: batchIntervalMs,
                                alwaysCache: true) { _, _ in .empty }
        let source = RegisteredSource(id: stream.id, name: name, hooks: hooks) { [stream] time in
            let parts = cut(time)
            stream.put(parts, at: time)
            return parts.reduce(0) { $0 + $1.count }
        }
        add(source: source)
        return stream
    }
}
