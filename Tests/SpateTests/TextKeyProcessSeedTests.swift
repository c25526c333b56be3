import Testing
@testable import Spate

/// TextKey's `hashValue` (seed 0) is keyed per process too: keys chosen to collide under a fixed seed do not
/// collide, so the hash partitioner and the linear-probing tables of join and updateStateByKey stay O(1) per key
/// (issue 11).
@Suite struct TextKeyProcessSeedTests {
    /// A 15-byte key whose first 8 bytes are `w0` and next 7 bytes the low 7 bytes of `tail` (little endian).
    static func key(w0: UInt64, tail: UInt64) -> TextKey {
        var bytes: [UInt8] = []
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: w0 >> UInt64(8 * i))) }
        for i in 0..<7 { bytes.append(UInt8(truncatingIfNeeded: tail >> UInt64(8 * i))) }
        return bytes.withUnsafeBufferPointer { TextKey(bytes: $0) }
    }

    /// Probe steps of inserting keys with these hashes into a linear-probing table laid out as `RowChains`'
    /// (capacity the power of two >= 2n, slot from the hash's top bits).
    static func probeSteps(_ hashes: [Int]) -> Int {
        var capacity = 8, bits = 3
        while capacity < 2 * hashes.count { capacity <<= 1; bits += 1 }
        var used = [Bool](repeating: false, count: capacity)
        var steps = 0
        for h in hashes {
            var s = RowChains.slot(h, 64 - bits)
            while used[s] { s = (s + 1) & (capacity - 1); steps += 1 }
            used[s] = true
        }
        return steps
    }

    @Test func keysThatZeroTheUnseededFirstFactorDoNotCollide() {
        // With seed 0 (what `hashValue` passes), a first word equal to the mix constant zeroed the first
        // multiply: these 20,000 keys all had one hash, and a table of them cost ~200M probe steps.
        let keys = (0..<20_000).map { Self.key(w0: 0xA076_1D64_78BD_642F, tail: UInt64($0) &* 0x1_0001) }
        #expect(Set(keys).count == keys.count)
        let hashes = keys.map(\.hashValue)
        #expect(Set(hashes).count > keys.count - 10)
        #expect(Self.probeSteps(hashes) < 8 * keys.count)
        // They spread over the hash partitioner's partitions too.
        let partitioner = HashPartitioner(partitions: 4)
        let perPartition = Dictionary(grouping: keys, by: { partitioner.partition($0) }).mapValues(\.count)
        #expect(perPartition.count == 4)
        #expect(perPartition.values.allSatisfy { $0 > keys.count / 8 })
    }

    @Test func keysHashedInsideAnotherValueDoNotCollide() {
        // Keys hashed through `Hasher` (a TextKey inside a struct or tuple key): folding both words into one
        // before `combine` let keys with equal folds collide under every seed.
        struct Pair: Hashable { var key: TextKey; var n: Int }
        let fold: UInt64 = 0x1234_5678_9ABC_DEF0
        let keys = (0..<2_000).map { i -> TextKey in
            let tail = UInt64(i) &* 0x0100_0193 & 0x00FF_FFFF_FFFF_FFFF
            let w1 = tail | 15 << 56
            return Self.key(w0: fold ^ (w1 &* 0x9E37_79B9_7F4A_7C15), tail: tail)
        }
        #expect(Set(keys).count == keys.count)
        let hashes = Set(keys.map { Pair(key: $0, n: 1).hashValue })
        #expect(hashes.count > keys.count - 10)
    }

    @Test func seedIsFixedPerProcessAndKeysStillCompareByBytes() {
        #expect(TextKey("campaign-7").hashValue == TextKey(Utf8Text("x campaign-7").words.map { $0 }[1]).hashValue)
        #expect(TextKey("a").hashValue == TextKey("a").hashValue)
        #expect(TextKey("a") != TextKey("b"))
        #expect(TextKey.processSeed == TextKey.processSeed)
    }
}
