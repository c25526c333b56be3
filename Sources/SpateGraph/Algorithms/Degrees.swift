extension Graph {
    /// Each vertex's number of incoming edges (GraphX's `inDegrees`), for the vertices that have any.
    /// - Complexity: O(V).
    public var inDegrees: [(VertexID, Int)] { Self.nonZero(index.ids) { inAdjacency.degree($0) } }

    /// Each vertex's number of outgoing edges (GraphX's `outDegrees`), for the vertices that have any.
    /// - Complexity: O(V).
    public var outDegrees: [(VertexID, Int)] { Self.nonZero(index.ids) { outAdjacency.degree($0) } }

    /// Each vertex's number of edges, in plus out (a self-loop counts twice; GraphX's `degrees`), for the
    /// vertices that have any.
    /// - Complexity: O(V).
    public var degrees: [(VertexID, Int)] {
        Self.nonZero(index.ids) { inAdjacency.degree($0) + outAdjacency.degree($0) }
    }

    private static func nonZero(_ ids: [VertexID], _ degree: (Int) -> Int) -> [(VertexID, Int)] {
        var out: [(VertexID, Int)] = []
        out.reserveCapacity(ids.count)
        for v in 0..<ids.count {
            let d = degree(v)
            if d > 0 { out.append((ids[v], d)) }
        }
        return out
    }
}
