/// Assigns keys to partitions by hash, as Spark's HashPartitioner.
@usableFromInline
struct HashPartitioner: Sendable {
    @usableFromInline let partitions: Int

    @inlinable
    init(partitions: Int) { self.partitions = Swift.max(1, partitions) }

    @inlinable @inline(__always)
    func partition<K: Hashable>(_ key: K) -> Int {
        if partitions == 1 { return 0 }
        return partition(hashValue: KeyHash.of(key))
    }

    /// The partition of a key whose `KeyHash.of` is already known (kernels hash each record once and reuse
    /// the hash for their tables).
    @inlinable @inline(__always)
    func partition(hashValue: Int) -> Int {
        if partitions == 1 { return 0 }
        // Remix the hash so keys whose hashes share low bits still spread.
        var h = UInt64(bitPattern: Int64(hashValue))
        h = (h ^ (h >> 33)) &* 0xff51afd7ed558ccd
        h ^= h >> 33
        return Int(h % UInt64(partitions))
    }
}
