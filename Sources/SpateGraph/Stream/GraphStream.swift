import Spate
import Synchronization

/// A graph per batch of a stream of edges (and optionally vertices), the streaming form of GraphX's `Graph`:
/// the graph of each batch, of a window, or of everything so far (`GraphScope`), and GraphX's algorithms on
/// it with results as DStreams, so they go to any sink and to the dashboard.
///
/// ```swift
/// let follows: DStream<(VertexID, VertexID)> = ...
/// let graph = try follows.graph(scope: .window(length: .seconds(60), slide: .seconds(5)))
/// try graph.pageRank(tolerance: 0.0001).print()             // DStream<(VertexID, Double)>
/// let components = try follows.graph(scope: .accumulated).connectedComponents()
/// ```
/// Each batch builds its graph once (one pass over its edges into flat arrays), however many algorithms
/// read it. Over `.accumulated` the graph is a state that each batch extends and that goes into checkpoints;
/// `connectedComponents()` there keeps only a union-find of the vertices (no edges) that each batch extends.
public final class GraphStream<VD: Sendable, ED: Sendable>: Sendable {
    /// Which edges make each batch's graph.
    public let scope: GraphScope
    /// The attribute of an edge's endpoint that no vertex record gave.
    public let defaultVertexAttr: VD
    /// Every edge and vertex record, before the scope's window.
    let elements: DStream<GraphElement<VD, ED>>
    /// The records of each batch's graph: `elements`, or their window.
    private let scoped: DStream<GraphElement<VD, ED>>
    /// The graphs, made on first use (so an accumulated scope keeps edges only when an algorithm needs them).
    private let madeGraphs = Mutex<DStream<Graph<VD, ED>>?>(nil)

    /// The graphs of `edges` and `vertices` in `scope` (GraphX's `Graph(vertices, edges, defaultVertexAttr)`
    /// per batch). Throws `SpateError` for a window that is not a multiple of the batch interval.
    public init(
        vertices: DStream<(VertexID, VD)>? = nil, edges: DStream<Edge<ED>>, defaultVertexAttr: VD,
        scope: GraphScope = .batch
    ) throws {
        let edgeElements = edges.map { GraphElement<VD, ED>.edge($0) }
        elements = vertices.map { edgeElements.union($0.map { GraphElement<VD, ED>.vertex($0.0, $0.1) }) } ?? edgeElements
        self.defaultVertexAttr = defaultVertexAttr
        self.scope = scope
        if case let .window(length, slide) = scope {
            scoped = try elements.window(length: length, slide: slide)
        } else {
            scoped = elements
        }
    }

    /// The graph of each batch, one `Graph` per batch.
    public var graphs: DStream<Graph<VD, ED>> {
        madeGraphs.withLock { made in
            if let made { return made }
            let graphs = makeGraphs()
            made = graphs
            return graphs
        }
    }

    private func makeGraphs() -> DStream<Graph<VD, ED>> {
        let defaultAttr = defaultVertexAttr
        let perBatch = { (records: DStream<GraphElement<VD, ED>>) in
            records.transform { batch in
                var builder = GraphBuilder<VD, ED>(defaultVertexAttr: defaultAttr, edges: batch.count)
                try builder.add(batch.partitions)
                return Batch(time: batch.time, partitions: [[builder.graph]])
            }
        }
        switch scope {
        case .batch, .window:
            return perBatch(scoped)
        case .accumulated:
            return elements.singleValueStateStream(
                "graph(.accumulated)", kind: "SpateGraph.accumulated<\(VD.self), \(ED.self)>",
                initial: { GraphBuilder(defaultVertexAttr: defaultAttr) }
            ) { records, _, builder in
                try builder.add(records)
                return [[builder.graph]]
            }
        }
    }

    /// Runs `algorithm` on each batch's graph; its pairs are the batch of the result.
    func perGraph<R: Sendable>(_ algorithm: @escaping @Sendable (Graph<VD, ED>) throws -> [R]) -> DStream<R> {
        graphs.flatMap { try algorithm($0) }
    }
}

extension GraphStream where ED == Int {
    /// The graphs of a stream of `(source, destination)` pairs, every vertex with `defaultValue` and every
    /// edge with attribute 1 (GraphX's `Graph.fromEdgeTuples`).
    public static func fromEdgeTuples(
        _ edges: DStream<(VertexID, VertexID)>, defaultValue: VD, scope: GraphScope = .batch
    ) throws -> GraphStream<VD, Int> {
        try GraphStream(edges: edges.map { Edge(srcId: $0.0, dstId: $0.1, attr: 1) }, defaultVertexAttr: defaultValue,
                        scope: scope)
    }
}

extension GraphStream {
    /// The graphs of a stream of edges, every vertex with `defaultValue` (GraphX's `Graph.fromEdges`).
    public static func fromEdges(
        _ edges: DStream<Edge<ED>>, defaultValue: VD, scope: GraphScope = .batch
    ) throws -> GraphStream<VD, ED> {
        try GraphStream(edges: edges, defaultVertexAttr: defaultValue, scope: scope)
    }
}

extension DStream where T == (VertexID, VertexID) {
    /// The graphs of this stream of `(source, destination)` pairs in `scope`, vertices and edges with
    /// attribute 1 (GraphX's `Graph.fromEdgeTuples(edges, 1)`).
    public func graph(scope: GraphScope = .batch) throws -> GraphStream<Int, Int> {
        try GraphStream.fromEdgeTuples(self, defaultValue: 1, scope: scope)
    }
}
