import Testing
@testable import SpateGraph

/// Each algorithm on one graph against `Reference` (plain GraphX semantics) on the R-MAT, grid and
/// disconnected graphs, plus small graphs whose answers are known by hand.
@Suite struct GraphAlgorithmTests {
    static let graphs = TestGraphs.all

    func graph(_ edges: [(VertexID, VertexID)]) throws -> Graph<Int, Int> {
        try Graph.fromEdgeTuples(edges, defaultValue: 1)
    }

    func expectClose(_ got: [(VertexID, Double)], _ want: [VertexID: Double], _ tol: Double, _ name: String) {
        #expect(got.count == want.count, "\(name): vertex count")
        for (v, x) in got { #expect(close(x, want[v] ?? .nan, tol), "\(name): vertex \(v) got \(x) want \(want[v] ?? .nan)") }
    }

    @Test(arguments: graphs.indices) func staticPageRankMatchesTheReference(_ i: Int) throws {
        let (name, edges) = Self.graphs[i]
        let got = try graph(edges).staticPageRank(numIter: 10)
        expectClose(got, Reference.staticPageRank(edges, numIter: 10), 1e-12, name)
        #expect(close(got.reduce(0) { $0 + $1.1 }, Double(got.count)), "GraphX's ranks sum to the vertex count")
    }

    @Test(arguments: graphs.indices) func dynamicPageRankMatchesTheReference(_ i: Int) throws {
        let (name, edges) = Self.graphs[i]
        let g = try graph(edges)
        expectClose(try g.pageRank(tolerance: 0.0001), Reference.pageRank(edges, tol: 0.0001), 1e-12, name)
        // Converged, the two forms agree.
        expectClose(try g.pageRank(tolerance: 1e-12), Reference.staticPageRank(edges, numIter: 300), 1e-8, name)
    }

    @Test(arguments: graphs.indices) func connectedComponentsMatchTheReference(_ i: Int) throws {
        let (name, edges) = Self.graphs[i]
        #expect(dictionary(try graph(edges).connectedComponents()) == Reference.components(edges), "\(name)")
    }

    @Test(arguments: graphs.indices) func triangleCountMatchesTheReference(_ i: Int) throws {
        let (name, edges) = Self.graphs[i]
        #expect(dictionary(try graph(edges).triangleCount()) == Reference.triangles(edges), "\(name)")
    }

    @Test(arguments: graphs.indices) func degreesMatchTheReference(_ i: Int) throws {
        let (name, edges) = Self.graphs[i]
        let g = try graph(edges), want = Reference.degrees(edges)
        #expect(dictionary(g.inDegrees) == want.in, "\(name)")
        #expect(dictionary(g.outDegrees) == want.out, "\(name)")
        #expect(dictionary(g.degrees) == want.all, "\(name)")
    }

    @Test(arguments: graphs.indices) func labelPropagationMatchesTheReference(_ i: Int) throws {
        let (name, edges) = Self.graphs[i]
        #expect(dictionary(try graph(edges).labelPropagation(maxSteps: 5)) == Reference.labelPropagation(edges, maxSteps: 5),
                "\(name)")
    }

    @Test(arguments: graphs.indices) func shortestPathsMatchTheReference(_ i: Int) throws {
        let (name, edges) = Self.graphs[i]
        let landmarks = [edges[0].0, edges[edges.count / 2].1, edges.last!.1, -1]
        let got = try graph(edges).shortestPaths(landmarks: landmarks)
        #expect(dictionary(got) == Reference.shortestPaths(edges, landmarks: landmarks), "\(name)")
    }

    @Test func aggregateMessagesCountsAndSumsPerVertex() throws {
        let edges = TestGraphs.rmat(scale: 9, edges: 3000, seed: 3, simple: false)
        let g = try graph(edges)
        // In-degree and the sum of the sources' ids, sent to the destination.
        let got = g.aggregateMessages(sendMsg: { (e: inout EdgeContext<Int, Int, [VertexID]>) in e.sendToDst([1, e.srcId]) },
                                      mergeMsg: { [$0[0] + $1[0], $0[1] + $1[1]] })
        var want: [VertexID: [VertexID]] = [:]
        for (s, d) in edges { want[d, default: [0, 0]][0] += 1; want[d]![1] += s }
        #expect(dictionary(got) == want)
    }

    @Test func pregelComputesHopCountsFromASource() throws {
        let edges = TestGraphs.grid(width: 12, height: 9) + TestGraphs.rmat(scale: 7, edges: 400, seed: 5, base: 200)
        let g = try graph(edges).mapVertices { id, _ in id == 0 ? 0.0 : .infinity }
        let hops = g.pregel(initialMsg: Double.infinity, activeDirection: .out, vprog: { _, d, m in min(d, m) },
                            sendMsg: { e in if e.srcAttr + 1 < e.dstAttr { e.sendToDst(e.srcAttr + 1) } },
                            mergeMsg: min)
        // Hops from 0 forward = hops to 0 on the reversed graph.
        let reversed = edges.map { ($0.1, $0.0) }
        let want = Reference.shortestPaths(reversed, landmarks: [0]).mapValues { $0[0].map(Double.init) ?? .infinity }
        #expect(dictionary(hops.vertices) == want)
    }

    @Test func pregelStopsAfterMaxIterations() throws {
        // A path 0 -> 1 -> ... -> 9: after 3 rounds the label has moved 3 hops.
        let g = try graph((0..<9).map { (VertexID($0), VertexID($0 + 1)) }).mapVertices { id, _ in id == 0 ? 1 : 0 }
        let out = g.pregel(initialMsg: 0, maxIterations: 3, activeDirection: .out, vprog: { _, a, m in max(a, m) },
                           sendMsg: { e in if e.srcAttr > e.dstAttr { e.sendToDst(e.srcAttr) } }, mergeMsg: max)
        #expect(dictionary(out.vertices).filter { $0.value == 1 }.keys.sorted() == [0, 1, 2, 3])
    }

    @Test func knownSmallGraphs() throws {
        // GraphX's conventions on a graph one can check by hand.
        let g = try graph([(1, 2), (2, 3), (3, 1), (3, 4), (5, 6), (4, 4)])
        #expect(dictionary(g.connectedComponents()) == [1: 1, 2: 1, 3: 1, 4: 1, 5: 5, 6: 5])
        #expect(dictionary(g.triangleCount()) == [1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 6: 0])
        #expect(dictionary(g.degrees)[4] == 3, "a self-loop counts in and out")
        #expect(dictionary(g.outDegrees)[6] == nil, "a vertex without out-edges is not listed")
        let ranks = try g.staticPageRank(numIter: 1)
        // One iteration from 1: vertex 5 has no in-edges, so 0.15 before scaling.
        let sum = 0.15 + (0.15 + 0.85 * 0.5) + 1 + 1 + (0.15 + 0.85 * 1.5) + 1
        #expect(close(dictionary(ranks)[5]!, 0.15 * 6 / sum))
    }

    @Test func badParametersAreTypedErrorsThatNameTheFix() throws {
        let g = try graph([(1, 2)])
        #expect(throws: GraphError.self) { try g.staticPageRank(numIter: 0) }
        #expect(throws: GraphError.self) { try g.pageRank(tolerance: -1) }
        #expect(throws: GraphError.self) { try g.pageRank(tolerance: 0.01, resetProbability: 1) }
        #expect(throws: GraphError.self) { try g.labelPropagation(maxSteps: 0) }
        do {
            _ = try g.staticPageRank(numIter: 10, resetProbability: 1.5)
            Issue.record("no error")
        } catch {
            #expect(error.description.contains("a probability in [0, 1]"))
        }
    }

    @Test func verticesWithoutEdgesAndAttributesStayInTheGraph() throws {
        let g = try Graph(vertices: [(7, "seven"), (1, "one")], edges: [Edge(srcId: 1, dstId: 2, attr: 0.5)],
                          defaultVertexAttr: "?")
        #expect(g.numVertices == 3)
        #expect(g.attribute(of: 2) == "?")
        #expect(g.attribute(of: 7) == "seven")
        #expect(dictionary(g.connectedComponents()) == [7: 7, 1: 1, 2: 1])
        #expect(g.edges.map(\.attr) == [0.5])
    }
}
