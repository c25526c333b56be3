import Foundation
import Spate
import SpateGraph
import Synchronization

// SpateGraph's speed: each algorithm's edges/s on the issue's R-MAT graph (scale 17, 1M edges, ~77k vertices)
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

func row(_ name: String, edgesTouched: Int, _ spate: Double, hand: Double?, csr: Double? = nil) {
    let rate = Double(edgesTouched) / spate / 1e6
    func text(_ t: Double?) -> String {
        t.map { String(format: "%8.1f ms %7.1f M/s %6.2fx", $0 * 1000, Double(edgesTouched) / $0 / 1e6, spate / $0) }
            ?? "                 -             "
    }
    let label = name.padding(toLength: 34, withPad: " ", startingAt: 0)
    print(label + String(format: " %8.1f ms %7.1f M edges/s ", spate * 1000, rate) + text(hand) + " " + text(csr))
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
let csrBuild = best { CSR(flat) }
let csr = csrBuild.result
let e = graph.numEdges
print("R-MAT scale 17: \(graph.numVertices) vertices, \(e) edges (GraphX keeps the duplicates)")
print("(x = Spate's time / the hand loop's: above 1, the hand loop is faster)")
print("algorithm                          Spate                        hand, edge list (push)         hand on CSR (pull)")
row("load (ids -> indices, CSR)", edgesTouched: e, load.seconds, hand: handLoad.seconds,
    csr: handLoad.seconds + csrBuild.seconds)
let pr = try best { try graph.staticPageRank(numIter: 10) }
let handPR = best { flat.pageRank(iterations: 10) }
let csrPR = best { csr.pageRank(iterations: 10) }
row("staticPageRank(numIter: 10)", edgesTouched: 10 * e, pr.seconds, hand: handPR.seconds, csr: csrPR.seconds)
let dyn = try best { try graph.pageRank(tolerance: 0.0001) }
row("pageRank(tolerance: 0.0001)", edgesTouched: e, dyn.seconds, hand: nil)
let cc = best { graph.connectedComponents() }
let handCC = best { flat.components() }
let csrCC = best { csr.components() }
row("connectedComponents()", edgesTouched: e, cc.seconds, hand: handCC.seconds, csr: csrCC.seconds)
guard Set(cc.result.map(\.1)).count == Set(handCC.result).count else { fatalError("component counts differ") }
let degrees = best { graph.degrees }
let handDegrees = best { flat.degrees() }
let csrDegrees = best { csr.degrees() }
row("degrees", edgesTouched: e, degrees.seconds, hand: handDegrees.seconds, csr: csrDegrees.seconds)

// The hand loops' results against the engine's, vertex by vertex (by id).
do {
    let ranks = Dictionary(uniqueKeysWithValues: pr.result)
    var worstEdgeList = 0.0, worstCSR = 0.0
    for v in 0..<flat.n {
        let r = ranks[flat.ids[v]]!
        worstEdgeList = max(worstEdgeList, abs(handPR.result[v] - r) / r)
        worstCSR = max(worstCSR, abs(csrPR.result[v] - r) / r)
    }
    let component = Dictionary(uniqueKeysWithValues: cc.result)
    // A hand component's id: the smallest vertex id among its members.
    func smallestIDs(_ roots: [Int32]) -> [VertexID] {
        var smallest = [VertexID: VertexID]()
        for v in 0..<flat.n { smallest[VertexID(roots[v]), default: .max] = min(smallest[VertexID(roots[v]), default: .max], flat.ids[v]) }
        return (0..<flat.n).map { smallest[VertexID(roots[$0])]! }
    }
    let ccAgree = [handCC.result, csrCC.result].map { roots in
        zip(flat.ids, smallestIDs(roots)).allSatisfy { component[$0.0] == $0.1 }
    }
    let degree = Dictionary(uniqueKeysWithValues: degrees.result)
    let degreesAgree = [handDegrees.result, csrDegrees.result].map { d in
        (0..<flat.n).allSatisfy { Int(d[$0]) == degree[flat.ids[$0], default: 0] }
    }
    print(String(format: "check vs Spate: PageRank max relative difference %.1e (edge list), %.1e (CSR); ", worstEdgeList, worstCSR)
        + "components agree \(ccAgree), degrees agree \(degreesAgree)")
    guard worstEdgeList < 1e-9, worstCSR < 1e-9, !ccAgree.contains(false), !degreesAgree.contains(false) else {
        fatalError("the hand loops disagree with the engine")
    }
}
let triangles = best { graph.triangleCount() }
row("triangleCount()", edgesTouched: e, triangles.seconds, hand: nil)
let labels = try best(1) { try graph.labelPropagation(maxSteps: 5) }
row("labelPropagation(maxSteps: 5)", edgesTouched: 5 * e, labels.seconds, hand: nil)
let landmarks = Array(graph.vertices.prefix(3).map(\.0))
let paths = best(1) { graph.shortestPaths(landmarks: landmarks) }
row("shortestPaths(3 landmarks)", edgesTouched: 3 * e, paths.seconds, hand: nil)
let messages = best { graph.aggregateMessages(sendMsg: { $0.sendToDst(1) }, mergeMsg: +) }
row("aggregateMessages (in-degree)", edgesTouched: e, messages.seconds, hand: handDegrees.seconds, csr: csrDegrees.seconds)
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
let seen = Mutex(0), checksum = Mutex(0)
components.foreachBatch { batch, _ in
    let results = batch.collect()
    let sum = results.reduce(0) { $0 &+ Int($1.0) &* 31 &+ Int($1.1) }
    seen.withLock { $0 += results.count }
    checksum.withLock { $0 &+= sum }
}
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

// The same incremental work by hand, one thread, no engine: per batch, ids -> indices by hash, union-find
// (union by size, path halving, smallest id at the root), then the batch's distinct vertices with their
// component ids, as the engine's IncrementalComponents does.
do {
    var hand = HandIncrementalComponents()
    var handTimes: [Double] = []
    var handSeen = 0, handChecksum = 0
    let handStart = ContinuousClock.now
    for batch in batches {
        let start = ContinuousClock.now
        let out = hand.add(batch)
        handSeen += out.count
        handChecksum &+= out.reduce(0) { $0 &+ Int($1.0) &* 31 &+ Int($1.1) }
        handTimes.append((ContinuousClock.now - start) / .seconds(1))
    }
    let handTotal = (ContinuousClock.now - handStart) / .seconds(1)
    print(String(format: "  hand loop, same batches (one thread): %.2f s, %.1f M edges/s (%.2fx); per batch: first 10 %.1f ms, last 10 %.1f ms, max %.1f ms",
                 handTotal, Double(streamEdges.count) / handTotal / 1e6, totalSeconds / handTotal,
                 mean(handTimes.prefix(10)), mean(handTimes.suffix(10)), (handTimes.max() ?? 0) * 1000))
    let engine = (seen.withLock { $0 }, checksum.withLock { $0 })
    print("  check: \(handSeen) vertex results, checksum \(engine.1 == handChecksum ? "agrees" : "DIFFERS") with the engine's")
    guard engine == (handSeen, handChecksum) else { fatalError("the incremental components differ") }
}
