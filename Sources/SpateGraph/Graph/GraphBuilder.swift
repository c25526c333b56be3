/// A graph being built: indexed vertices and flat edge arrays that edges and vertices extend one at a time
/// (O(1) each). It builds each batch's or window's graph, and is the state of a graph accumulated over a
/// whole stream (checkpointed when `VD` and `ED` are Codable).
struct GraphBuilder<VD: Sendable, ED: Sendable>: Sendable {
    private var index = VertexIndex()
    private var attributes: [VD] = []
    private var src: [Int32] = []
    private var dst: [Int32] = []
    private var edgeAttributes: [ED] = []
    /// The attribute of an edge's endpoint not given as a vertex.
    let defaultVertexAttr: VD

    /// An empty graph whose edges' new endpoints get `defaultVertexAttr`; `edges` reserves room.
    init(defaultVertexAttr: VD, edges: Int = 0) {
        self.defaultVertexAttr = defaultVertexAttr
        index = VertexIndex(capacity: edges / 4)
        src.reserveCapacity(edges)
        dst.reserveCapacity(edges)
        edgeAttributes.reserveCapacity(edges)
    }

    /// Adds an edge.
    @inline(__always)
    mutating func addEdge(_ srcId: VertexID, _ dstId: VertexID, _ attr: ED) throws(GraphError) {
        src.append(try vertex(srcId))
        dst.append(try vertex(dstId))
        edgeAttributes.append(attr)
    }

    /// Adds vertex `id` or replaces its attribute (the last one given wins).
    mutating func setVertex(_ id: VertexID, _ attr: VD) throws(GraphError) {
        attributes[Int(try vertex(id))] = attr
    }

    /// Adds a batch's edges and vertices.
    mutating func add(_ elements: [[GraphElement<VD, ED>]]) throws(GraphError) {
        for part in elements {
            for element in part {
                switch element {
                case let .edge(edge): try addEdge(edge.srcId, edge.dstId, edge.attr)
                case let .vertex(id, attr): try setVertex(id, attr)
                }
            }
        }
    }

    @inline(__always)
    private mutating func vertex(_ id: VertexID) throws(GraphError) -> Int32 {
        let v = try index.insert(id)
        if Int(v) == attributes.count { attributes.append(defaultVertexAttr) }
        return v
    }

    /// The graph of everything added so far (the arrays are shared, copy-on-write).
    var graph: Graph<VD, ED> {
        Graph(index: index, attributes: attributes, src: src, dst: dst, edgeAttributes: edgeAttributes)
    }
}

extension GraphBuilder: Codable where VD: Codable, ED: Codable {}
