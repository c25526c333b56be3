/// The grouping kernels (groupByKey, cogroup): every record moves to its key's partition with its key hashed
/// once (`KeyHash`, as reduceByKey's and join's), and each output partition chains a key's rows through an
/// index table (`RowChains`) that reuses those hashes: no second hash of the key, no dictionary of arrays
/// that would copy a key's values as they grow.
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

    /// Both sides' values of each key present on either side, per output partition (Spark's cogroup): each
    /// side's values in arrival order; keys in no particular order.
    /// - Complexity: O(records of both sides), in parallel over partitions.
    @inlinable
    static func cogroup<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ left: Stage<(K, V)>, _ right: Stage<(K, W)>, _ batch: BatchRun, partitioner: HashPartitioner
    ) -> [[(K, ([V], [W]))]] {
        let l = hashPartition(left, batch, partitioner: partitioner)
        let r = hashPartition(right, batch, partitioner: partitioner)
        return Parallel.map(partitioner.partitions) { j in
            let ls = gather(l, j), rs = gather(r, j)
            let lt = RowChains(keys: ls.rows, hashes: ls.hashes) { $0.0 }
            let rt = RowChains(keys: rs.rows, hashes: rs.hashes) { $0.0 }
            var matched = [Bool](repeating: false, count: rs.rows.count)
            var out: [(K, ([V], [W]))] = []
            for head in lt.heads where head >= 0 {
                let k = ls.rows[head].0
                let other = rt.first(k, hash: ls.hashes[head], in: rs.rows) { $0.0 }
                if other >= 0 { matched[other] = true }
                out.append((k, (chain(ls.rows, lt, from: head), other >= 0 ? chain(rs.rows, rt, from: other) : [])))
            }
            for head in rt.heads where head >= 0 && !matched[head] {
                out.append((rs.rows[head].0, ([], chain(rs.rows, rt, from: head))))
            }
            return out
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
