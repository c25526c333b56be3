import Foundation
import Spate
import SpateDashboard
import SpateGraph

// Streaming PageRank of a follower graph with the top users live on the dashboard:
// `swift run StreamingPageRank [port] [batch-ms] [follows-per-second]` (defaults 4040, 1000, 20000).
//
// A generated stream of follows (FollowerEvents: power-law popularity; user 4242 goes viral after 30 s),
// the graph of the last 10 s of follows, its PageRank every batch (10 iterations of GraphX's staticPageRank),
// and the 10 highest ranks as a bar chart and a table on the dashboard. Every batch also prints
// `batch <ms> edges=<n> top=<id>:<rank>,...` (the top 5).

/// Writes a line to standard output at once (unbuffered, so a script reading the pipe sees it).
@Sendable func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 4040 : 4040
let batchMs = arguments.count > 2 ? Int(arguments[2]) ?? 1000 : 1000
let rate = arguments.count > 3 ? Int(arguments[3]) ?? 20_000 : 20_000

let events = FollowerEvents(users: 50_000, viral: 4242, viralAfter: rate * 30)
let ssc = StreamingContext(batchInterval: .milliseconds(batchMs), parallelism: 2)
let follows = ssc.rateStream(recordsPerSecond: rate).map { events.edge($0) }
let graph = try follows.graph(scope: .window(length: .milliseconds(10 * batchMs), slide: .milliseconds(batchMs)))
let ranks = try graph.staticPageRank(numIter: 10)
let top = ranks.transform { batch in
    let best = batch.collect().sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(10)
    return Batch(time: batch.time, elements: best.map { ("user \($0.0)", $0.1) })
}
top.dashboard(.bar(title: "Top users by PageRank (last 10 s)", topK: 10))
top.dashboard(.table(title: "PageRank top 10"))
let edges = graph.graphs.map { $0.numEdges }
edges.dashboard(.line(title: "Follows in the window"))
top.transformWith(edges) { ranked, counts in Batch(time: ranked.time, elements: [(counts.collect(), ranked.collect())]) }
    .foreachBatch { batch, time in
        guard case let (counts, ranked)? = batch.collect().first else { return }
        let best = ranked.prefix(5).map { "\($0.0.dropFirst(5)):\(String(format: "%.2f", $0.1))" }
        say("batch \(time.milliseconds) edges=\(counts.first ?? 0) top=\(best.joined(separator: ","))")
    }

let dashboard = try await ssc.dashboard(port: port)
say("dashboard: \(dashboard.url)")
try await ssc.start()
try await ssc.awaitTermination()
