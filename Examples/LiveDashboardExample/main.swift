import Foundation
import Spate
import SpateDashboard

// A pipeline with a live dashboard, used by scripts/browser-test.sh and handy to try the dashboard:
// `swift run LiveDashboardExample [port] [batch-ms] [token]` (with a token, open the URL it prints).
//
// Batch k holds, for n = (k - 1) % 50 + 1, the words "alpha" x 3n, "beta" x 2n and "gamma" x n, so the bar chart of
// per-batch counts must show alpha = 3n, beta = 2n, gamma = n for the batch it is labelled with, and the
// line chart the total 6n. Every completed batch is printed as `batch <ms> n=<n>` for the test to compare.

/// Writes a line to standard output at once (unbuffered, so a script reading the pipe sees it).
@Sendable func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 4040 : 4040
let batchMs = arguments.count > 2 ? Int(arguments[2]) ?? 1000 : 1000
let token = arguments.count > 3 ? arguments[3] : nil

let ssc = StreamingContext(batchInterval: .milliseconds(batchMs), parallelism: 2)
let batches: [[String]] = (1...3000).map { k in
    let n = (k - 1) % 50 + 1
    return Array(repeating: "alpha", count: 3 * n) + Array(repeating: "beta", count: 2 * n)
        + Array(repeating: "gamma", count: n)
}
let words = ssc.queueStream(batches)
let counts = words.map { ($0, 1) }.reduceByKey(+)
counts.dashboard(.bar(title: "Words per batch", topK: 5))
words.count().dashboard(.line(title: "Records per batch"))
counts.dashboard(.table(title: "Word counts"))
// Event time: each word is stamped with the wall clock when its batch is read, "gamma" a minute earlier, so
// from the second batch on the n gammas of each batch are behind the 1 s watermark: the dashboard's late
// records per batch must be n, its watermark about a second behind the batch time.
let timed = try words.withWatermark(
    eventTime: { word in Int64(Date().timeIntervalSince1970 * 1000) - (word == "gamma" ? 60_000 : 0) },
    delay: .seconds(1))
try timed.countByKeyAndWindow(key: { $0 }, length: .seconds(2)).named("words per 2 s").foreachBatch { _, _ in }
counts.foreachBatch { batch, time in
    let n = batch.collect().first { $0.0 == "gamma" }?.1 ?? 0
    say("batch \(time.milliseconds) n=\(n)")
}

let dashboard = try await ssc.dashboard(port: port, token: token)
say("dashboard: \(dashboard.url)")
try await ssc.start()
try await ssc.awaitTermination()

