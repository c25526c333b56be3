/// The hash the shuffle kernels, the hash partitioner and the join and state tables use for a key: its
/// `hashValue`, except for `Int` keys (a seeded multiply-mix, `int(_:seed:)`) and `String` keys, whose ASCII UTF-8 bytes are hashed with a seeded multiply-mix hash
/// (two 64-bit multiplies per 16 bytes) instead of Swift's SipHash over normalized scalars, several times
/// cheaper for the short keys that keyed aggregation counts. Strings that are not ASCII take Swift's own hash,
/// except those equal (under `==`, canonical equivalence) to an ASCII string, which hash like it; so equal
/// strings always hash alike and `==` stays String's own.
///
/// The seed is random per process (as `Hasher`'s), so keys cannot be chosen to collide.
@usableFromInline
enum KeyHash {
    /// The key's hash: `hashValue`, or the fast string hash for `String` keys.
    @inlinable @inline(__always)
    static func of<K: Hashable>(_ key: K) -> Int {
        if K.self == String.self { return string(unsafeBitCast(key, to: String.self), seed: 0) }
        if K.self == Int.self { return int(unsafeBitCast(key, to: Int.self), seed: 0) }
        return key.hashValue
    }

    /// The key's hash under a table's `seed`: `seeded(key, seed: 0) == of(key)`.
    @inlinable @inline(__always)
    static func seeded<K: Hashable>(_ key: K, seed: Int) -> Int {
        if K.self == String.self { return string(unsafeBitCast(key, to: String.self), seed: seed) }
        if K.self == Int.self { return int(unsafeBitCast(key, to: Int.self), seed: seed) }
        return key._rawHashValue(seed: seed)
    }

    /// The hash of the integer `v` under `seed`: two wyhash-style multiply-folds keyed with the process's
    /// random seed (a few cycles, against SipHash's dozens for `Int.hashValue`). The key enters the first
    /// factor and the secret both, so neither chosen keys nor a chosen table seed can collide keys without
    /// knowing `TextKey.processSeed`.
    @inlinable @inline(__always)
    static func int(_ v: Int, seed: Int) -> Int {
        let s = UInt64(bitPattern: Int64(seed)) ^ TextKey.processSeed
        let h = mum(UInt64(bitPattern: Int64(v)) ^ s ^ 0xA076_1D64_78BD_642F, s ^ 0xE703_7ED1_A0B4_28DB)
        return Int(truncatingIfNeeded: mum(h ^ 0x8EBC_6AF0_9C88_C6E3, s ^ 0x5899_65CC_7537_4CC3))
    }

    /// The hash of `s` under `seed` (a table's seed, 0 for `hashValue`).
    @inlinable
    static func string(_ s: String, seed: Int) -> Int {
        let fast = s.utf8.withContiguousStorageIfAvailable { p in ascii(p, seed: UInt64(bitPattern: Int64(seed))) }
        if let fast, let fast { return fast }
        return nonASCII(s, seed: seed)
    }

    /// Strings without contiguous UTF-8 (bridged) and strings with non-ASCII bytes.
    @usableFromInline
    static func nonASCII(_ s: String, seed: Int) -> Int {
        var native = s
        native.makeContiguousUTF8()
        if let fast = native.utf8.withContiguousStorageIfAvailable({ ascii($0, seed: UInt64(bitPattern: Int64(seed))) }),
           let fast {
            return fast
        }
        // The only non-ASCII scalars whose canonical form is ASCII (KELVIN SIGN, GREEK QUESTION MARK, GREEK
        // VARIA): a string of ASCII and them equals the ASCII string they map to, so it must hash like it.
        var mapped: [UInt8] = []
        for scalar in s.unicodeScalars {
            switch scalar.value {
            case 0..<0x80: mapped.append(UInt8(scalar.value))
            case 0x212A: mapped.append(UInt8(ascii: "K"))
            case 0x037E: mapped.append(UInt8(ascii: ";"))
            case 0x1FEF: mapped.append(UInt8(ascii: "`"))
            default: return s._rawHashValue(seed: seed)
            }
        }
        return mapped.withUnsafeBufferPointer { ascii($0, seed: UInt64(bitPattern: Int64(seed))) } ?? 0
    }

    /// The seeded hash of ASCII `bytes`, or nil when a byte is not ASCII.
    @inlinable
    static func ascii(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> Int? {
        let n = bytes.count
        let s = seed ^ TextKey.processSeed
        var h = s ^ 0xA076_1D64_78BD_642F ^ (UInt64(n) &* 0x9E37_79B9_7F4A_7C15)
        var high: UInt64 = 0
        var i = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 16 <= n {
                let a = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let b = raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
                high |= a | b
                h = mum(a ^ h, b ^ s ^ 0xE703_7ED1_A0B4_28DB)
                i += 16
            }
        }
        let (a, b) = TextKey.load(UnsafeBufferPointer(rebasing: bytes[i..<n]))
        high |= a | b
        if high & 0x8080_8080_8080_8080 != 0 { return nil }
        h = mum(a ^ h ^ 0x8EBC_6AF0_9C88_C6E3, b ^ (s &* 0x9E37_79B9_7F4A_7C15) ^ 0x5899_65CC_7537_4CC3)
        return Int(truncatingIfNeeded: mum(h ^ s, 0x1D8E_4E27_C47D_124F))
    }

    /// wyhash's `mum`: the two halves of the full 128-bit product, folded.
    @inlinable @inline(__always)
    static func mum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }
}

/// A key of the combine kernel's own tables, hashed with `KeyHash` under the table's seed (`String` and `Int`
/// keys take its fast hashes instead of SipHash) and compared with the key's own `==` (so String keys keep
/// String's canonical equivalence).
@usableFromInline
struct KernelKey<Key: Hashable & Sendable>: Hashable, Sendable {
    @usableFromInline let key: Key

    @inlinable init(_ key: Key) { self.key = key }

    @inlinable static func == (lhs: KernelKey, rhs: KernelKey) -> Bool { lhs.key == rhs.key }

    @inlinable func hash(into hasher: inout Hasher) { hasher.combine(KeyHash.of(key)) }

    @inlinable func _rawHashValue(seed: Int) -> Int { KeyHash.seeded(key, seed: seed) }
}
