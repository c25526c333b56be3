extension Graph {
    /// The connected components, treating edges as undirected (GraphX's `connectedComponents()`): each vertex
    /// with its component's id, the smallest vertex id in the component. Computed by union-find, not by
    /// GraphX's label passing, to the same result.
    /// - Complexity: O(V + E α(V)).
    public func connectedComponents() -> [(VertexID, VertexID)] { byVertex(componentValues()) }

    func componentValues() -> [VertexID] {
        var sets = UnionFind(ids: index.ids)
        for e in 0..<src.count { sets.union(src[e], dst[e]) }
        return (0..<Int32(numVertices)).map { sets.component($0) }
    }
}
