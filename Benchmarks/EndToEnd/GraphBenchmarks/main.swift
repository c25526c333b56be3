import Foundation
import Spate
import SpateGraph
import Synchronization

// SpateGraph's speed: each algorithm's edges/s on the R-MAT graph (scale 17, 1M edges, ~77k vertices)
// beside a hand-written loop on flat arrays, and incremental connected components over a stream of 10M
// edges with the cost of each batch.
// Run: `cd Benchmarks && swift run -c release GraphBenchmarks [--write-edges FILE]` (FILE: the R-MAT edge
// list, one "src dst" a line, for GraphX's GraphLoader.edgeListFile).

/// The best of `runs` timings of `body`, in seconds.
func best<R>(_ runs: Int = 3, _ body: () throws -> R) rethrows -> (seconds: Double, result: R) {
    var bestTime = Double.infinity
    var result: R?
    for _ in 0..<runs {
        let start = ContinuousClock.now
        let r = try body()
        let elapsed = ContinuousClock.now - start
        bestTime = min(bestTime, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        result = r
    }
    return (bestTime, result!)
}

func row(_ name: String, edgesTouched: Int, _ spate: Double, hand: Double?) {
    let rate = Double(edgesTouched) / spate / 1e6
    let handText = hand.map { String(format: "%8.1f ms  %6.1f M/s  %4.2fx", $0 * 1000, Double(edgesTouched) / $0 / 1e6, spate / $0) }
    let label = name.padding(toLength: 34, withPad: " ", startingAt: 0)
    print(label + String(format: " %8.1f ms  %6.1f M edges/s   ", spate * 1000, rate) + (handText ?? "(no hand loop)"))
}

let arguments = CommandLine.arguments
let edges = rmatEdges(scale: 17, edges: 1_000_000, seed: 17)
if let at = arguments.firstIndex(of: "--write-edges"), at + 1 < arguments.count {
    let text = edges.map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\n"
    try text.write(toFile: arguments[at + 1], atomically: true, encoding: .utf8)
}

let load = try best { try Graph.fromEdgeTuples(edges, defaultValue: 1) }
let graph = load.result
let handLoad = best { FlatEdges(edges) }
let flat = handLoad.result
let e = graph.numEdges
print("R-MAT scale 17: \(graph.numVertices) vertices, \(e) edges (GraphX keeps the duplicates)")
print("algorithm                          Spate                          hand loop on flat arrays")
row("load (ids -> indices, CSR)", edgesTouched: e, load.seconds, hand: handLoad.seconds)
let pr = try best { try graph.staticPageRank(numIter: 10) }
let handPR = best { flat.pageRank(iterations: 10) }
row("staticPageRank(numIter: 10)", edgesTouched: 10 * e, pr.seconds, hand: handPR.seconds)
let dyn = try best { try graph.pageRank(tolerance: 0.0001) }
row("pageRank(tolerance: 0.0001)", edgesTouched: e, dyn.seconds, hand: nil)
let cc = best { graph.connectedComponents() }
let handCC = best { flat.components() }
row("connectedComponents()", edgesTouched: e, cc.seconds, hand: handCC.seconds)
guard Set(cc.result.map(\.1)).count == Set(handCC.result).count else { fatalError("component counts differ") }
let degrees = best { graph.degrees }
let handDegrees = best { flat.degrees() }
row("degrees", edgesTouched: e, degrees.seconds, hand: handDegrees.seconds)
let triangles = best { graph.triangleCount() }
row("triangleCount()", edgesTouched: e, triangles.seconds, hand: nil)
let labels = try best(1) { try graph.labelPropagation(maxSteps: 5) }
row("labelPropagation(maxSteps: 5)", edgesTouched: 5 * e, labels.seconds, hand: nil)
let landmarks = Array(graph.vertices.prefix(3).map(\.0))
let paths = best(1) { graph.shortestPaths(landmarks: landmarks) }
row("shortestPaths(3 landmarks)", edgesTouched: 3 * e, paths.seconds, hand: nil)
let messages = best { graph.aggregateMessages(sendMsg: { $0.sendToDst(1) }, mergeMsg: +) }
row("aggregateMessages (in-degree)", edgesTouched: e, messages.seconds, hand: handDegrees.seconds)
print(String(format: "issue target: 10 PageRank iterations + connected components after loading: %.1f ms (GraphX local[2]: 4.1 s + 2.4 s)",
             (pr.seconds + cc.seconds) * 1000))

// Incremental connected components over a stream: 10M R-MAT edges (scale 22) in 100 batches of 100k.
final class BatchTimes: StreamingListener {
    let times = Mutex<[Double]>([])
    func batchCompleted(_ info: BatchInfo) {
        guard let d = info.processingDelay else { return }
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        times.withLock { $0.append(s) }
    }
}
let streamEdges = rmatEdges(scale: 22, edges: 10_000_000, seed: 22)
let batches = stride(from: 0, to: streamEdges.count, by: 100_000).map { Array(streamEdges[$0..<min($0 + 100_000, streamEdges.count)]) }
let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
let components = try ssc.queueStream(batches).graph(scope: .accumulated).connectedComponents(output: .batchVertices)
let seen = Mutex(0)
components.foreachBatch { batch, _ in seen.withLock { $0 += batch.count } }
let listener = BatchTimes()
ssc.addListener(listener)
let streamStart = ContinuousClock.now
try await ssc.start()
try await ssc.advance(by: .seconds(batches.count))
await ssc.stop()
let total = ContinuousClock.now - streamStart
let times = listener.times.withLock { $0 }
func mean(_ xs: ArraySlice<Double>) -> Double { xs.reduce(0, +) / Double(max(xs.count, 1)) * 1000 }
let totalSeconds = Double(total.components.seconds) + Double(total.components.attoseconds) * 1e-18
print(String(format: "incremental connectedComponents(.batchVertices), 10M edges in %d batches of 100k: %.2f s, %.1f M edges/s",
             batches.count, totalSeconds, Double(streamEdges.count) / totalSeconds / 1e6))
print(String(format: "  per batch: first 10 %.1f ms, last 10 %.1f ms, max %.1f ms; %d vertex results",
             mean(times.prefix(10)), mean(times.suffix(10)), (times.max() ?? 0) * 1000, seen.withLock { $0 }))
