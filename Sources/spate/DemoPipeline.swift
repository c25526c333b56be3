import Foundation
import Spate
import SpateML

/// The demo's pipeline, kept apart from the command so tests and examples can reuse it.
enum DemoPipeline {
    static let campaigns = 12
    static let kinds = ["view", "view", "view", "click", "view", "purchase", "view", "click"]

    /// The fields of the CSV click event `ts,user,campaign,kind,value` with sequence number `n` (its `ts`),
    /// derived deterministically from `n`; `kind` indexes `kinds`.
    static func fields(_ n: Int) -> (user: Int, campaign: Int, kind: Int, value: Int) {
        var h = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        // A skewed campaign choice so the bar chart has a shape.
        let campaign = Int((h >> 20) % UInt64(campaigns * campaigns)).squareRootFloor % campaigns
        return (Int(h % 100_000), campaign, Int((h >> 40) % UInt64(kinds.count)), Int((h >> 8) % 100))
    }

    /// The kinds' and fields' bytes, so an event is written without a String.
    static let kindBytes: [[UInt8]] = kinds.map { Array($0.utf8) }
    static let userPrefix = Array(",user-".utf8), campaignPrefix = Array(",campaign-".utf8)

    /// Appends event `n`'s CSV text to `bytes`, building no String.
    static func appendEvent(_ n: Int, to bytes: inout [UInt8]) {
        let f = fields(n)
        appendDecimal(n, to: &bytes)
        bytes.append(contentsOf: userPrefix)
        appendDecimal(f.user, to: &bytes)
        bytes.append(contentsOf: campaignPrefix)
        appendDecimal(f.campaign, to: &bytes)
        bytes.append(UInt8(ascii: ","))
        bytes.append(contentsOf: kindBytes[f.kind])
        bytes.append(UInt8(ascii: ","))
        appendDecimal(f.value, to: &bytes)
    }

    /// Appends the decimal digits of `value` (>= 0).
    static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // room for 24 digits, on the stack
        var v = value, n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[23 - n] = UInt8(truncatingIfNeeded: 48 + v % 10)
                v /= 10
                n += 1
            } while v > 0
            bytes.append(contentsOf: d[(24 - n)...])
        }
    }

    /// The events of a partition's sequence numbers, written back to back into one buffer and handed out as
    /// `Utf8Text` views of it: the fast text form, as `socketTextStream(host:port:as: .utf8Lines)` gives.
    static func eventLines(_ numbers: [Int]) -> [Utf8Text] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(numbers.count * 40)
        var ends: [Int] = []
        ends.reserveCapacity(numbers.count)
        for n in numbers {
            appendEvent(n, to: &bytes)
            ends.append(bytes.count)
        }
        let whole = Utf8Text(bytes: bytes)
        var start = 0
        return ends.map { end in
            defer { start = end }
            return whole.slice(from: start, to: end)
        }
    }

    /// rateStream -> CSV events (UTF-8 views, parsed from their bytes) -> keep views -> count per campaign
    /// over the window (incremental, with the inverse function) -> console (top campaigns) and one text
    /// folder per batch.
    @discardableResult
    static func build(_ ssc: StreamingContext, rate: Int, window: Duration, output: String) throws -> DStream<(String, Int)> {
        let events = ssc.rateStream(recordsPerSecond: rate).mapPartitions(eventLines)
        let views = events
            .map { line -> (TextKey, Int) in
                guard let campaign = line.field(2), let kind = line.field(3), line.field(4) != nil else {
                    throw DemoError.malformed(line.string)
                }
                return (TextKey(campaign), kind == "view" ? 1 : 0)
            }
            .filter { $0.1 == 1 }
        let counts = try views.reduceByKeyAndWindow(
            +, inverse: -, length: window, slide: ssc.batchInterval, filter: { $0.1 > 0 }).named("campaign-counts")
            .map { ($0.0.string, $0.1) }
        counts.transform { batch in
            Batch(time: batch.time, elements: batch.collect().sorted { ($0.1, $1.0) > ($1.1, $0.0) })
        }.print(5)
        counts.saveAsTextFiles(prefix: "\(output)/campaign-counts")
        return counts
    }

    /// Streaming k-means (k = 3, half-life 5 batches) over the events' (value, user bucket) features; returns
    /// a stream with the current centres after each batch, for the dashboard.
    static func clusters(_ ssc: StreamingContext, rate: Int) throws -> DStream<String> {
        let kmeans = try StreamingKMeans(
            k: 3, halfLife: 5, timeUnit: .batches, initialCenters: .random(dimension: 2, weight: 0, seed: 7))
        // The event's fields straight from its number: no CSV text to build and parse again.
        let points = ssc.rateStream(recordsPerSecond: max(1, rate / 20)).map { n -> Vector in
            let f = fields(n)
            return Vector([Double(f.value), Double(f.user % 100)])
        }
        kmeans.trainOn(points)
        // Runs after trainOn's output in each batch, so it shows the centres that batch produced.
        return points.count().flatMap { _ in
            kmeans.latestModel.clusterCenters.enumerated().map { i, c in
                "centre \(i): (" + c.values.map { String(format: "%.1f", $0) }.joined(separator: ", ") + ")"
            }
        }
    }

    enum DemoError: Error { case malformed(String) }
}

extension Int {
    var squareRootFloor: Int { Int(Double(self).squareRoot()) }
}
