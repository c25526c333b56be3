extension EventTimeStream {
    /// Merges the values of each key over its sessions of activity, by event time: a record at time x spans
    /// `[x, x + gap)`, and a key's overlapping spans merge into one session `[first time, last time + gap)`,
    /// also when a later record bridges two sessions (they become one, with both values combined).
    ///
    /// A session closes after batch t when the watermark after it, W(t+1), reaches its end. With
    /// `emit: .append` each session is emitted once, in the batch after which it closed, with its final value;
    /// with `.update`, every batch emits each open session that received records in it, with its value so far
    /// (when a record merges sessions, the merged session replaces them: a sink upserting by `(key, window)`
    /// keeps the older rows, which `.append` never emits). A closed session's state is dropped.
    /// ```swift
    /// let sessions = try timed.reduceByKeyAndSession(key: { $0.user }, value: { _ in 1 }, +, gap: .seconds(30))
    /// ```
    /// `combine` must be associative and commutative. Results are `(Windowed(key, session), value)`; the
    /// state is checkpointed as the other stateful operators' (name it with `named(_:)`).
    /// - Throws: `EventTimeError.nonPositiveGap` when `gap` is under 1 ms.
    /// - Complexity: O(records x open sessions of their key) per batch, in parallel over `partitions`; plus
    ///   O(keys with open sessions in a partition) in a batch after which one of its sessions closes.
    @inlinable
    public func reduceByKeyAndSession<K: Hashable & Sendable, V: Sendable>(
        key: @escaping @Sendable (T) -> K, value: @escaping @Sendable (T) -> V,
        _ combine: @escaping @Sendable (V, V) -> V,
        gap: Duration, emit: OutputMode = .append, partitions: Int? = nil
    ) throws -> DStream<(Windowed<K>, V)> {
        guard EventTimeMath.milliseconds(gap) >= 1 else {
            throw EventTimeError.nonPositiveGap(operation: "reduceByKeyAndSession", gap: gap)
        }
        let gapMs = EventTimeMath.milliseconds(gap)
        return stateStream(
            "reduceByKeyAndSession", kind: "reduceByKeyAndSession<\(K.self), \(V.self)>", partitions: partitions,
            openEntries: { $0.values.reduce(0) { $0 + $1.count } }
        ) { records, watermark, run, state, partitioner, earliest in
            let pairs = records.narrow { (x: Timed<T>, _: BatchRun, sink: ((K, Timed<V>)) -> Void) in
                sink((key(x.record), Timed(time: x.time, record: value(x.record))))
            }
            let pieces = ShuffleKernels.hashPartition(pairs, run, partitioner: partitioner)
            return Stage(partitions: Parallel.map(partitioner.partitions) { j in
                let rows = ShuffleKernels.gather(pieces, j)
                var end = earliest[j]
                let out = state.withPartition(j) { open in
                    SessionKernels.apply(
                        rows, to: &open, gapMs: gapMs, combine: combine, emit: emit, watermark: watermark,
                        earliestEnd: &end)
                }
                earliest[j] = end
                return out
            })
        }
    }
}

/// One open session of a key: `[start, end)` and the values combined so far.
@usableFromInline
struct Session<V: Sendable>: Sendable {
    @usableFromInline var start: Int64
    @usableFromInline var end: Int64
    @usableFromInline var value: V

    @inlinable
    init(start: Int64, end: Int64, value: V) {
        self.start = start
        self.end = end
        self.value = value
    }
}

extension Session: Codable where V: Codable {}

/// The per-partition step of `reduceByKeyAndSession`, `@inlinable` so it compiles for the caller's types.
@usableFromInline
enum SessionKernels {
    /// Adds one batch's records of one partition to their keys' sessions (each key's sessions sorted and
    /// disjoint), then closes the sessions whose end the watermark reached; returns what the batch emits.
    /// `earliestEnd` is a lower bound of the open sessions' ends; the keys are scanned only when the
    /// watermark reaches it.
    @inlinable
    static func apply<K: Hashable & Sendable, V: Sendable>(
        _ batch: ShuffleKernels.HashedRows<K, Timed<V>>, to open: inout [K: [Session<V>]], gapMs: Int64,
        combine: (V, V) -> V, emit: OutputMode, watermark: Int64?, earliestEnd: inout Int64
    ) -> [(Windowed<K>, V)] {
        var out: [(Windowed<K>, V)] = []
        let rows = batch.rows
        if !rows.isEmpty {
            let chains = RowChains(keys: rows, hashes: batch.hashes) { $0.0 }
            var values: [Timed<V>] = []
            for head in chains.heads where head >= 0 {
                values.removeAll(keepingCapacity: true)
                var at = head
                while at >= 0 {
                    values.append(rows[at].1)
                    at = chains.next[at]
                }
                values.sort { $0.time < $1.time }
                let key = rows[head].0
                let sessions: [Session<V>]
                if let i = open.index(forKey: key) {
                    for x in values { insert(x, into: &open.values[i], gapMs: gapMs, combine: combine) }
                    sessions = open.values[i]
                } else {
                    var fresh: [Session<V>] = []
                    for x in values { insert(x, into: &fresh, gapMs: gapMs, combine: combine) }
                    open[key] = fresh
                    sessions = fresh
                }
                earliestEnd = Swift.min(earliestEnd, sessions[0].end)
                if emit == .update { touched(sessions, by: values, key: key, into: &out) }
            }
        }
        guard let watermark, watermark >= earliestEnd else { return out }
        var next = Int64.max
        var emptied: [K] = []
        var i = open.startIndex
        while i != open.endIndex {
            // Sessions are sorted and disjoint, so their ends ascend: the closed ones are a prefix.
            let count = open.values[i].count
            var closed = 0
            while closed < count && open.values[i][closed].end <= watermark {
                if emit == .append {
                    let s = open.values[i][closed]
                    out.append((Windowed(key: open.keys[i], window: EventWindow(start: s.start, end: s.end)), s.value))
                }
                closed += 1
            }
            if closed == count {
                emptied.append(open.keys[i])
            } else {
                next = Swift.min(next, open.values[i][closed].end)
                if closed > 0 { open.values[i].removeFirst(closed) }
            }
            open.formIndex(after: &i)
        }
        for key in emptied { open.removeValue(forKey: key) }
        earliestEnd = next
        return out
    }

    /// Adds the record `x` (spanning `[x.time, x.time + gap)`) to sorted, disjoint `sessions`: a new session,
    /// or one merged with every session its span overlaps (two when it bridges them).
    @inlinable
    static func insert<V: Sendable>(
        _ x: Timed<V>, into sessions: inout [Session<V>], gapMs: Int64, combine: (V, V) -> V
    ) {
        let spanEnd = EventTimeMath.add(x.time, gapMs)
        // The first session that ends after the span starts; those from it that start before the span ends
        // overlap the span.
        var first = sessions.count
        while first > 0 && sessions[first - 1].end > x.time { first -= 1 }
        var last = first
        while last < sessions.count && sessions[last].start < spanEnd { last += 1 }
        if first == last {
            sessions.insert(Session(start: x.time, end: spanEnd, value: x.record), at: first)
            return
        }
        var merged = sessions[first]
        for s in sessions[(first + 1)..<last] { merged.value = combine(merged.value, s.value) }
        merged.value = combine(merged.value, x.record)
        merged.start = Swift.min(merged.start, x.time)
        merged.end = Swift.max(sessions[last - 1].end, spanEnd)
        sessions.replaceSubrange(first..<last, with: CollectionOfOne(merged))
    }

    /// Appends to `out` each of `sessions` that holds one of `values`' times (both sorted).
    @inlinable
    static func touched<K: Hashable & Sendable, V: Sendable>(
        _ sessions: [Session<V>], by values: [Timed<V>], key: K, into out: inout [(Windowed<K>, V)]
    ) {
        var v = 0
        for s in sessions {
            while v < values.count && values[v].time < s.start { v += 1 }
            if v < values.count && values[v].time < s.end {
                out.append((Windowed(key: key, window: EventWindow(start: s.start, end: s.end)), s.value))
            }
        }
    }
}
