extension DStream {
    /// A stream whose batches come from one state value that every batch of this stream updates in place, in
    /// batch order and exactly once, for modules outside the core whose state is one structure rather than a
    /// table per key (SpateGraph's union-find of incremental connected components, its accumulated graph).
    ///
    /// The state is the single entry of a one-partition keyed state, so it is checkpointed and restored like
    /// updateStateByKey's (under the stream's `named(_:)` name or `<name>#<n>`, refused under another `kind`;
    /// `S` must be Codable when checkpointing is on). `step` gets the batch's records and the state to update,
    /// and returns the stream's partitions; if it throws, the batch fails and the state stays as `step` left it. The value is taken out of its table while `step` runs, so `step`
    /// mutates it without a copy; only a batch that follows a checkpoint snapshot copies it once.
    package func singleValueStateStream<S: Sendable, Out: Sendable>(
        _ name: String, kind: String, initial: @escaping @Sendable () -> S,
        step: @escaping @Sendable (_ records: [[T]], _ time: BatchTime, _ state: inout S) throws -> [[Out]]
    ) -> DStream<Out> {
        keyedStateStream(name, kind: kind, partitions: 1, seed: { _ in [(Int, S)]() }) {
            parent, run, time, state, _ in
            let records = parent.materialize(run)
            return Stage(partitions: try state.withPartition(0) { (table: inout [Int: S]) in
                var value = table.removeValue(forKey: 0) ?? initial()
                defer { table[0] = value }
                return try step(records, time, &value)
            })
        }
    }
}
