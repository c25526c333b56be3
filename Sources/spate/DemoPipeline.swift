import Foundation
import Spate
import SpateML

/// The demo's pipeline, kept apart from the command so tests and examples can reuse it.
enum DemoPipeline {
    static let campaigns = 12
    static let kinds = ["view", "view", "view", "click", "view", "purchase", "view", "click"]

    /// A CSV click event `ts,user,campaign,kind,value` derived deterministically from a sequence number.
    static func event(_ n: Int) -> String {
        var h = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        let user = Int(h % 100_000)
        // A skewed campaign choice so the bar chart has a shape.
        let campaign = Int((h >> 20) % UInt64(campaigns * campaigns)).squareRootFloor % campaigns
        let kind = kinds[Int((h >> 40) % UInt64(kinds.count))]
        return "\(n),user-\(user),campaign-\(campaign),\(kind),\(Int((h >> 8) % 100))"
    }

    /// rateStream -> CSV events -> keep views -> count per campaign over the window (incremental, with the
    /// inverse function) -> console (top campaigns) and one text folder per batch.
    @discardableResult
    static func build(_ ssc: StreamingContext, rate: Int, window: Duration, output: String) throws -> DStream<(String, Int)> {
        let events = ssc.rateStream(recordsPerSecond: rate).map(event)
        let views = events
            .map { line -> (String, Int) in
                let fields = line.split(separator: ",", maxSplits: 4)
                guard fields.count == 5 else { throw DemoError.malformed(line) }
                return (String(fields[2]), fields[3] == "view" ? 1 : 0)
            }
            .filter { $0.1 == 1 }
        let counts = try views.reduceByKeyAndWindow(
            +, inverse: -, length: window, slide: ssc.batchInterval, filter: { $0.1 > 0 }).named("campaign-counts")
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
        let points = ssc.rateStream(recordsPerSecond: max(1, rate / 20)).map { n -> Vector in
            let fields = event(n).split(separator: ",")
            let user = Int(fields[1].dropFirst("user-".count)) ?? 0
            return Vector([Double(fields[4]) ?? 0, Double(user % 100)])
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
