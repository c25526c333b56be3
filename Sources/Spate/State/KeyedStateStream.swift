extension KeyedState {
    /// The stream of the operator that owns this state: its batch for a time is `step` applied to the state
    /// at that time, after every earlier time not yet applied.
    ///
    /// Asked for time `t`, the stream applies in order each of its slide times after the last applied one up
    /// to `t` (catch-up: a consumer that asks only every second batch, a window or a slower output, still sees
    /// the state advance once per batch), keeps what each step produced in its cache (the batches computed
    /// while catching up, which nobody asked for yet, are then there when asked), and never applies a time
    /// twice. A state not restored from a checkpoint starts at the first batch of this run.
    /// - Parameters:
    ///   - step: applies one time to the state and returns the stream's batch for it; `isFirst` on the
    ///     first time applied to a state that was neither restored nor applied before (to seed it).
    ///   - past: the batch for a time applied earlier whose cached batch is gone; nil: there is none (logged).
    func stream<Out: Sendable>(
        _ name: String, context: StreamingContext, parents: [any GraphNode], slideMs: Int, lookbackMs: Int = 0,
        step: @escaping @Sendable (_ time: BatchTime, _ run: BatchRun, _ isFirst: Bool) throws -> Stage<Out>,
        past: (@Sendable (BatchTime, BatchRun) throws -> Stage<Out>?)? = nil
    ) -> DStream<Out> {
        let this = NodeRef<Out>()
        let progress = self.progress
        let node = DStream<Out>(
            context: context, name: name, parents: parents, slideMs: slideMs, lookbackMs: lookbackMs, alwaysCache: true
        ) { time, run in
            var current: Stage<Out>?
            try progress.advance(to: time, startMs: context.resumeAfterMs, zeroMs: context.zeroTimeMs, slideMs: slideMs) {
                stepTime, isFirst in
                let stage = try step(stepTime, run, isFirst)
                if stepTime == time { current = stage } else { this.node?.put(stage.materialize(run), at: stepTime) }
            }
            if let current { return current }
            // Applied already, while catching up for a later time: the cache has it, unless it was forgotten.
            if let cached = this.node?.cached(at: time) { return Stage(partitions: cached) }
            if let past { return try past(time, run) }
            context.logger.warning("stateful batch no longer available", metadata: ["operator": "\(name)", "batch": "\(time)"])
            return nil
        }
        this.set(node)
        return node
    }

    /// The stream of an operator over one parent, for operators outside the core module (SpateKafka): `step`
    /// gets the parent's batch for each time (nil when the parent has none) and returns the stream's.
    package func stream<P: Sendable, Out: Sendable>(
        _ name: String, of parent: DStream<P>,
        step: @escaping @Sendable (_ parent: Batch<P>?, _ time: BatchTime) throws -> [[Out]]
    ) -> DStream<Out> {
        stream(name, context: parent.context, parents: [parent], slideMs: parent.slideMs) { time, run, _ in
            let batch = try parent.getOrCompute(time, run).map { Batch(time: time, partitions: $0.materialize(run)) }
            let out = Stage(partitions: try step(batch, time))
            // Source-scoped state is not in the checkpoints, so its expired keys reach BatchInfo through the run.
            run.recordExpired(name, self.takeExpired())
            return out
        }
    }
}

extension KeyedState where Scope == Int {
    /// Registers the state with the context's checkpoints as `(key, entry)` pairs and the last applied time,
    /// under `node`'s name (or `<operatorName>#<n>`); `kind` names the operator and its types, so that a
    /// checkpoint of another operator under the same name is refused. An event-time operator also hands the
    /// size its batches report under that name: `openEntries` (the open windows, sessions or buffered records
    /// of one partition's table).
    func checkpointed<K: Hashable & Sendable, E: Sendable>(
        in context: StreamingContext, operatorName: String, kind: String, node: NodeName, partitioner: HashPartitioner,
        openEntries: (@Sendable ([K: E]) -> Int)? = nil
    ) where Table == [K: E] {
        context.addCheckpointed(operatorName: operatorName) { defaultName in
            KeyedStateCheckpoint(
                kind: kind, defaultName: defaultName, node: node, state: self, partitioner: partitioner,
                openEntries: openEntries)
        }
    }
}

extension DStream {
    /// The stream of a keyed operator over this stream with a hash-scoped state of `[K: E]` tables
    /// (updateStateByKey, mapWithState), checkpointed as `kind`: `seed(time)` fills the state before its first
    /// batch, and `step` applies this stream's batch for one time to the state and returns the result's batch.
    @usableFromInline
    func keyedStateStream<K: Hashable & Sendable, E: Sendable, Out: Sendable>(
        _ name: String, kind: String, partitions: Int?, seed: @escaping @Sendable (BatchTime) -> [(K, E)],
        step: @escaping @Sendable (
            _ parent: Stage<T>, _ run: BatchRun, _ time: BatchTime, _ state: KeyedState<Int, [K: E]>,
            _ partitioner: HashPartitioner
        ) throws -> Stage<Out>
    ) -> DStream<Out> {
        let partitioner = partitioner(partitions)
        let state = KeyedState<Int, [K: E]>(partitions: partitioner.partitions, empty: [:])
        let node = state.stream(name, context: context, parents: [self], slideMs: slideMs) { [self] time, run, isFirst in
            if isFirst { state.seed(seed(time), by: partitioner) }
            return try step(getOrCompute(time, run) ?? .empty, run, time, state, partitioner)
        }
        state.checkpointed(in: context, operatorName: name, kind: kind, node: node.nodeName, partitioner: partitioner)
        return node
    }
}
