import Benchmark
import Spate

/// W2 windowed campaign counts (the Yahoo benchmark's shape): parse the CSV line, keep views, (campaign, 1),
/// reduceByKeyAndWindow(+, -, window 10 batches, slide 1); 200,000 events a batch.
/// Checksum per slide: the sum over the window's campaigns of (campaign + 1) x count.
enum W2WindowedCounts {
    static let name = "w2-windowed"
    static let eventsPerBatch = 200_000
    static let window = 10
    static let events = WorkloadData.events(batches: Workload.distinctBatches, size: eventsPerBatch)
    static let strings = events.map { $0.map(\.csv) }
    static let raw = strings.map { batch -> [UInt8] in
        var out: [UInt8] = []
        for line in batch { out.append(contentsOf: line.utf8); out.append(0x0A) }
        return out
    }
    static let lines = raw.map { TextLines(newlineDelimited: $0) }
    static var records: Int { Workload.timedBatches * eventsPerBatch }

    /// A CSV field that does not parse.
    struct BadLine: Error {}

    /// The user's parse: `split(separator: ",")`, then `Int(...)` and `Double(...)` per field.
    static func parse(_ line: String) throws -> Event {
        let f = line.split(separator: ",")
        guard f.count == 5, let ts = Int64(f[0]), let user = Int32(f[1]), let campaign = Int32(f[2]),
              let kind = Int8(f[3]), let value = Double(f[4]) else { throw BadLine() }
        return Event(ts: ts, user: user, campaign: campaign, kind: kind, value: value)
    }

    /// The reference: views per campaign per distinct batch, summed over the window at each timed slide.
    static let expected: Int = {
        let perBatch = events.map { batch -> [Int: Int] in
            var counts: [Int: Int] = [:]
            for e in batch where e.kind == 0 { counts[Int(e.campaign), default: 0] += 1 }
            return counts
        }
        var total = 0
        for i in Workload.timed {
            for b in Swift.max(0, i - window + 1)...i {
                for (k, v) in perBatch[Workload.cycled(b)] { total &+= (k + 1) * v }
            }
        }
        return total
    }()

    static func slideChecksum(_ batch: Batch<(Int, Int)>) -> Int {
        var s = 0
        for part in batch.partitions { for (k, v) in part { s &+= (k + 1) &* v } }
        return s
    }

    /// The user's path: String lines parsed with `split`, `Int(...)`, `Double(...)` into an event.
    static func user(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        let parsed: DStream<Event> = ssc.queueStream(Workload.runBatches.map { strings[Workload.cycled($0)] })
            .map(parse)
        let views: DStream<(Int, Int)> = parsed.filter { $0.kind == 0 }.map { (Int($0.campaign), 1) }
        try views.reduceByKeyAndWindow(+, inverse: -, length: .seconds(window), slide: .seconds(1))
            .foreachBatch { batch, _ in sum.add(slideChecksum(batch)) }
        try await runEngine(benchmark, name, ssc, records: records, checksum: sum, expected: expected)
    }

    /// The fast text form: `Utf8Text` lines, the two fields read as views, the campaign parsed from bytes.
    static func fast(_ benchmark: Benchmark) async throws {
        let ssc = benchmarkContext()
        let sum = Checksum()
        let views: DStream<(Int, Int)> = ssc.queueStream(lines: Workload.runBatches.map { lines[Workload.cycled($0)] })
            .filter { $0.field(3) == "0" }
            .map { line -> (Int, Int) in
                guard let campaign = line.field(2)?.parseInt() else { throw BadLine() }
                return (campaign, 1)
            }
        try views.reduceByKeyAndWindow(+, inverse: -, length: .seconds(window), slide: .seconds(1))
            .foreachBatch { batch, _ in sum.add(slideChecksum(batch)) }
        try await runEngine(benchmark, name, ssc, records: records, checksum: sum, expected: expected)
    }

    /// Views per campaign of one batch of bytes, each core scanning half into a flat table.
    static func batchCounts(_ bytes: [UInt8]) -> IntTable<Int> {
        let tables = onBothCores { h -> IntTable<Int> in
            let table = IntTable<Int>(maxKeys: 2_048, zero: 0)
            bytes.withUnsafeBufferPointer { p in
                let base = p.baseAddress!
                let middle = WordCount.middleLine(p)
                var i = h == 0 ? 0 : middle
                let end = h == 0 ? middle : p.count
                while i < end {
                    var commas = 0
                    while commas < 2 { if base[i] == 0x2C { commas += 1 }; i += 1 }
                    var campaign = 0
                    while base[i] != 0x2C { campaign = campaign &* 10 &+ Int(base[i] &- 0x30); i += 1 }
                    let isView = base[i + 1] == 0x30 && base[i + 2] == 0x2C
                    i += 3
                    while base[i] != 0x0A { i += 1 }
                    i += 1
                    if isView { table.values[table.slot(campaign)] += 1 }
                }
            }
            return table
        }
        tables[1].forEachSlot { s in tables[0].values[tables[0].slot(tables[1].keys[s])] += tables[1].values[s] }
        return tables[0]
    }

    /// The hand loop: byte-level parse into flat tables; the window adds the entering batch's counts and
    /// subtracts the leaving one's.
    static func hand(_ benchmark: Benchmark) throws {
        let windowCounts = IntTable<Int>(maxKeys: 2_048, zero: 0)
        var recent: [IntTable<Int>] = []
        try runHand(benchmark, name, records: records, expected: expected) { i in
            let counts = batchCounts(raw[Workload.cycled(i)])
            counts.forEachSlot { s in windowCounts.values[windowCounts.slot(counts.keys[s])] += counts.values[s] }
            recent.append(counts)
            if recent.count > window {
                let leaving = recent.removeFirst()
                leaving.forEachSlot { s in windowCounts.values[windowCounts.slot(leaving.keys[s])] -= leaving.values[s] }
            }
            var s = 0
            windowCounts.forEachSlot { slot in s &+= (windowCounts.keys[slot] + 1) &* windowCounts.values[slot] }
            return s
        }
    }
}
