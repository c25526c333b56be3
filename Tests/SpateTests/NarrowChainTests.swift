import Testing
@testable import Spate

/// Fused narrow chains hand records between operators in chunks (`ChunkWriter`): given batches many chunks
/// long, when chains of map, filter, flatMap, mapValues run (over arrays, after a union or a window, into a
/// keyed kernel, with records thrown on), then every batch equals a plain-Swift computation, in order, and
/// every record thrown on is counted once.
@Suite struct NarrowChainTests {
    /// Three batches of 0 to 20,000 records: far more than one chunk (2,048 `Int`s), and one empty batch.
    static let input: [[Int]] = [Array(0..<20_000), [], Array(5..<13_337)]

    struct Rejected: Error {}

    static func step(_ x: Int) throws -> Int {
        if x % 97 == 0 { throw Rejected() }
        return x &* 3
    }

    /// The chain of `longChainsEqualTheReferenceAndCountFailures` in plain Swift.
    static func reference(_ batch: [Int]) -> [Int] {
        let kept: [Int] = batch.filter { $0 % 97 != 0 }.map { $0 &* 3 }.filter { $0 % 2 == 0 }
        let tripled: [Int] = kept.flatMap { (x: Int) -> [Int] in [x, x + 1, x + 2] }
        return tripled.map { $0 - 1 }
    }

    @Test(arguments: [1, 2, 3])
    func longChainsEqualTheReferenceAndCountFailures(parallelism: Int) async throws {
        let ssc = manualContext(parallelism: parallelism)
        let listener = InfoRecorder()
        ssc.addListener(listener)
        let steps: DStream<Int> = ssc.queueStream(Self.input).map(Self.step).filter { $0 % 2 == 0 }
        let chained: DStream<Int> = steps.flatMap { (x: Int) -> [Int] in [x, x + 1, x + 2] }.map { $0 - 1 }
        let out = Collector(chained)
        let pairs: DStream<(Int, Int)> = chained.map { ($0 % 10, 1) }.mapValues { $0 * 2 }
        let keyed = Collector(pairs.reduceByKey(+))
        try await ssc.start()
        try await ssc.advance(by: .seconds(Self.input.count))
        await ssc.stop()
        let reference: [[Int]] = Self.input.map(Self.reference)
        #expect(out.results.map { $0.count } == reference.map { $0.count })
        #expect(out.results == reference)
        let sums: [[Int: Int]] = reference.map { batch in
            Dictionary(batch.map { (x: Int) -> (Int, Int) in (x % 10, 2) }, uniquingKeysWith: +)
        }
        #expect(keyed.results.map { dictionary($0) } == sums)
        // Each thrown-on record counted once per batch, though two outputs consume the chain.
        let failures: [Int] = Self.input.map { batch in batch.filter { $0 % 97 == 0 }.count }
        #expect(listener.infos.map { $0.failedRecords } == failures)
    }

    @Test func chainsAfterAUnionAndAWindowKeepEveryRecord() async throws {
        let ssc = manualContext()
        let a = ssc.queueStream(Self.input), b = ssc.queueStream(Self.input.map { $0.map { -$0 } })
        let union: DStream<Int> = a.union(b).filter { $0 % 3 != 0 }.map { $0 * 2 }
        let windowed: DStream<Int> = try a.map { $0 + 1 }.window(length: .seconds(2)).filter { $0 % 5 == 0 }
        let counted: DStream<Int> = try a.map { $0 }.countByWindow(length: .seconds(2))
        let u = Collector(union), w = Collector(windowed), c = Collector(counted)
        try await ssc.start()
        try await ssc.advance(by: .seconds(Self.input.count))
        await ssc.stop()
        let unionReference: [[Int]] = Self.input.map { batch in
            let both: [Int] = batch + batch.map { -$0 }
            return both.filter { $0 % 3 != 0 }.map { $0 * 2 }.sorted()
        }
        #expect(u.results.map { $0.sorted() } == unionReference)
        let shifted: [[Int]] = Self.input.map { $0.map { $0 + 1 } }
        let windows: [[Int]] = shifted.indices.map { i in (i > 0 ? shifted[i - 1] : []) + shifted[i] }
        #expect(w.results == windows.map { $0.filter { $0 % 5 == 0 } })
        let counts: [[Int]] = Self.input.indices.map { i in [(i > 0 ? Self.input[i - 1].count : 0) + Self.input[i].count] }
        #expect(c.results == counts)
    }

    @Test func chunkWriterHandsOutFullChunksThenTheRest() {
        var writer = ChunkWriter<String>()
        defer { writer.release() }
        var chunks: [[String]] = []
        let n = ChunkWriter<String>.capacity * 2 + 5
        for i in 0..<n { writer.append("r\(i)") { chunks.append(Array($0)) } }
        writer.flush { chunks.append(Array($0)) }
        writer.flush { chunks.append(Array($0)) }  // nothing left: no empty chunk
        #expect(chunks.map { $0.count } == [ChunkWriter<String>.capacity, ChunkWriter<String>.capacity, 5])
        #expect(chunks.flatMap { $0 } == (0..<n).map { "r\($0)" })
    }
}
