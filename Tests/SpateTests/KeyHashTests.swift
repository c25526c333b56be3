import SpateTesting
import Testing
@testable import Spate

/// String keys in the kernels hash with `KeyHash` (fast for ASCII) and still follow String's `==`: strings
/// that are equal (canonically equivalent) land in one partition, one table slot and one result row.
@Suite struct KeyHashTests {
    @Test func equalStringsHashAlike() {
        let pairs: [(String, String)] = [
            ("K", "\u{212A}"), (";", "\u{037E}"), ("`", "\u{1FEF}"), ("OK;", "O\u{212A}\u{037E}"),
            ("caf\u{E9}", "cafe\u{301}"), ("\u{1E30}", "\u{212A}\u{301}"), ("", ""),
            (String(repeating: "long-ascii-key-", count: 5), String(repeating: "long-ascii-key-", count: 5)),
        ]
        for (a, b) in pairs {
            #expect(a == b)
            #expect(KeyHash.of(a) == KeyHash.of(b), "\(a.unicodeScalars.map(\.value)) vs \(b.unicodeScalars.map(\.value))")
            #expect(KernelKey(a)._rawHashValue(seed: 42) == KernelKey(b)._rawHashValue(seed: 42))
        }
        #expect(KeyHash.of("view") != KeyHash.of("click"))
        #expect(KeyHash.of("w1") != KeyHash.of("w1 "))
    }

    @Test func windowedKeysHashLikeTheirEqualsAndSpreadOverWindows() {
        // Equal (canonically equivalent) keys in one window are one Windowed key: same hash, one table entry.
        let w = EventWindow(start: 10_000, end: 20_000)
        let a = Windowed(key: "caf\u{E9}", window: w), b = Windowed(key: "cafe\u{301}", window: w)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a._rawHashValue(seed: 7) == b._rawHashValue(seed: 7))
        #expect(Set([a, b]).count == 1)
        // Keys and windows that differ give different hashes (a table of them does not degrade).
        var hashes = Set<Int>()
        for k in 0..<100 {
            for start in stride(from: Int64(0), to: 100_000, by: 10_000) {
                hashes.insert(Windowed(key: k, window: EventWindow(start: start, end: start + 10_000)).hashValue)
            }
        }
        #expect(hashes.count == 1_000)
        #expect(Windowed(key: 1, window: w)._rawHashValue(seed: 1) != Windowed(key: 1, window: w)._rawHashValue(seed: 2))
    }

    @Test func everyScalarEqualToAnASCIICharacterHashesLikeIt() {
        // Checks the list of non-ASCII scalars whose canonical form is ASCII against the standard library.
        let ascii = Dictionary(uniqueKeysWithValues: (0..<128).map { (String(UnicodeScalar(UInt8($0))), $0) })
        var found: [UInt32] = []
        for v in UInt32(0x80)...0x10FFFF {
            guard let scalar = Unicode.Scalar(v) else { continue }
            let s = String(scalar)
            guard let c = ascii[s] else { continue }
            found.append(v)
            #expect(KeyHash.of(s) == KeyHash.of(String(UnicodeScalar(UInt8(c)))), "U+\(String(v, radix: 16))")
        }
        #expect(found.sorted() == [0x037E, 0x1FEF, 0x212A])
    }

    @Test func stringKeyedOperatorsMergeEqualStrings() async throws {
        // "K" and KELVIN SIGN are one String key: one count, one state, one join row, on any partition count.
        for parallelism in [1, 2, 3] {
            let driver = StreamingTestDriver(parallelism: parallelism) { t in
                let pairs = try t.input("pairs", of: (String, Int).self)
                try t.output("reduced", pairs.reduceByKey(+))
                try t.output("state", pairs.updateStateByKey { (values: [Int], old: Int?) in (old ?? 0) + values.reduce(0, +) })
                try t.output("joined", pairs.join(pairs.reduceByKey(+)))
            }
            try await driver.start()
            let words = ["K", "\u{212A}", "caf\u{E9}", "cafe\u{301}", "plain"] + (0..<200).map { "w\($0)" }
            try driver.input("pairs", of: (String, Int).self).push(words.map { ($0, 1) })
            try await driver.advance(batches: 1)
            let reduced = try driver.output("reduced", of: (String, Int).self).batches[0].records
            #expect(reduced.count == 203)
            #expect(Dictionary(reduced, uniquingKeysWith: +)["K"] == 2)
            #expect(Dictionary(reduced, uniquingKeysWith: +)["caf\u{E9}"] == 2)
            let state = try driver.output("state", of: (String, Int).self).batches[0].records
            #expect(state.count == 203)
            let joined = try driver.output("joined", of: (String, (Int, Int)).self).batches[0].records
            #expect(joined.count == 205)
            #expect(joined.filter { $0.0 == "K" }.allSatisfy { $0.1.1 == 2 })
            await driver.stop()
        }
    }
}

/// Int keys in the combine kernel hash with `KeyHash.int` (a seeded multiply-mix) instead of SipHash: the
/// hash follows the table's seed (Dictionary seeds each table, so entries copied from one table into another
/// do not cluster) and the partitioner's hash is the same function, so results match a reference for any key.
@Suite struct IntKeyHashTests {
    @Test func intHashFollowsTheSeedAndSpreads() {
        let keys = [Int.min, -1, 0, 1, 2, 1 << 32, Int.max] + (0..<10_000).map { $0 * 4096 }
        #expect(Set(keys.map { KeyHash.int($0, seed: 0) }).count == Set(keys).count)
        #expect(keys.filter { KeyHash.int($0, seed: 1) == KeyHash.int($0, seed: 2) }.isEmpty)
        #expect(keys.allSatisfy { KernelKey($0)._rawHashValue(seed: 7) == KeyHash.int($0, seed: 7) })
        #expect(keys.allSatisfy { KeyHash.of($0) == KeyHash.int($0, seed: 0) })
        // Keys that differ only in high bits (multiples of 4,096 above) still fill every partition evenly.
        let partitioner = HashPartitioner(partitions: 4)
        var perPartition = [Int](repeating: 0, count: 4)
        for k in keys { perPartition[partitioner.partition(k)] += 1 }
        #expect(perPartition.allSatisfy { $0 > keys.count / 5 })
    }

    @Test func intKeyedReductionsMatchAReference() async throws {
        let keys = [Int.min, -1, 0, 1, Int.max] + (0..<3_000).map { ($0 % 1_000) << 20 }
        var reference: [Int: Int] = [:]
        for (i, k) in keys.enumerated() { reference[k, default: 0] += i }
        for parallelism in [1, 2, 3] {
            let driver = StreamingTestDriver(parallelism: parallelism) { t in
                let pairs = try t.input("pairs", of: (Int, Int).self)
                try t.output("reduced", pairs.reduceByKey(+))
                try t.output("window", pairs.reduceByKeyAndWindow(+, inverse: -, length: .seconds(2)))
            }
            try await driver.start()
            try driver.input("pairs", of: (Int, Int).self).push(keys.enumerated().map { ($1, $0) })
            try await driver.advance(batches: 1)
            let reduced = try driver.output("reduced", of: (Int, Int).self).batches[0].records
            #expect(reduced.count == reference.count)
            #expect(Dictionary(uniqueKeysWithValues: reduced) == reference)
            let window = try driver.output("window", of: (Int, Int).self).batches[0].records
            #expect(Dictionary(uniqueKeysWithValues: window) == reference)
            let batch = Batch(time: BatchTime(milliseconds: 0), elements: keys.enumerated().map { ($1, $0) }, partitions: parallelism)
            #expect(Dictionary(uniqueKeysWithValues: batch.reduceByKey(+).collect()) == reference)
            await driver.stop()
        }
    }
}
