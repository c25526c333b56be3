/// The keyed (wide) computations shared by DStream and Batch operators. Each runs in two parallel phases:
/// every input partition combines its records per key (map-side combine) and splits the result by key hash;
/// then every output partition merges the pieces meant for it.
enum ShuffleKernels {
    /// Combines values per key into `partitioner.partitions` dictionaries.
    static func combine<K: Hashable & Sendable, V: Sendable, C: Sendable>(
        _ stage: Stage<(K, V)>, _ batch: BatchRun, partitioner: HashPartitioner,
        createCombiner: @Sendable (V) -> C,
        mergeValue: @Sendable (C, V) -> C,
        mergeCombiners: @Sendable (C, C) -> C
    ) -> [[K: C]] {
        let P = partitioner.partitions
        // Phase 1: one dictionary per input partition, then split by key hash (once per distinct key).
        let pieces: [[[K: C]]] = Parallel.map(stage.count) { p in
            var local: [K: C] = [:]
            stage.run(p, batch) { kv in
                if let i = local.index(forKey: kv.0) {
                    local.values[i] = mergeValue(local.values[i], kv.1)
                } else {
                    local[kv.0] = createCombiner(kv.1)
                }
            }
            if P == 1 { return [local] }
            var split = Array(repeating: [K: C](), count: P)
            for (k, c) in local { split[partitioner.partition(k)][k] = c }
            return split
        }
        // Phase 2: merge the pieces of each output partition.
        return Parallel.map(P) { j in
            var merged: [K: C] = [:]
            var largest = -1, largestCount = -1
            for (i, piece) in pieces.enumerated() where piece[j].count > largestCount {
                largest = i; largestCount = piece[j].count
            }
            if largest < 0 { return merged }
            merged = pieces[largest][j]
            for (i, piece) in pieces.enumerated() where i != largest {
                for (k, c) in piece[j] {
                    if let idx = merged.index(forKey: k) {
                        merged.values[idx] = mergeCombiners(merged.values[idx], c)
                    } else {
                        merged[k] = c
                    }
                }
            }
            return merged
        }
    }

    /// Moves every record to the partition of its key: `result[j]` holds partition `j`'s records.
    static func partition<K: Hashable & Sendable, V: Sendable>(
        _ stage: Stage<(K, V)>, _ batch: BatchRun, partitioner: HashPartitioner
    ) -> [[(K, V)]] {
        let P = partitioner.partitions
        let pieces: [[[(K, V)]]] = Parallel.map(stage.count) { p in
            var split = Array(repeating: [(K, V)](), count: P)
            stage.run(p, batch) { kv in split[partitioner.partition(kv.0)].append(kv) }
            return split
        }
        return Parallel.map(P) { j in
            var out: [(K, V)] = []
            out.reserveCapacity(pieces.reduce(0) { $0 + $1[j].count })
            for piece in pieces { out.append(contentsOf: piece[j]) }
            return out
        }
    }

    /// Groups both sides per key within each partition: Spark's cogroup.
    static func cogroup<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ left: Stage<(K, V)>, _ right: Stage<(K, W)>, _ batch: BatchRun, partitioner: HashPartitioner
    ) -> [[K: ([V], [W])]] {
        let l = partition(left, batch, partitioner: partitioner)
        let r = partition(right, batch, partitioner: partitioner)
        return Parallel.map(partitioner.partitions) { j in
            var groups: [K: ([V], [W])] = [:]
            for (k, v) in l[j] { groups[k, default: ([], [])].0.append(v) }
            for (k, w) in r[j] { groups[k, default: ([], [])].1.append(w) }
            return groups
        }
    }

    /// Which rows a join keeps when a key has no match on one side.
    struct JoinKind: Sendable {
        var keepUnmatchedLeft: Bool
        var keepUnmatchedRight: Bool
    }

    /// Hash join per partition: builds a table from the right side, streams the left side.
    static func join<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ left: Stage<(K, V)>, _ right: Stage<(K, W)>, _ batch: BatchRun,
        partitioner: HashPartitioner, kind: JoinKind
    ) -> [[(K, (V?, W?))]] {
        let l = partition(left, batch, partitioner: partitioner)
        let r = partition(right, batch, partitioner: partitioner)
        return Parallel.map(partitioner.partitions) { j in
            var table: [K: [W]] = [:]
            table.reserveCapacity(r[j].count)
            for (k, w) in r[j] { table[k, default: []].append(w) }
            var out: [(K, (V?, W?))] = []
            out.reserveCapacity(l[j].count)
            var matched: Set<K> = []
            for (k, v) in l[j] {
                if let ws = table[k] {
                    for w in ws { out.append((k, (v, w))) }
                    if kind.keepUnmatchedRight { matched.insert(k) }
                } else if kind.keepUnmatchedLeft {
                    out.append((k, (v, nil)))
                }
            }
            if kind.keepUnmatchedRight {
                for (k, ws) in table where !matched.contains(k) {
                    for w in ws { out.append((k, (nil, w))) }
                }
            }
            return out
        }
    }

    /// Spreads records evenly over `count` partitions (round robin per input partition).
    static func repartition<T: Sendable>(_ stage: Stage<T>, _ batch: BatchRun, count: Int) -> [[T]] {
        let n = Swift.max(1, count)
        let pieces: [[[T]]] = Parallel.map(stage.count) { p in
            var split = Array(repeating: [T](), count: n)
            var next = p % n
            stage.run(p, batch) { x in
                split[next].append(x)
                next = next + 1 == n ? 0 : next + 1
            }
            return split
        }
        return Parallel.map(n) { j in pieces.flatMap { $0[j] } }
    }
}
