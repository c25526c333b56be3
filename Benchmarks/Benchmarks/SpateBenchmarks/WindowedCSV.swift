import Benchmark
import Spate

/// Shape (b): CSV events `ts,user,campaign,kind,value`, 200,000 a batch; keep views, count per campaign over
/// a window of 10 batches sliding by 1, incrementally (with an inverse). 10 batches fill the window before
/// the measurement; 20 slides are measured.
enum WindowedCSV {
    static let window = 10
    static let measuredBatches = 20
    static let distinctBatches = 10
    static let input = Inputs.csvBatches(distinctBatches)
    static var events: Int { measuredBatches * Inputs.eventsPerBatch }

    static func engine(_ benchmark: Benchmark) async throws {
        let input = Self.input
        let ssc = benchmarkContext()
        let out = OutputCounter()
        let batches = (0..<(window + measuredBatches)).map { input[$0 % distinctBatches].lines }
        try ssc.queueStream(lines: batches)
            .filter { $0.field(3) == "view" }
            .map { (TextKey($0.field(2)!), 1) }
            .reduceByKeyAndWindow(+, inverse: -, length: .seconds(window), slide: .seconds(1))
            .foreachBatch { batch, _ in out.add(batch.count) }
        try await ssc.start()
        try await ssc.advance(by: .seconds(window))
        try await measure(benchmark, records: events) {
            try await ssc.advance(by: .seconds(measuredBatches))
        }
        await ssc.stop()
        blackHole(out.value)
    }

    /// Per-batch counts of views per campaign, each core scanning half of the raw bytes.
    static func batchCounts(_ raw: [UInt8]) -> [TextKey: Int] {
        let tables = onBothCores { h -> [TextKey: Int] in
            var counts: [TextKey: Int] = [:]
            counts.reserveCapacity(2_048)
            raw.withUnsafeBufferPointer { p in
                var i = h == 0 ? 0 : WordCount.middleLine(p)
                let end = h == 0 ? WordCount.middleLine(p) : p.count
                while i < end {
                    // Fields 0 and 1, then campaign (2) and kind (3); skip the rest of the line.
                    var commas = 0
                    while commas < 2 { if p[i] == 0x2C { commas += 1 }; i += 1 }
                    let c0 = i
                    while p[i] != 0x2C { i += 1 }
                    let c1 = i
                    i += 1
                    let k0 = i
                    while p[i] != 0x2C { i += 1 }
                    let isView = i - k0 == 4 && p[k0] == 0x76 && p[k0 + 1] == 0x69 && p[k0 + 2] == 0x65 && p[k0 + 3] == 0x77
                    while p[i] != 0x0A { i += 1 }
                    i += 1
                    if isView { counts[TextKey(bytes: UnsafeBufferPointer(rebasing: p[c0..<c1])), default: 0] += 1 }
                }
            }
            return counts
        }
        var merged = tables[0]
        for (k, v) in tables[1] { merged[k, default: 0] += v }
        return merged
    }

    /// The hand-written incremental window: add the entering batch's counts, subtract the leaving one's.
    static func baseline(_ benchmark: Benchmark) async {
        let input = Self.input
        var windowCounts: [TextKey: Int] = [:]
        var recent: [[TextKey: Int]] = []
        var emitted = 0
        func slide(_ b: Int) {
            let counts = batchCounts(input[b % distinctBatches].raw)
            for (k, v) in counts { windowCounts[k, default: 0] += v }
            recent.append(counts)
            if recent.count > window {
                for (k, v) in recent.removeFirst() { windowCounts[k, default: 0] -= v }
            }
            emitted += windowCounts.count
        }
        for b in 0..<window { slide(b) }
        await measure(benchmark, records: events) {
            for b in window..<(window + measuredBatches) { slide(b) }
        }
        blackHole(emitted)
    }
}
