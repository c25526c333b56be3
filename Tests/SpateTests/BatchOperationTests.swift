import Testing
@testable import Spate

/// `Batch`'s operations (what `transform` and `foreachBatch` hand to user code) against plain-Swift
/// references.
@Suite struct BatchOperationTests {
    let time = BatchTime(milliseconds: 1000)

    @Test func groupByKeyKeepsEachKeysValuesInArrivalOrderAcrossPartitions() {
        // The later partition holds more keys than the earlier one (one output partition, so both meet).
        let batch = Batch(time: time, partitions: [[("k", 1)], [("k", 2), ("x", 7), ("k", 3), ("y", 8), ("k", 4)]])
        let groups = Dictionary(uniqueKeysWithValues: batch.groupByKey(partitions: 1).collect())
        #expect(groups["k"] == [1, 2, 3, 4])
        #expect(groups["x"] == [7])
    }

    @Test func groupByKeyIsLinearInAKeysValues() {
        // Given 300,000 values under one key, when grouped, then every value is there, in order, in well
        // under the time a copy of the key's array per value would take (about 45 billion element copies).
        let n = 300_000
        let batch = Batch(time: time, elements: (0..<n).map { ("hot", $0) }, partitions: 2)
        let clock = ContinuousClock()
        let start = clock.now
        let groups = batch.groupByKey().collect()
        let elapsed = clock.now - start
        #expect(groups.count == 1)
        #expect(groups.first?.1 == Array(0..<n))
        #expect(elapsed < .seconds(5))
    }

    @Test func narrowOperationsKeepPartitionsAndOrder() {
        let data = Array(0..<1_000)
        let batch = Batch(time: time, elements: data, partitions: 3)
        let chained: Batch<Int> = batch.map { $0 * 3 }.filter { $0 % 2 == 0 }.flatMap { [$0, $0 + 1] }
        let tripled: [Int] = data.map { $0 * 3 }
        let reference: [Int] = tripled.filter { $0 % 2 == 0 }.flatMap { [$0, $0 + 1] }
        #expect(chained.partitions.count == 3)
        #expect(chained.collect() == reference)
        #expect(batch.mapPartitions { [$0.count] }.collect() == [334, 333, 333])
        #expect(batch.union(batch).count == 2 * data.count)
        #expect(batch.repartition(4).collect().sorted() == data)
    }

    @Test func keyedOperationsMatchReferences() {
        var rng = SeededRandom(seed: 5)
        let left = (0..<5_000).map { _ in (Int.random(in: 0..<300, using: &rng), Int.random(in: 0..<100, using: &rng)) }
        let right = (0..<2_000).map { _ in (Int.random(in: 0..<400, using: &rng), Int.random(in: 0..<100, using: &rng)) }
        let l = Batch(time: time, elements: left, partitions: 2)
        let r = Batch(time: time, elements: right, partitions: 3)
        let sums = Dictionary(uniqueKeysWithValues: l.reduceByKey(+).collect())
        #expect(sums == Dictionary(left, uniquingKeysWith: +))
        #expect(Dictionary(uniqueKeysWithValues: l.mapValues { $0 * 2 }.reduceByKey(+).collect())
            == sums.mapValues { $0 * 2 })
        let joined = l.join(r).collect().map { "\($0.0):\($0.1.0):\($0.1.1)" }.sorted()
        var byKey: [Int: [Int]] = [:]
        for (k, w) in right { byKey[k, default: []].append(w) }
        let reference = left.flatMap { kv in (byKey[kv.0] ?? []).map { "\(kv.0):\(kv.1):\($0)" } }.sorted()
        #expect(joined == reference)
    }
}
