import Benchmark
import Spate

/// W1 word count: split lines on ' ', (word, 1), reduceByKey(+) per batch; 100,000 lines a batch.
/// Checksum per batch: the sum of the squared counts plus the number of distinct words times 2^32.
enum W1WordCount {
    static let name = "w1-wordcount"
    static let linesPerBatch = 100_000
    static let raw = WorkloadData.wordLines(batches: Workload.distinctBatches, lines: linesPerBatch)
    static let strings = raw.map(WorkloadData.strings)
    static let lines = raw.map { TextLines(newlineDelimited: $0) }
    static var records: Int { Workload.timedBatches * linesPerBatch }

    static func batchChecksum<S: Sequence>(_ counts: S) -> Int where S.Element == Int {
        var squares = 0, distinct = 0
        for c in counts { squares &+= c &* c; distinct += 1 }
        return squares &+ distinct << 32
    }

    /// The reference: `[String: Int]` per distinct batch.
    static let expected: Int = {
        let perBatch = strings.map { batch -> Int in
            var counts: [Substring: Int] = [:]
            for line in batch { for w in line.split(separator: " ") { counts[w, default: 0] += 1 } }
            return batchChecksum(counts.values)
        }
        return Workload.timed.reduce(0) { $0 &+ perBatch[Workload.cycled($1)] }
    }()

    /// The user's path: String lines, `split(separator:)`, String keys (README's NetworkWordCount).
    static func user(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        ssc.queueStream(Workload.runBatches.map { strings[Workload.cycled($0)] })
            .flatMap { $0.split(separator: " ").map(String.init) }
            .map { ($0, 1) }
            .reduceByKey(+)
            .foreachBatch { batch, _ in sum.add(batchChecksum(batch.partitions.joined().lazy.map { $0.1 })) }
        try await runEngine(benchmark, name, ssc, records: records, checksum: sum, expected: expected)
    }

    /// The fast text form: `Utf8Text` lines, words straight to `TextKey` keys.
    static func fast(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        ssc.queueStream(lines: Workload.runBatches.map { lines[Workload.cycled($0)] })
            .flatMap { $0.wordKeys }
            .map { ($0, 1) }
            .reduceByKey(+)
            .foreachBatch { batch, _ in sum.add(batchChecksum(batch.partitions.joined().lazy.map { $0.1 })) }
        try await runEngine(benchmark, name, ssc, records: records, checksum: sum, expected: expected)
    }

    /// W1's words as Strings, split up front: the `keys-*` forms time only the shuffle kernel's String keys.
    static let words: [[String]] = strings.map { batch in batch.flatMap { $0.split(separator: " ").map(String.init) } }

    /// reduceByKey over String keys as the kernel runs them: hashed with `KeyHash` (a seeded multiply-mix
    /// over the UTF-8 bytes), compared with String's `==`.
    static func keysKeyHash(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        ssc.queueStream(Workload.runBatches.map { words[Workload.cycled($0)] })
            .map { ($0, 1) }
            .reduceByKey(+)
            .foreachBatch { batch, _ in sum.add(batchChecksum(batch.partitions.joined().lazy.map { $0.1 })) }
        try await runEngine(benchmark, name, ssc, records: records, checksum: sum, expected: expected)
    }

    /// A String key the kernel does not recognise: hashed and compared by Swift's own String `Hashable`
    /// (SipHash over the normalized scalars), the same work otherwise.
    struct SwiftHashed: Hashable, Sendable { let string: String }

    /// reduceByKey over the same words with Swift's own String hashing: `keysKeyHash`'s baseline.
    static func keysSwiftHash(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        ssc.queueStream(Workload.runBatches.map { words[Workload.cycled($0)] })
            .map { (SwiftHashed(string: $0), 1) }
            .reduceByKey(+)
            .foreachBatch { batch, _ in sum.add(batchChecksum(batch.partitions.joined().lazy.map { $0.1 })) }
        try await runEngine(benchmark, name, ssc, records: records, checksum: sum, expected: expected)
    }

    /// The hand loop: each core scans half of the bytes into its own flat byte-keyed table (hash, offset,
    /// length, count), the second table merges into the first.
    static func hand(_ benchmark: Benchmark) throws {
        try runHand(benchmark, name, records: records, expected: expected) { i in
            let bytes = raw[Workload.cycled(i)]
            let tables = onBothCores { h -> ByteCounts in
                let table = ByteCounts(maxKeys: 16_384)
                bytes.withUnsafeBufferPointer { p in
                    let base = p.baseAddress!
                    let middle = WordCount.middleLine(p)
                    var at = h == 0 ? 0 : middle
                    let end = h == 0 ? middle : p.count
                    while at < end {
                        while at < end && (base[at] == 0x20 || base[at] == 0x0A) { at += 1 }
                        let s = at
                        while at < end && base[at] != 0x20 && base[at] != 0x0A { at += 1 }
                        if at > s {
                            table.add(base, start: s, length: at - s, hash: ByteCounts.hash(base + s, at - s), count: 1)
                        }
                    }
                }
                return table
            }
            let merged = tables[0]
            bytes.withUnsafeBufferPointer { merged.merge(tables[1], $0.baseAddress!) }
            return batchChecksum((0..<merged.capacity).lazy.filter { merged.hashes[$0] != 0 }.map { merged.counts[$0] })
        }
    }
}
