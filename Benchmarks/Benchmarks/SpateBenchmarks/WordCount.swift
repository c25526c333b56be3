import Benchmark
import Spate

/// Shape (a): word count over lines of 10 Zipf words, 100,000 lines a batch, 10 batches a measurement.
enum WordCount {
    static let batchesPerMeasurement = 10
    static let input = Inputs.wordCountBatches(batchesPerMeasurement)
    static var lines: Int { batchesPerMeasurement * Inputs.linesPerBatch }

    /// The engine on the fast text path: `Utf8Text` lines, words straight to `TextKey` keys.
    static func engine(_ benchmark: Benchmark) async throws {
        let input = Self.input
        let ssc = benchmarkContext()
        let out = OutputCounter()
        ssc.queueStream(lines: input.map(\.lines))
            .flatMap { $0.wordKeys }
            .map { ($0, 1) }
            .reduceByKey(+)
            .foreachBatch { batch, _ in out.add(batch.count) }
        try await ssc.start()
        try await measure(benchmark, records: lines) {
            try await ssc.advance(by: .seconds(batchesPerMeasurement))
        }
        await ssc.stop()
        blackHole(out.value)
    }

    /// The engine with idiomatic `String` records: `split` and `[String: Int]`-style keys.
    static func engineStrings(_ benchmark: Benchmark) async throws {
        let batches = input.map { $0.lines.map(\.string) }
        let ssc = benchmarkContext()
        let out = OutputCounter()
        ssc.queueStream(batches)
            .flatMap { $0.split(separator: " ").map(String.init) }
            .map { ($0, 1) }
            .reduceByKey(+)
            .foreachBatch { batch, _ in out.add(batch.count) }
        try await ssc.start()
        try await measure(benchmark, records: lines) {
            try await ssc.advance(by: .seconds(batchesPerMeasurement))
        }
        await ssc.stop()
        blackHole(out.value)
    }

    /// The hand-written loop: each core scans half of the raw bytes into its own table; the tables merge.
    static func baseline(_ benchmark: Benchmark) async {
        let input = Self.input
        var distinct = 0
        await measure(benchmark, records: lines) {
            for batch in input {
                let raw = batch.raw
                let tables = onBothCores { h -> [TextKey: Int] in
                    var counts: [TextKey: Int] = [:]
                    counts.reserveCapacity(16_384)
                    raw.withUnsafeBufferPointer { p in
                        var i = h == 0 ? 0 : middleLine(p)
                        let end = h == 0 ? middleLine(p) : p.count
                        while i < end {
                            while i < end && (p[i] == 0x20 || p[i] == 0x0A) { i += 1 }
                            let s = i
                            while i < end && p[i] != 0x20 && p[i] != 0x0A { i += 1 }
                            if i > s { counts[TextKey(bytes: UnsafeBufferPointer(rebasing: p[s..<i])), default: 0] += 1 }
                        }
                    }
                    return counts
                }
                var merged = tables[0]
                for (k, v) in tables[1] { merged[k, default: 0] += v }
                distinct += merged.count
            }
        }
        blackHole(distinct)
    }

    /// The first byte of the line that contains the middle byte.
    static func middleLine(_ p: UnsafeBufferPointer<UInt8>) -> Int {
        var m = p.count / 2
        while m < p.count && p[m] != 0x0A { m += 1 }
        return Swift.min(m + 1, p.count)
    }
}
