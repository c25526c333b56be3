/// A directed multigraph with vertex attributes `VD` and edge attributes `ED` (GraphX's `Graph[VD, ED]`),
/// the per-batch or per-window dataset of a `GraphStream`, also usable on its own (inside `foreachBatch`, in
/// tests).
///
/// ```swift
/// let graph = try Graph.fromEdgeTuples([(1, 2), (2, 3), (3, 1)], defaultValue: 0)
/// let ranks = try graph.staticPageRank(numIter: 10)      // [(VertexID, Double)]
/// ```
/// Stored flat: vertices are dense Int32 indices (ids in order of first appearance), edges are two index
/// arrays, and the out- and in-adjacency are compressed sparse rows, so the algorithms loop over arrays and
/// never look an id up per edge. Multi-edges and self-loops are kept, as GraphX keeps them.
public struct Graph<VD: Sendable, ED: Sendable>: Sendable {
    let index: VertexIndex
    /// Each vertex's attribute, by vertex index.
    let attributes: [VD]
    /// Each edge's source and destination vertex index.
    let src: [Int32]
    let dst: [Int32]
    /// Each edge's attribute.
    let edgeAttributes: [ED]
    /// Outgoing edges by source, incoming edges by destination.
    let outAdjacency: Adjacency
    let inAdjacency: Adjacency

    /// A graph over vertices already indexed (`attributes` by index) and edges between their indices.
    init(index: VertexIndex, attributes: [VD], src: [Int32], dst: [Int32], edgeAttributes: [ED]) {
        self.index = index
        self.attributes = attributes
        self.src = src
        self.dst = dst
        self.edgeAttributes = edgeAttributes
        outAdjacency = Adjacency(from: src, to: dst, vertexCount: index.count)
        inAdjacency = Adjacency(from: dst, to: src, vertexCount: index.count)
    }

    /// The graph of `edges` and `vertices` (GraphX's `Graph(vertices, edges, defaultVertexAttr)`): a vertex
    /// listed twice keeps its last attribute; an edge's endpoint that is not listed gets `defaultVertexAttr`;
    /// listed vertices without edges stay in the graph. O(V + E).
    public init(
        vertices: [(VertexID, VD)] = [], edges: some Collection<Edge<ED>>, defaultVertexAttr: VD
    ) throws(GraphError) {
        var builder = GraphBuilder<VD, ED>(defaultVertexAttr: defaultVertexAttr, edges: edges.count)
        for (id, attr) in vertices { try builder.setVertex(id, attr) }
        for edge in edges { try builder.addEdge(edge.srcId, edge.dstId, edge.attr) }
        self = builder.graph
    }

    /// The number of vertices.
    public var numVertices: Int { index.count }
    /// The number of edges (each multi-edge counted).
    public var numEdges: Int { src.count }

    /// The vertices with their attributes.
    public var vertices: [(VertexID, VD)] { Array(zip(index.ids, attributes)) }

    /// The edges with their attributes, in the order they were given.
    public var edges: [Edge<ED>] {
        let ids = index.ids
        return (0..<src.count).map { e in
            Edge(srcId: ids[Int(src[e])], dstId: ids[Int(dst[e])], attr: edgeAttributes[e])
        }
    }

    /// The attribute of vertex `id`, or nil when the graph has no such vertex.
    public func attribute(of id: VertexID) -> VD? { index.index(of: id).map { attributes[Int($0)] } }

    /// The graph with each vertex's attribute replaced by `transform(id, attribute)` (GraphX's `mapVertices`);
    /// the structure is shared, not rebuilt.
    public func mapVertices<VD2: Sendable>(_ transform: (VertexID, VD) throws -> VD2) rethrows -> Graph<VD2, ED> {
        let ids = index.ids
        var mapped: [VD2] = []
        mapped.reserveCapacity(attributes.count)
        for v in 0..<attributes.count { mapped.append(try transform(ids[v], attributes[v])) }
        return Graph<VD2, ED>(sharing: self, attributes: mapped)
    }

    /// A graph with this one's structure and other vertex attributes.
    init<Other: Sendable>(sharing other: Graph<Other, ED>, attributes: [VD]) {
        index = other.index
        self.attributes = attributes
        src = other.src
        dst = other.dst
        edgeAttributes = other.edgeAttributes
        outAdjacency = other.outAdjacency
        inAdjacency = other.inAdjacency
    }

    /// Pairs each vertex id with its value in `values` (by vertex index).
    func byVertex<V>(_ values: [V]) -> [(VertexID, V)] { Array(zip(index.ids, values)) }
}

extension Graph where ED == Int {
    /// The graph of `(source, destination)` pairs, every vertex with `defaultValue` and every edge with
    /// attribute 1 (GraphX's `Graph.fromEdgeTuples`). O(E).
    public static func fromEdgeTuples(
        _ pairs: some Collection<(VertexID, VertexID)>, defaultValue: VD
    ) throws(GraphError) -> Graph<VD, Int> {
        var builder = GraphBuilder<VD, Int>(defaultVertexAttr: defaultValue, edges: pairs.count)
        for (s, d) in pairs { try builder.addEdge(s, d, 1) }
        return builder.graph
    }
}
