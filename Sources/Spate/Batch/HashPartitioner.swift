/// Assigns keys to partitions by hash, as Spark's HashPartitioner.
struct HashPartitioner: Sendable {
    let partitions: Int

    init(partitions: Int) { self.partitions = Swift.max(1, partitions) }

    @inline(__always)
    func partition<K: Hashable>(_ key: K) -> Int {
        if partitions == 1 { return 0 }
        // Remix the hash so keys whose hashes share low bits still spread.
        var h = UInt64(bitPattern: Int64(key.hashValue))
        h = (h ^ (h >> 33)) &* 0xff51afd7ed558ccd
        h ^= h >> 33
        return Int(h % UInt64(partitions))
    }
}
