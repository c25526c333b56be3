import Foundation
import Spate
import Testing
@testable import SpateGraph

/// Graphs of a stream per batch, per window and accumulated, on the manual clock: given batches of edges,
/// each batch's result equals the algorithm run on the edges its scope holds.
@Suite struct GraphStreamTests {
    /// Eight batches of R-MAT edges over one vertex range, so later batches join earlier components.
    static let batches: [[(VertexID, VertexID)]] = (0..<8).map {
        TestGraphs.rmat(scale: 9, edges: 120, seed: 100 + UInt64($0), simple: false)
    }

    func run(_ ssc: StreamingContext, batches: Int) async throws {
        try await ssc.start()
        try await ssc.advance(by: .seconds(batches))
        await ssc.stop()
    }

    @Test func perBatchGraphsRunEachAlgorithmOnTheBatchAlone() async throws {
        let ssc = manualContext()
        let graph = try ssc.queueStream(Self.batches).graph()
        let ranks = Collector(try graph.staticPageRank(numIter: 10))
        let triangles = Collector(graph.triangleCount())
        let inDegrees = Collector(graph.inDegrees)
        try await run(ssc, batches: 8)
        #expect(ranks.results.count == 8)
        for (k, edges) in Self.batches.enumerated() {
            let want = Reference.staticPageRank(edges, numIter: 10)
            let got = dictionary(ranks.results[k])
            #expect(got.count == want.count && got.allSatisfy { close($0.value, want[$0.key]!, 1e-12) }, "batch \(k)")
            #expect(dictionary(triangles.results[k]) == Reference.triangles(edges))
            #expect(dictionary(inDegrees.results[k]) == Reference.degrees(edges).in)
        }
    }

    @Test func windowedGraphsHoldTheWindowsEdges() async throws {
        let ssc = manualContext()
        let graph = try ssc.queueStream(Self.batches).graph(scope: .window(length: .seconds(3), slide: .seconds(1)))
        let components = Collector(graph.connectedComponents())
        let labels = Collector(try graph.labelPropagation(maxSteps: 3))
        try await run(ssc, batches: 8)
        for k in 0..<8 {
            let window = Self.batches[max(0, k - 2)...k].flatMap { $0 }
            #expect(dictionary(components.results[k]) == Reference.components(window), "window ending at batch \(k)")
            #expect(dictionary(labels.results[k]) == Reference.labelPropagation(window, maxSteps: 3))
        }
    }

    @Test func accumulatedComponentsAreIncrementalAndEqualTheWholeGraphs() async throws {
        let ssc = manualContext()
        let graph = try ssc.queueStream(Self.batches).graph(scope: .accumulated)
        let all = Collector(graph.connectedComponents())
        let touched = Collector(graph.connectedComponents(output: .batchVertices))
        let degrees = Collector(graph.degrees)
        try await run(ssc, batches: 8)
        for k in 0..<8 {
            let soFar = Self.batches[0...k].flatMap { $0 }
            let want = Reference.components(soFar)
            #expect(dictionary(all.results[k]) == want, "after batch \(k)")
            let mine = Reference.vertices(Self.batches[k])
            #expect(touched.results[k].count == mine.count, "each of the batch's vertices once")
            #expect(dictionary(touched.results[k]) == want.filter { mine.contains($0.key) })
            #expect(dictionary(degrees.results[k]) == Reference.degrees(soFar).all)
        }
    }

    @Test func vertexRecordsGiveAttributesAndIsolatedVertices() async throws {
        let ssc = manualContext()
        let edges = ssc.queueStream([[Edge(srcId: 1, dstId: 2, attr: 2.0), Edge(srcId: 2, dstId: 3, attr: 3.0)]])
        let vertices = ssc.queueStream([[(VertexID(1), "a"), (VertexID(9), "lonely")]])
        let graph = try GraphStream(vertices: vertices, edges: edges, defaultVertexAttr: "-")
        let weights = Collector(graph.aggregateMessages(
            sendMsg: { (e: inout EdgeContext<String, Double, String>) in e.sendToDst("\(e.srcAttr):\(e.attr)") },
            mergeMsg: { $0 + "," + $1 }))
        let components = Collector(graph.connectedComponents())
        try await run(ssc, batches: 1)
        #expect(dictionary(weights.results[0]) == [2: "a:2.0", 3: "-:3.0"])
        #expect(dictionary(components.results[0]) == [1: 1, 2: 1, 3: 1, 9: 9])
    }

    @Test func badParametersFailAtDefinition() throws {
        let ssc = manualContext()
        let edges = ssc.queueStream(Self.batches)
        let graph = try edges.graph()
        #expect(throws: GraphError.self) { try graph.staticPageRank(numIter: 0) }
        #expect(throws: GraphError.self) { try graph.pageRank(tolerance: .nan) }
        #expect(throws: (any Error).self) { try edges.graph(scope: .window(length: .milliseconds(1500))) }
    }

    @Test func incrementalComponentsRecoverFromACheckpointAsIfNeverStopped() async throws {
        final class Program: Sendable {
            let all: Collector<(VertexID, VertexID)>
            let touched: Collector<(VertexID, VertexID)>
            init(_ ssc: StreamingContext) throws {
                let edges = ssc.queueStream(GraphStreamTests.batches).checkpoint(interval: .seconds(2))
                let graph = try edges.graph(scope: .accumulated)
                all = Collector(graph.connectedComponents().named("components"))
                touched = Collector(graph.connectedComponents(output: .batchVertices).named("touched"))
            }
        }
        let refCtx = manualContext()
        let reference = try Program(refCtx)
        try await run(refCtx, batches: 8)

        let dir = tempDir("components")
        defer { try? FileManager.default.removeItem(at: dir) }
        var first: Program?
        let ssc1 = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = manualContext()
            first = try Program(ssc)
            return ssc
        }
        try await ssc1.start()
        try await ssc1.advance(by: .seconds(5))
        await ssc1.stop(graceful: false)  // checkpoint at 4 s; batch 5 runs again
        var second: Program?
        let ssc2 = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = manualContext(parallelism: 3)
            second = try Program(ssc)
            return ssc
        }
        try await run(ssc2, batches: 4)
        let before = try #require(first), after = try #require(second)
        #expect(after.all.times == [5000, 6000, 7000, 8000])
        for (k, t) in [5000, 6000, 7000, 8000].enumerated() {
            let want = reference.all.results[t / 1000 - 1]
            #expect(dictionary(after.all.results[k]) == dictionary(want), "at \(t)")
            #expect(dictionary(after.touched.results[k]) == dictionary(reference.touched.results[t / 1000 - 1]))
        }
        #expect(dictionary(before.all.results[3]) == dictionary(reference.all.results[3]))
    }
}
