import Synchronization

/// The earliest time at which something a state partition holds may close or expire (a window's or
/// session's end, a join buffer's eviction time), per hash partition: a batch whose watermark is before it
/// need not scan the partition. `Int64.min` means unknown (a new or restored state): the next batch scans.
///
/// Not checkpointed: it is recomputed by the first scan.
@usableFromInline
final class EarliestEnds: Sendable {
    private let ends: Mutex<[Int64]>

    init(partitions: Int) { ends = Mutex([Int64](repeating: .min, count: partitions)) }

    /// Partition `j`'s earliest end.
    @usableFromInline
    subscript(_ j: Int) -> Int64 {
        get { ends.withLock { $0[j] } }
        set { ends.withLock { $0[j] = newValue } }
    }
}

/// The stream of an event-time operator (window, session, interval join) with a hash-scoped state of `[K: E]`
/// tables, on the keyed-state block: `step` applies the batch at each time exactly once and in order
/// (catch-up included), and the state goes into checkpoints as `kind` under the stream's name.
/// - Parameters:
///   - parents: the nodes the step reads (records and watermarks of each input).
///   - openEntries: the open windows, sessions or buffered records one partition's table holds
///     (`BatchInfo.eventTimeState`).
///   - step: applies one time's batch to the state and returns the result's batch.
func eventStateStream<K: Hashable & Sendable, E: Sendable, Out: Sendable>(
    _ name: String, kind: String, context: StreamingContext, parents: [any GraphNode], partitions: Int?,
    openEntries: @escaping @Sendable ([K: E]) -> Int,
    step: @escaping @Sendable (
        _ time: BatchTime, _ run: BatchRun, _ state: KeyedState<Int, [K: E]>, _ partitioner: HashPartitioner,
        _ earliest: EarliestEnds
    ) throws -> Stage<Out>
) -> DStream<Out> {
    let partitioner = HashPartitioner(partitions: partitions ?? context.parallelism)
    let state = KeyedState<Int, [K: E]>(partitions: partitioner.partitions, empty: [:])
    let earliest = EarliestEnds(partitions: partitioner.partitions)
    let slideMs = parents.map(\.slideMs).max() ?? context.batchIntervalMs
    let node = state.stream(name, context: context, parents: parents, slideMs: slideMs) { time, run, _ in
        try step(time, run, state, partitioner, earliest)
    }
    state.checkpointed(
        in: context, operatorName: name, kind: kind, node: node.nodeName, partitioner: partitioner,
        openEntries: openEntries)
    return node
}

extension EventTimeStream {
    /// `eventStateStream` over this stream: `step` gets, for each time, the on-time records with their event
    /// times and the watermark after the batch, W(t+1) (nil before the first record); `openEntries` as in
    /// `eventStateStream`.
    @usableFromInline
    func stateStream<K: Hashable & Sendable, E: Sendable, Out: Sendable>(
        _ name: String, kind: String, partitions: Int?, openEntries: @escaping @Sendable ([K: E]) -> Int,
        step: @escaping @Sendable (
            _ records: Stage<Timed<T>>, _ watermark: Int64?, _ run: BatchRun, _ state: KeyedState<Int, [K: E]>,
            _ partitioner: HashPartitioner, _ earliest: EarliestEnds
        ) throws -> Stage<Out>
    ) -> DStream<Out> {
        eventStateStream(
            name, kind: kind, context: context, parents: [timed, watermarks], partitions: partitions,
            openEntries: openEntries
        ) {
            [self] time, run, state, partitioner, earliest in
            let records = try timed.getOrCompute(time, run) ?? .empty
            return try step(records, try watermark(at: time, run), run, state, partitioner, earliest)
        }
    }
}
