/// The state of connected components over a stream: the vertices seen so far and their disjoint sets, which
/// each batch's edges extend (GraphX recomputes the whole graph instead).
struct IncrementalComponents: Sendable, Codable {
    var index = VertexIndex()
    var sets = UnionFind(ids: [])

    /// Merges the sets of each edge's endpoints and adds the vertices; returns the indices of the vertices
    /// and endpoints.
    mutating func add<VD, ED>(_ elements: [[GraphElement<VD, ED>]]) throws(GraphError) -> [Int32] {
        var touched: [Int32] = []
        touched.reserveCapacity(elements.reduce(0) { $0 + $1.count } * 2)
        for part in elements {
            for element in part {
                switch element {
                case let .edge(edge):
                    let a = try vertex(edge.srcId), b = try vertex(edge.dstId)
                    sets.union(a, b)
                    touched.append(a)
                    touched.append(b)
                case let .vertex(id, _):
                    touched.append(try vertex(id))
                }
            }
        }
        return touched
    }

    private mutating func vertex(_ id: VertexID) throws(GraphError) -> Int32 {
        let v = try index.insert(id)
        if Int(v) == sets.count { sets.append(id: id) }
        return v
    }

    /// Each of `vertices` (indices, repeats allowed) once, with its component id.
    mutating func components(of vertices: [Int32]) -> [(VertexID, VertexID)] {
        let ids = index.ids
        var out: [(VertexID, VertexID)] = []
        out.reserveCapacity(vertices.count / 2)
        var last: Int32 = -1
        for v in vertices.sorted() where v != last {
            out.append((ids[Int(v)], sets.component(v)))
            last = v
        }
        return out
    }

    /// Every vertex with its component id.
    mutating func allComponents() -> [(VertexID, VertexID)] {
        let ids = index.ids
        return (0..<Int32(ids.count)).map { (ids[Int($0)], sets.component($0)) }
    }
}
