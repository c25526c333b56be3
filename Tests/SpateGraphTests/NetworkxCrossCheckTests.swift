import Foundation
import Testing
@testable import SpateGraph

/// Every algorithm against networkx on the machine's Python, on the R-MAT, grid and disconnected graphs:
/// the test writes the graphs and Spate's results as JSON and a checker script beside them, runs `python3`
/// on it (the script installs networkx with pip when it is missing), and fails with the script's report.
/// GraphX's conventions are checked where they differ from networkx's (docs/GRAPH.md): ranks are
/// networkx's times the vertex count, a component's id is its smallest vertex id, triangles are counted on
/// the undirected graph; label propagation has no synchronous form in networkx, so the script checks it
/// against its own plain-Python GraphX step over networkx's neighbour lists.
@Suite struct NetworkxCrossCheckTests {
    struct Checked: Encodable {
        let name: String
        let edges: [[VertexID]]
        let landmarks: [VertexID]
        let pageRank: [String: Double]
        let staticPageRank: [String: Double]
        let components: [String: VertexID]
        let triangles: [String: Int]
        let inDegrees: [String: Int]
        let outDegrees: [String: Int]
        let degrees: [String: Int]
        let labels: [String: VertexID]
        let shortestPaths: [String: [String: Int]]
    }

    static func keyed<V>(_ pairs: [(VertexID, V)]) -> [String: V] {
        Dictionary(uniqueKeysWithValues: pairs.map { ("\($0.0)", $0.1) })
    }

    @Test func everyAlgorithmAgreesWithNetworkx() throws {
        var checked: [Checked] = []
        for (name, edges) in TestGraphs.all {
            let g = try Graph.fromEdgeTuples(edges, defaultValue: 1)
            let landmarks = [edges[0].0, edges[edges.count / 3].1, edges.last!.1]
            checked.append(Checked(
                name: name, edges: edges.map { [$0.0, $0.1] }, landmarks: landmarks,
                pageRank: Self.keyed(try g.pageRank(tolerance: 1e-10)),
                staticPageRank: Self.keyed(try g.staticPageRank(numIter: 200)),
                components: Self.keyed(g.connectedComponents()), triangles: Self.keyed(g.triangleCount()),
                inDegrees: Self.keyed(g.inDegrees), outDegrees: Self.keyed(g.outDegrees), degrees: Self.keyed(g.degrees),
                labels: Self.keyed(try g.labelPropagation(maxSteps: 5)),
                shortestPaths: Self.keyed(g.shortestPaths(landmarks: landmarks).map { ($0.0, Self.keyed(Array($0.1))) })))
        }
        let dir = tempDir("networkx")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("graphs.json"), script = dir.appendingPathComponent("check.py")
        try JSONEncoder().encode(checked).write(to: data)
        try Self.checker.write(to: script, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, data.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "networkx disagrees (or python3 is missing):\n\(report)")
        #expect(report.contains("checked 3 graphs"), "\(report)")
    }

    static let checker = #"""
    import json, subprocess, sys
    try:
        import networkx as nx
        import scipy  # networkx's pagerank needs it
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "networkx", "scipy"])
        import networkx as nx

    failures = []

    def expect(ok, what):
        if not ok and len(failures) < 30:
            failures.append(what)

    def keyed(d):
        return {int(k): v for k, v in d.items()}

    def same(name, field, ours, want):
        ours = keyed(ours)
        expect(set(ours) == set(want), f"{name} {field}: vertex sets differ ({len(ours)} vs {len(want)})")
        for v, w in want.items():
            expect(ours.get(v) == w, f"{name} {field}: vertex {v} spate {ours.get(v)} networkx {w}")

    def graphx_label_propagation(G, steps):
        # GraphX's synchronous step over networkx's neighbour lists; ties to the smallest label.
        labels = {v: v for v in G}
        for _ in range(steps):
            new = dict(labels)
            for v in G:
                counts = {}
                for w in list(G.successors(v)) + list(G.predecessors(v)):
                    counts[labels[w]] = counts.get(labels[w], 0) + 1
                if counts:
                    best = max(counts.values())
                    new[v] = min(l for l, c in counts.items() if c == best)
            labels = new
        return labels

    data = json.load(open(sys.argv[1]))
    for g in data:
        name = g["name"]
        G = nx.DiGraph()
        G.add_edges_from(tuple(e) for e in g["edges"])
        n = G.number_of_nodes()
        # PageRank: GraphX's ranks sum to n; networkx's to 1 (and its sinks' rank is spread evenly, which
        # rescales the same vector), so GraphX = n x networkx.
        pr = nx.pagerank(G, alpha=0.85, tol=1e-13, max_iter=10000)
        for field in ("pageRank", "staticPageRank"):
            ours = keyed(g[field])
            expect(set(ours) == set(pr), f"{name} {field}: vertex sets differ")
            for v, x in pr.items():
                want = x * n
                expect(abs(ours.get(v, float("nan")) - want) <= 1e-6 * max(1.0, want),
                       f"{name} {field}: vertex {v} spate {ours.get(v)} networkx x n {want}")
        components = {}
        for c in nx.weakly_connected_components(G):
            smallest = min(c)
            for v in c:
                components[v] = smallest
        same(name, "components", g["components"], components)
        same(name, "triangles", g["triangles"], nx.triangles(G.to_undirected()))
        same(name, "inDegrees", g["inDegrees"], {v: d for v, d in G.in_degree() if d > 0})
        same(name, "outDegrees", g["outDegrees"], {v: d for v, d in G.out_degree() if d > 0})
        same(name, "degrees", g["degrees"], {v: d for v, d in G.degree() if d > 0})
        same(name, "labels", g["labels"], graphx_label_propagation(G, 5))
        paths = {v: {} for v in G}
        for landmark in g["landmarks"]:
            for v, d in nx.shortest_path_length(G, target=landmark).items():
                paths[v][landmark] = d
        same(name, "shortestPaths", {k: keyed(m) for k, m in g["shortestPaths"].items()}, paths)

    print(f"checked {len(data)} graphs with networkx {nx.__version__}: {len(failures)} failures")
    for f in failures:
        print(f)
    sys.exit(1 if failures else 0)
    """#
}
