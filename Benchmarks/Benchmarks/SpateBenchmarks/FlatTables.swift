import Foundation

/// The hand loops' tables: open addressing in flat memory, linear probing, Fibonacci hashing, sized once
/// (load at most 1/2), no per-key allocation. What a program written for speed uses instead of `Dictionary`.
///
/// `@unchecked Sendable` is safe: a table is filled by one thread at a time; the hand loops hand it to
/// another thread only through `onBothCores`, whose return orders the writes before any read.
final class IntTable<Value>: @unchecked Sendable {
    /// Keys (`empty` marks a free slot); keys are non-negative.
    let keys: UnsafeMutablePointer<Int>
    let values: UnsafeMutablePointer<Value>
    let capacity: Int
    let shift: UInt64
    private(set) var count = 0
    static var empty: Int { -1 }

    /// A table for at most `maxKeys` keys, every value starting at `zero`.
    init(maxKeys: Int, zero: Value) {
        var capacity = 16, bits: UInt64 = 4
        while capacity < 2 * maxKeys { capacity <<= 1; bits += 1 }
        self.capacity = capacity
        shift = 64 - bits
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: Self.empty, count: capacity)
        values = .allocate(capacity: capacity)
        values.initialize(repeating: zero, count: capacity)
    }

    deinit {
        keys.deallocate()
        values.deinitialize(count: capacity)
        values.deallocate()
    }

    /// The slot of `key`, inserted (with the value it was initialized with) if absent.
    @inline(__always)
    func slot(_ key: Int) -> Int {
        var s = Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(key)) &* 0x9E37_79B9_7F4A_7C15) >> shift)
        let mask = capacity - 1
        while true {
            let k = keys[s]
            if k == key { return s }
            if k == Self.empty {
                keys[s] = key
                count += 1
                precondition(2 * count <= capacity, "IntTable sized for fewer keys")
                return s
            }
            s = (s + 1) & mask
        }
    }

    /// The slot of `key`, or nil.
    @inline(__always)
    func find(_ key: Int) -> Int? {
        var s = Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(key)) &* 0x9E37_79B9_7F4A_7C15) >> shift)
        let mask = capacity - 1
        while true {
            let k = keys[s]
            if k == key { return s }
            if k == Self.empty { return nil }
            s = (s + 1) & mask
        }
    }

    /// Calls `body` with every occupied slot.
    @inline(__always)
    func forEachSlot(_ body: (Int) -> Void) {
        for s in 0..<capacity where keys[s] != Self.empty { body(s) }
    }
}

/// Counts of byte strings that live in one buffer: each slot holds the string's hash, its offset and length
/// in the buffer, and its count; equal hashes are confirmed with `memcmp`.
/// `@unchecked Sendable`: as `IntTable`.
final class ByteCounts: @unchecked Sendable {
    let hashes: UnsafeMutablePointer<UInt64>
    let starts: UnsafeMutablePointer<Int32>
    let lengths: UnsafeMutablePointer<Int32>
    let counts: UnsafeMutablePointer<Int>
    let capacity: Int
    let shift: UInt64
    private(set) var distinct = 0

    init(maxKeys: Int) {
        var capacity = 16, bits: UInt64 = 4
        while capacity < 2 * maxKeys { capacity <<= 1; bits += 1 }
        self.capacity = capacity
        shift = 64 - bits
        hashes = .allocate(capacity: capacity)
        hashes.initialize(repeating: 0, count: capacity)
        starts = .allocate(capacity: capacity)
        lengths = .allocate(capacity: capacity)
        counts = .allocate(capacity: capacity)
        counts.initialize(repeating: 0, count: capacity)
    }

    deinit {
        hashes.deallocate(); starts.deallocate(); lengths.deallocate(); counts.deallocate()
    }

    /// A multiply-mix hash of `n` bytes at `p`, eight bytes a step; never 0 (0 marks a free slot).
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h = UInt64(n) &* 0x9E37_79B9_7F4A_7C15
        var i = 0
        while i + 8 <= n {
            h = (h ^ UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        var tail: UInt64 = 0, s: UInt64 = 0
        while i < n { tail |= UInt64(p[i]) << s; s += 8; i += 1 }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 29
        return h | 1
    }

    /// Adds `count` to the string `base[start..<start + length]` whose hash is `h`.
    @inline(__always)
    func add(_ base: UnsafePointer<UInt8>, start: Int, length: Int, hash h: UInt64, count: Int) {
        var s = Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> shift)
        let mask = capacity - 1
        while true {
            let sh = hashes[s]
            if sh == 0 {
                hashes[s] = h
                starts[s] = Int32(start)
                lengths[s] = Int32(length)
                counts[s] = count
                distinct += 1
                precondition(2 * distinct <= capacity, "ByteCounts sized for fewer keys")
                return
            }
            if sh == h && Int(lengths[s]) == length && memcmp(base + Int(starts[s]), base + start, length) == 0 {
                counts[s] += count
                return
            }
            s = (s + 1) & mask
        }
    }

    /// Adds every count of `other` (over the same buffer) into this table.
    func merge(_ other: ByteCounts, _ base: UnsafePointer<UInt8>) {
        for s in 0..<other.capacity where other.hashes[s] != 0 {
            add(base, start: Int(other.starts[s]), length: Int(other.lengths[s]), hash: other.hashes[s],
                count: other.counts[s])
        }
    }
}
