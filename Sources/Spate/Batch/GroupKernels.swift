/// The grouping kernels (groupByKey, cogroup): every record moves to its key's partition with its key hashed
/// once (`KeyHash`, as reduceByKey's and join's); groupByKey then chains a key's rows through an index table
/// (`RowChains`) that reuses those hashes: no second hash of the key, no dictionary of arrays that would
/// copy a key's values as they grow.
extension ShuffleKernels {
    /// The values of each key, per output partition: `(key, values)` with the values in arrival order
    /// (input partition after input partition); keys in no particular order.
    /// - Complexity: O(records), in parallel over the input and then the output partitions.
    @inlinable
    static func groupByKey<K: Hashable & Sendable, V: Sendable>(
        _ stage: Stage<(K, V)>, _ batch: BatchRun, partitioner: HashPartitioner
    ) -> [[(K, [V])]] {
        let pieces = hashPartition(stage, batch, partitioner: partitioner)
        return Parallel.map(partitioner.partitions) { j in
            let rows = gather(pieces, j)
            let table = RowChains(keys: rows.rows, hashes: rows.hashes) { $0.0 }
            var out: [(K, [V])] = []
            for head in table.heads where head >= 0 {
                out.append((rows.rows[head].0, chain(rows.rows, table, from: head)))
            }
            return out
        }
    }

    /// Groups both sides per key within each partition: Spark's cogroup. (A dictionary per output partition:
    /// sized by distinct keys, it stays in cache where row chains over every row would not.)
    @inlinable
    static func cogroup<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ left: Stage<(K, V)>, _ right: Stage<(K, W)>, _ batch: BatchRun, partitioner: HashPartitioner
    ) -> [[K: ([V], [W])]] {
        let l = hashPartition(left, batch, partitioner: partitioner)
        let r = hashPartition(right, batch, partitioner: partitioner)
        return Parallel.map(partitioner.partitions) { j in
            var groups: [K: ([V], [W])] = [:]
            for piece in l { for (k, v) in piece[j].rows { groups[k, default: ([], [])].0.append(v) } }
            for piece in r { for (k, w) in piece[j].rows { groups[k, default: ([], [])].1.append(w) } }
            return groups
        }
    }

    /// The values of the rows chained from `head` in `table`, in chain (arrival) order.
    @inlinable
    static func chain<K, V>(_ rows: [(K, V)], _ table: RowChains, from head: Int) -> [V] {
        var values: [V] = []
        var at = head
        while at >= 0 {
            values.append(rows[at].1)
            at = table.next[at]
        }
        return values
    }
}
