extension EventTimeStream {
    /// Joins this stream with `other` by key over a time interval: emits every pair `(a, b)` of on-time
    /// records with `key(a) == otherKey(b)` and `a.time + lower <= b.time <= a.time + upper`, exactly once, in
    /// the batch in which the later of the two arrives (both in one batch: that batch).
    ///
    /// Each side's records are buffered per key until the two streams' common watermark (the smaller of the
    /// two) shows that no on-time partner can still come: a left record at time x is dropped once the common
    /// watermark passes x + upper, a right record at time y once it passes y - lower. The buffers are
    /// checkpointed as the other stateful operators' state (name the result with `named(_:)`).
    /// ```swift
    /// let paid = try orders.intervalJoin(payments, key: { $0.orderID }, otherKey: { $0.orderID },
    ///                                    lower: .zero, upper: .minutes(10))   // DStream<(K, (Order, Payment))>
    /// ```
    /// - Parameters:
    ///   - lower: the earliest the other record may be, relative to this one's time (may be negative).
    ///   - upper: the latest the other record may be, relative to this one's time (at least `lower`).
    /// - Throws: `EventTimeError.joinBoundsReversed` when `lower > upper`, `.streamsIncompatible` when the
    ///   streams belong to different contexts or have different slides.
    /// - Complexity: O(records + new records x buffered records of their key) per batch, in parallel over
    ///   `partitions`; plus O(buffered records of a partition) in a batch after which one of them expires.
    @inlinable
    public func intervalJoin<U: Sendable, K: Hashable & Sendable>(
        _ other: EventTimeStream<U>, key: @escaping @Sendable (T) -> K, otherKey: @escaping @Sendable (U) -> K,
        lower: Duration, upper: Duration, partitions: Int? = nil
    ) throws -> DStream<(K, (T, U))> {
        guard lower <= upper else { throw EventTimeError.joinBoundsReversed(lower: lower, upper: upper) }
        let lowerMs = EventTimeMath.milliseconds(lower), upperMs = EventTimeMath.milliseconds(upper)
        return try joinStream(other, kind: "intervalJoin<\(K.self), \(T.self), \(U.self)>", partitions: partitions) {
            left, right, watermark, run, state, partitioner, earliest in
            let l = ShuffleKernels.hashPartition(
                left.narrow { (x: Timed<T>, _: BatchRun, sink: ((K, Timed<T>)) -> Void) in sink((key(x.record), x)) },
                run, partitioner: partitioner)
            let r = ShuffleKernels.hashPartition(
                right.narrow { (x: Timed<U>, _: BatchRun, sink: ((K, Timed<U>)) -> Void) in sink((otherKey(x.record), x)) },
                run, partitioner: partitioner)
            return Stage(partitions: Parallel.map(partitioner.partitions) { j in
                let (newLeft, newRight) = (ShuffleKernels.gather(l, j), ShuffleKernels.gather(r, j))
                var expiry = earliest[j]
                let out = state.withPartition(j) { buffers in
                    IntervalJoinKernels.apply(
                        newLeft, newRight, to: &buffers, lowerMs: lowerMs, upperMs: upperMs, watermark: watermark,
                        earliestExpiry: &expiry)
                }
                earliest[j] = expiry
                return out
            })
        }
    }

    /// `eventStateStream` over this stream and `other`: `step` gets, for each time, both sides' on-time
    /// records and their common watermark after the batch (the smaller of the two; nil while either side
    /// has none).
    @usableFromInline
    func joinStream<U: Sendable, K: Hashable & Sendable, Out: Sendable>(
        _ other: EventTimeStream<U>, kind: String, partitions: Int?,
        step: @escaping @Sendable (
            _ left: Stage<Timed<T>>, _ right: Stage<Timed<U>>, _ watermark: Int64?, _ run: BatchRun,
            _ state: KeyedState<Int, [K: JoinBuffer<T, U>]>, _ partitioner: HashPartitioner, _ earliest: EarliestEnds
        ) throws -> Stage<Out>
    ) throws -> DStream<Out> {
        guard other.context === context else {
            throw EventTimeError.streamsIncompatible(
                operation: "intervalJoin", reason: "the streams belong to different StreamingContexts: "
                    + "define both on the same context")
        }
        guard other.timed.slideMs == timed.slideMs else {
            throw EventTimeError.streamsIncompatible(
                operation: "intervalJoin", reason: "the streams have different slides (\(timed.slideMs) ms and "
                    + "\(other.timed.slideMs) ms): join streams of the batch interval")
        }
        let parents: [any GraphNode] = [timed, watermarks, other.timed, other.watermarks]
        return eventStateStream(
            "intervalJoin", kind: kind, context: context, parents: parents, partitions: partitions,
            openEntries: { $0.values.reduce(0) { $0 + $1.left.count + $1.right.count } }
        ) {
            [self] time, run, state, partitioner, earliest in
            let left = try timed.getOrCompute(time, run) ?? .empty
            let right = try other.timed.getOrCompute(time, run) ?? .empty
            let common: Int64?
            if let a = try watermark(at: time, run), let b = try other.watermark(at: time, run) {
                common = Swift.min(a, b)
            } else {
                common = nil
            }
            return try step(left, right, common, run, state, partitioner, earliest)
        }
    }
}

/// One key's buffered records of an interval join: those that may still meet a partner.
@usableFromInline
struct JoinBuffer<A: Sendable, B: Sendable>: Sendable {
    @usableFromInline var left: [Timed<A>]
    @usableFromInline var right: [Timed<B>]

    @inlinable
    init(left: [Timed<A>], right: [Timed<B>]) {
        self.left = left
        self.right = right
    }
}

extension JoinBuffer: Codable where A: Codable, B: Codable {}

/// The per-partition step of `intervalJoin`, `@inlinable` so it compiles for the caller's types.
@usableFromInline
enum IntervalJoinKernels {
    /// Joins one batch's records of one partition with each other and with the buffers, adds them to the
    /// buffers, then drops the buffered records the common watermark rules out; returns the pairs.
    /// `earliestExpiry` is a lower bound of the buffered records' expiry times; the buffers are scanned only
    /// when the watermark passes it.
    @inlinable
    static func apply<K: Hashable & Sendable, A: Sendable, B: Sendable>(
        _ newLeft: ShuffleKernels.HashedRows<K, Timed<A>>, _ newRight: ShuffleKernels.HashedRows<K, Timed<B>>,
        to buffers: inout [K: JoinBuffer<A, B>], lowerMs: Int64, upperMs: Int64, watermark: Int64?,
        earliestExpiry: inout Int64
    ) -> [(K, (A, B))] {
        var out: [(K, (A, B))] = []
        let lrows = newLeft.rows, rrows = newRight.rows
        let lchains = RowChains(keys: lrows, hashes: newLeft.hashes) { $0.0 }
        let rchains = RowChains(keys: rrows, hashes: newRight.hashes) { $0.0 }
        var rightDone = [Bool](repeating: false, count: rrows.count)
        var ls: [Timed<A>] = [], rs: [Timed<B>] = []
        func join(_ key: K) {
            let matches = { (a: Timed<A>, b: Timed<B>) in
                EventTimeMath.add(a.time, lowerMs) <= b.time && b.time <= EventTimeMath.add(a.time, upperMs)
            }
            for a in ls { for b in rs where matches(a, b) { out.append((key, (a.record, b.record))) } }
            if let i = buffers.index(forKey: key) {
                for a in ls { for b in buffers.values[i].right where matches(a, b) { out.append((key, (a.record, b.record))) } }
                for a in buffers.values[i].left { for b in rs where matches(a, b) { out.append((key, (a.record, b.record))) } }
                buffers.values[i].left.append(contentsOf: ls)
                buffers.values[i].right.append(contentsOf: rs)
            } else {
                buffers[key] = JoinBuffer(left: ls, right: rs)
            }
            for a in ls { earliestExpiry = Swift.min(earliestExpiry, EventTimeMath.add(a.time, upperMs)) }
            for b in rs { earliestExpiry = Swift.min(earliestExpiry, EventTimeMath.subtract(b.time, lowerMs)) }
        }
        for head in lchains.heads where head >= 0 {
            let key = lrows[head].0
            ls.removeAll(keepingCapacity: true)
            rs.removeAll(keepingCapacity: true)
            var at = head
            while at >= 0 { ls.append(lrows[at].1); at = lchains.next[at] }
            at = rrows.isEmpty ? -1 : rchains.first(key, hash: newLeft.hashes[head], in: rrows) { $0.0 }
            if at >= 0 { rightDone[at] = true }
            while at >= 0 { rs.append(rrows[at].1); at = rchains.next[at] }
            join(key)
        }
        for head in rchains.heads where head >= 0 && !rightDone[head] {
            ls.removeAll(keepingCapacity: true)
            rs.removeAll(keepingCapacity: true)
            var at = head
            while at >= 0 { rs.append(rrows[at].1); at = rchains.next[at] }
            join(rrows[head].0)
        }
        guard let watermark, watermark > earliestExpiry else { return out }
        // A left record at x can still meet a right record at y >= watermark only if x + upper >= watermark;
        // a right record at y, a left record at x >= watermark only if y - lower >= watermark.
        var next = Int64.max
        var emptied: [K] = []
        var i = buffers.startIndex
        while i != buffers.endIndex {
            buffers.values[i].left.removeAll { EventTimeMath.add($0.time, upperMs) < watermark }
            buffers.values[i].right.removeAll { EventTimeMath.subtract($0.time, lowerMs) < watermark }
            if buffers.values[i].left.isEmpty && buffers.values[i].right.isEmpty {
                emptied.append(buffers.keys[i])
            } else {
                for a in buffers.values[i].left { next = Swift.min(next, EventTimeMath.add(a.time, upperMs)) }
                for b in buffers.values[i].right { next = Swift.min(next, EventTimeMath.subtract(b.time, lowerMs)) }
            }
            buffers.formIndex(after: &i)
        }
        for key in emptied { buffers.removeValue(forKey: key) }
        earliestExpiry = next
        return out
    }
}
