import SpateTesting
import Testing
@testable import Spate

/// Property-style tests: random keyed batches from a seeded generator; every pair operator against a
/// plain-Swift reference, for several partition counts.
@Suite struct PairOperationTests {
    typealias Pairs = [[(String, Int)]]

    static func randomBatches(seed: UInt64, batches: Int = 6, maxRecords: Int = 40, keys: Int = 8) -> Pairs {
        var rng = SeededGenerator(seed: seed)
        return (0..<batches).map { _ in
            (0..<Int.random(in: 0...maxRecords, using: &rng)).map { _ in
                ("k\(Int.random(in: 0..<keys, using: &rng))", Int.random(in: -50...50, using: &rng))
            }
        }
    }

    /// Runs a two-input pipeline over `left` and `right` with the test driver and returns each batch's output.
    func run<U: Sendable>(
        _ left: Pairs, _ right: Pairs, parallelism: Int,
        _ build: @escaping @Sendable (DStream<(String, Int)>, DStream<(String, Int)>) -> DStream<U>
    ) async throws -> [[U]] {
        let driver = StreamingTestDriver(parallelism: parallelism) { t in
            try t.output("out", build(try t.input("left"), try t.input("right")))
        }
        try await driver.start()
        try driver.input("left", of: (String, Int).self).push(batches: left)
        try driver.input("right", of: (String, Int).self).push(batches: right)
        try await driver.advance(batches: max(left.count, right.count))
        await driver.stop()
        return try driver.output("out", of: U.self).batches.map(\.records)
    }

    static let cases: [(UInt64, Int)] = [(1, 1), (2, 2), (3, 3), (4, 5), (5, 2), (6, 4)]

    @Test(arguments: cases)
    func reduceCombineGroupByKey(seed: UInt64, parallelism: Int) async throws {
        let data = Self.randomBatches(seed: seed)
        let reduced = try await run(data, [], parallelism: parallelism) { l, _ in l.reduceByKey(+) }
        let combined = try await run(data, [], parallelism: parallelism) { l, _ in
            l.combineByKey(createCombiner: { ($0, 1) }, mergeValue: { ($0.0 + $1, $0.1 + 1) },
                           mergeCombiners: { ($0.0 + $1.0, $0.1 + $1.1) }, partitions: 3)
        }
        let grouped = try await run(data, [], parallelism: parallelism) { l, _ in l.groupByKey() }
        for (i, batch) in data.enumerated() {
            let sums = Dictionary(batch, uniquingKeysWith: +)
            #expect(dictionary(reduced[i]) == sums && reduced[i].count == sums.count)
            let pairs = Dictionary(batch.map { ($0.0, ($0.1, 1)) }, uniquingKeysWith: { ($0.0 + $1.0, $0.1 + $1.1) })
            #expect(combined[i].count == pairs.count)
            for (k, c) in combined[i] { #expect(pairs[k]! == c) }
            let groups = Dictionary(grouping: batch, by: \.0).mapValues { $0.map(\.1).sorted() }
            #expect(grouped[i].count == groups.count)
            for (k, vs) in grouped[i] { #expect(vs.sorted() == groups[k]!) }
        }
    }

    /// Reference join rows, sorted, rendered as strings for comparison.
    static func reference(_ l: [(String, Int)], _ r: [(String, Int)], left: Bool, right: Bool) -> [String] {
        var rows: [String] = []
        let rGroups = Dictionary(grouping: r, by: \.0)
        let lKeys = Set(l.map(\.0))
        for (k, v) in l {
            if let ws = rGroups[k] { for (_, w) in ws { rows.append("\(k) \(v) \(w)") } }
            else if left { rows.append("\(k) \(v) nil") }
        }
        if right { for (k, w) in r where !lKeys.contains(k) { rows.append("\(k) nil \(w)") } }
        return rows.sorted()
    }

    static func show(_ x: Int?) -> String { x.map(String.init) ?? "nil" }

    @Test(arguments: cases)
    func joinsAndCogroup(seed: UInt64, parallelism: Int) async throws {
        let left = Self.randomBatches(seed: seed, keys: 10)
        let right = Self.randomBatches(seed: seed &+ 100, keys: 10)
        let inner = try await run(left, right, parallelism: parallelism) { $0.join($1) }
        let lo = try await run(left, right, parallelism: parallelism) { $0.leftOuterJoin($1) }
        let ro = try await run(left, right, parallelism: parallelism) { $0.rightOuterJoin($1) }
        let fo = try await run(left, right, parallelism: parallelism) { $0.fullOuterJoin($1, partitions: 4) }
        let co = try await run(left, right, parallelism: parallelism) { $0.cogroup($1) }
        for i in 0..<left.count {
            let (l, r) = (left[i], right[i])
            #expect(inner[i].map { "\($0.0) \($0.1.0) \($0.1.1)" }.sorted() == Self.reference(l, r, left: false, right: false))
            #expect(lo[i].map { "\($0.0) \($0.1.0) \(Self.show($0.1.1))" }.sorted() == Self.reference(l, r, left: true, right: false))
            #expect(ro[i].map { "\($0.0) \(Self.show($0.1.0)) \($0.1.1)" }.sorted() == Self.reference(l, r, left: false, right: true))
            #expect(fo[i].map { "\($0.0) \(Self.show($0.1.0)) \(Self.show($0.1.1))" }.sorted() == Self.reference(l, r, left: true, right: true))
            let keys = Set(l.map(\.0)).union(r.map(\.0))
            #expect(Set(co[i].map(\.0)) == keys && co[i].count == keys.count)
            for (k, (vs, ws)) in co[i] {
                #expect(vs.sorted() == l.filter { $0.0 == k }.map(\.1).sorted())
                #expect(ws.sorted() == r.filter { $0.0 == k }.map(\.1).sorted())
            }
        }
    }

    @Test func mapValuesAndFlatMapValues() async throws {
        let data = Self.randomBatches(seed: 9)
        let mv = try await run(data, [], parallelism: 2) { l, _ in l.mapValues { $0 * 2 } }
        let fmv = try await run(data, [], parallelism: 2) { l, _ in l.flatMapValues { [$0, $0 + 1] } }
        for i in 0..<data.count {
            #expect(mv[i].map { "\($0.0)=\($0.1)" } == data[i].map { "\($0.0)=\($0.1 * 2)" })
            #expect(fmv[i].map { "\($0.0)=\($0.1)" } == data[i].flatMap { ["\($0.0)=\($0.1)", "\($0.0)=\($0.1 + 1)"] })
        }
    }

    @Test func batchOperationsMatchStreamOperations() {
        let data = Self.randomBatches(seed: 11, batches: 1, maxRecords: 200)[0]
        let batch = Batch(time: BatchTime(milliseconds: 1000), elements: data, partitions: 3)
        #expect(batch.count == data.count)
        #expect(dictionary(batch.reduceByKey(+).collect()) == Dictionary(data, uniquingKeysWith: +))
        #expect(batch.map(\.1).reduce(+) == data.map(\.1).reduce(0, +))
        #expect(batch.filter { $0.1 > 0 }.count == data.filter { $0.1 > 0 }.count)
        let other = Batch(time: batch.time, elements: [("k1", "x")], partitions: 2)
        #expect(batch.join(other).count == data.filter { $0.0 == "k1" }.count)
    }
}
