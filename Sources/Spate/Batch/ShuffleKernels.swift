/// The keyed (wide) computations shared by DStream and Batch operators. Each runs in two parallel phases:
/// every input partition combines its records per key (map-side combine) and splits the result by key hash;
/// then every output partition merges the pieces meant for it.
///
/// The kernels are `@inlinable` so that the public operators calling them are compiled for the caller's key
/// and value types: unspecialized, every dictionary operation would go through generic value witnesses.
@usableFromInline
enum ShuffleKernels {
    /// Combines values per key into `partitioner.partitions` dictionaries.
    @inlinable
    static func combine<K: Hashable & Sendable, V: Sendable, C: Sendable>(
        _ stage: Stage<(K, V)>, _ batch: BatchRun, partitioner: HashPartitioner,
        createCombiner: @Sendable (V) -> C,
        mergeValue: @Sendable (C, V) -> C,
        mergeCombiners: @Sendable (C, C) -> C
    ) -> [[K: C]] {
        let P = partitioner.partitions
        // Phase 1: one dictionary per input partition, then split by key hash (once per distinct key). String
        // and Int keys are counted under `KernelKey` (hashed with `KeyHash`'s fast hashes instead of SipHash,
        // compared with the key's own `==`).
        let pieces: [[[K: C]]] = Parallel.map(stage.count) { p in
            if K.self == String.self || K.self == Int.self {
                return combineLocally(stage, p, batch, partitioner: partitioner,
                                      wrap: { KernelKey($0) }, unwrap: { $0.key },
                                      createCombiner: createCombiner, mergeValue: mergeValue)
            }
            return combineLocally(stage, p, batch, partitioner: partitioner, wrap: { $0 }, unwrap: { $0 },
                                  createCombiner: createCombiner, mergeValue: mergeValue)
        }
        // Phase 2: merge the pieces of each output partition into the largest one.
        return Parallel.map(P) { j in
            var largest = -1, largestCount = -1
            for (i, piece) in pieces.enumerated() where piece[j].count > largestCount {
                largest = i; largestCount = piece[j].count
            }
            if largest < 0 { return [:] }
            var merged = pieces[largest][j]
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

    /// Phase 1 of `combine` for input partition `p`: its records combined per key in a table keyed by
    /// `wrap(key)`, then split by the key's partition.
    @inlinable
    static func combineLocally<K: Hashable & Sendable, L: Hashable, V: Sendable, C: Sendable>(
        _ stage: Stage<(K, V)>, _ p: Int, _ batch: BatchRun, partitioner: HashPartitioner,
        wrap: (K) -> L, unwrap: (L) -> K,
        createCombiner: @Sendable (V) -> C, mergeValue: @Sendable (C, V) -> C
    ) -> [[K: C]] {
        let P = partitioner.partitions
        var local: [L: C] = [:]
        stage.forEach(p, batch) { kv in
            let key = wrap(kv.0)
            // One lookup for keys already seen (the common case); a second only to insert a new key.
            if let i = local.index(forKey: key) {
                local.values[i] = mergeValue(local.values[i], kv.1)
            } else {
                local[key] = createCombiner(kv.1)
            }
        }
        if P == 1, L.self == K.self { return [unsafeBitCast(local, to: [K: C].self)] }
        var split = Array(repeating: [K: C](), count: P)
        let expected = local.count / P + local.count / (4 * P) + 1
        for j in 0..<P { split[j].reserveCapacity(expected) }
        for (l, c) in local {
            let k = unwrap(l)
            split[partitioner.partition(k)][k] = c
        }
        return split
    }

    /// Records of one output partition, with each key's hash (`KeyHash.of`) beside it so later tables need not
    /// hash the key again.
    @usableFromInline
    struct HashedRows<K: Sendable, V: Sendable>: Sendable {
        @usableFromInline var rows: [(K, V)] = []
        @usableFromInline var hashes: [Int] = []
        @inlinable init() {}
    }

    /// Phase 1 of a shuffle: every input partition splits its records by key hash, hashing each key once.
    /// `result[i][j]` holds input partition `i`'s records for output partition `j`.
    @inlinable
    static func hashPartition<K: Hashable & Sendable, V: Sendable>(
        _ stage: Stage<(K, V)>, _ batch: BatchRun, partitioner: HashPartitioner
    ) -> [[HashedRows<K, V>]] {
        hashPartition(stage, batch, partitioner: partitioner, buckets: 1)
    }

    /// Phase 1 split further into `buckets` (a power of two) sub-buckets per output partition, by other
    /// bits of the hash: `result[i][j * buckets + b]` holds input partition `i`'s records for bucket `b` of
    /// output partition `j`. Kernels that build a table per bucket keep it small enough to stay in cache.
    @inlinable
    static func hashPartition<K: Hashable & Sendable, V: Sendable>(
        _ stage: Stage<(K, V)>, _ batch: BatchRun, partitioner: HashPartitioner, buckets: Int
    ) -> [[HashedRows<K, V>]] {
        let n = partitioner.partitions * buckets
        let mask = buckets - 1
        return Parallel.map(stage.count) { p in
            var split = Array(repeating: HashedRows<K, V>(), count: n)
            if let arrays = stage.arrays, arrays[p].count >= 64 * n {
                // Known size: reserve each piece's share (plus slack) instead of growing by doubling.
                let expected = arrays[p].count / n + arrays[p].count / (4 * n) + 16
                for i in 0..<n {
                    split[i].rows.reserveCapacity(expected)
                    split[i].hashes.reserveCapacity(expected)
                }
            }
            // Through the buffer: the appends then check only the pieces' own storage for uniqueness.
            split.withUnsafeMutableBufferPointer { pieces in
                stage.forEach(p, batch) { kv in
                    let h = KeyHash.of(kv.0)
                    let j = partitioner.partition(hashValue: h) * buckets + (mask == 0 ? 0 : bucket(h, mask))
                    pieces[j].rows.append(kv)
                    pieces[j].hashes.append(h)
                }
            }
            return split
        }
    }

    /// The sub-bucket of a hash: middle bits, independent of the partition (a remix modulo the count) and
    /// of `RowChains`' slot (the top bits of a multiply of all the bits).
    @inlinable @inline(__always)
    static func bucket(_ hash: Int, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(bitPattern: Int64(hash)) >> 20) & mask
    }

    /// How many sub-buckets a join uses per output partition: about 2,048 right rows per bucket when the
    /// sides' sizes are known (stages over arrays), so each bucket's table stays in the core's cache.
    @inlinable
    static func joinBuckets(_ counts: Int?, partitions: Int) -> Int {
        guard let counts else { return 8 }
        var buckets = 1
        while buckets < 256 && counts / (partitions * buckets) > 2048 { buckets <<= 1 }
        return buckets
    }

    /// Phase 2 helper: output partition `j`'s records from every input partition, in one array each.
    @inlinable
    static func gather<K: Sendable, V: Sendable>(_ pieces: [[HashedRows<K, V>]], _ j: Int) -> HashedRows<K, V> {
        if pieces.count == 1 { return pieces[0][j] }
        var all = HashedRows<K, V>()
        let n = pieces.reduce(0) { $0 + $1[j].rows.count }
        all.rows.reserveCapacity(n)
        all.hashes.reserveCapacity(n)
        for piece in pieces {
            all.rows.append(contentsOf: piece[j].rows)
            all.hashes.append(contentsOf: piece[j].hashes)
        }
        return all
    }

    /// Which rows a join keeps when a key has no match on one side.
    @usableFromInline
    struct JoinKind: Sendable {
        @usableFromInline var keepUnmatchedLeft: Bool
        @usableFromInline var keepUnmatchedRight: Bool

        @inlinable
        init(keepUnmatchedLeft: Bool, keepUnmatchedRight: Bool) {
            self.keepUnmatchedLeft = keepUnmatchedLeft
            self.keepUnmatchedRight = keepUnmatchedRight
        }
    }

    /// Hash join per partition: builds a table from the right side, streams the left side.
    @inlinable
    static func join<K: Hashable & Sendable, V: Sendable, W: Sendable>(
        _ left: Stage<(K, V)>, _ right: Stage<(K, W)>, _ batch: BatchRun,
        partitioner: HashPartitioner, kind: JoinKind
    ) -> [[(K, (V?, W?))]] {
        join(left, right, batch, partitioner: partitioner, kind: kind) { k, v, w in (k, (v, w)) }
    }

    /// Hash join per partition, building each output row with `row` (so an inner join makes its final
    /// rows directly). Every key is hashed once: the shuffle's hash is reused by the table, which chains
    /// each key's right rows through an index array instead of allocating an array per key.
    /// Within each output partition, rows come out by sub-bucket, in left order within a bucket; a key's
    /// right values in arrival order.
    @inlinable
    static func join<K: Hashable & Sendable, V: Sendable, W: Sendable, R: Sendable>(
        _ left: Stage<(K, V)>, _ right: Stage<(K, W)>, _ batch: BatchRun,
        partitioner: HashPartitioner, kind: JoinKind,
        row: @Sendable (K, V?, W?) -> R
    ) -> [[R]] {
        // Radix-style: both sides split into the same sub-buckets of each output partition, then one small
        // table per bucket (built from the right side, probed by the left) that stays in cache.
        let known = right.arrays.map { $0.reduce(0) { $0 + $1.count } }
        let B = joinBuckets(known, partitions: partitioner.partitions)
        let l = hashPartition(left, batch, partitioner: partitioner, buckets: B)
        let r = hashPartition(right, batch, partitioner: partitioner, buckets: B)
        return Parallel.map(partitioner.partitions) { j in
            var total = 0
            for b in 0..<B {
                for piece in l { total += piece[j * B + b].rows.count }
                if kind.keepUnmatchedRight { for piece in r { total += piece[j * B + b].rows.count } }
            }
            var out: [R] = []
            out.reserveCapacity(total)
            for b in 0..<B {
                let piece = j * B + b
                let rs = gather(r, piece)
                let table = RowChains(keys: rs.rows, hashes: rs.hashes) { $0.0 }
                var matched = kind.keepUnmatchedRight ? [Bool](repeating: false, count: rs.rows.count) : []
                for lp in l {
                    let ls = lp[piece]
                    for i in ls.rows.indices {
                        let (k, v) = ls.rows[i]
                        var at = rs.rows.isEmpty ? -1 : table.first(k, hash: ls.hashes[i], in: rs.rows) { $0.0 }
                        if at < 0 {
                            if kind.keepUnmatchedLeft { out.append(row(k, v, nil)) }
                            continue
                        }
                        if kind.keepUnmatchedRight { matched[at] = true }
                        while at >= 0 {
                            out.append(row(k, v, rs.rows[at].1))
                            at = table.next[at]
                        }
                    }
                }
                if kind.keepUnmatchedRight {
                    for head in table.heads where head >= 0 && !matched[head] {
                        var at = head
                        while at >= 0 {
                            out.append(row(rs.rows[at].0, nil, rs.rows[at].1))
                            at = table.next[at]
                        }
                    }
                }
            }
            return out
        }
    }

    /// Spreads records evenly over `count` partitions (round robin per input partition).
    @inlinable
    static func repartition<T: Sendable>(_ stage: Stage<T>, _ batch: BatchRun, count: Int) -> [[T]] {
        let n = Swift.max(1, count)
        let pieces: [[[T]]] = Parallel.map(stage.count) { p in
            var split = Array(repeating: [T](), count: n)
            var next = p % n
            stage.forEach(p, batch) { x in
                split[next].append(x)
                next = next + 1 == n ? 0 : next + 1
            }
            return split
        }
        return Parallel.map(n) { j in pieces.flatMap { $0[j] } }
    }
}

/// An open-addressing table over rows whose key hashes are known: one slot per distinct key holding its
/// first row, and `next` chaining every row to the following row of the same key (-1 ends a chain).
@usableFromInline
struct RowChains {
    /// The first row of the key in each slot, or -1 for an empty slot.
    @usableFromInline var heads: [Int]
    /// The next row with the same key, or -1.
    @usableFromInline var next: [Int]
    @usableFromInline let shift: Int
    /// The rows' key hashes, compared before keys.
    @usableFromInline let storedHashes: [Int]

    @inlinable
    init<Row, K: Hashable>(keys rows: [Row], hashes: [Int], key: (Row) -> K) {
        var capacity = 8, bits = 3
        while capacity < 2 * rows.count { capacity <<= 1; bits += 1 }
        shift = 64 - bits
        storedHashes = hashes
        heads = [Int](repeating: -1, count: capacity)
        next = [Int](repeating: -1, count: rows.count)
        let mask = capacity - 1
        // Insert back to front so each chain lists its rows in arrival order.
        var i = rows.count - 1
        while i >= 0 {
            let h = hashes[i]
            let k = key(rows[i])
            var s = RowChains.slot(h, shift)
            while true {
                let head = heads[s]
                if head < 0 { heads[s] = i; break }
                if hashes[head] == h && key(rows[head]) == k {
                    next[i] = head
                    heads[s] = i
                    break
                }
                s = (s + 1) & mask
            }
            i -= 1
        }
    }

    /// Fibonacci hashing of the (already well mixed) hash: the top bits pick the slot.
    @inlinable @inline(__always)
    static func slot(_ hash: Int, _ shift: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(hash)) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(shift))
    }

    /// The first row of `k` (whose hash is `hash`), or -1 when no row has that key.
    @inlinable
    func first<Row, K: Hashable>(_ k: K, hash: Int, in rows: [Row], key: (Row) -> K) -> Int {
        let mask = heads.count - 1
        var s = RowChains.slot(hash, shift)
        while true {
            let head = heads[s]
            if head < 0 { return -1 }
            if storedHashes[head] == hash && key(rows[head]) == k { return head }
            s = (s + 1) & mask
        }
    }
}
