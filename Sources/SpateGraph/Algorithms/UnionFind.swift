/// Disjoint sets over vertex indices that know each set's smallest vertex id: the state of connected
/// components (per graph, and across batches in `GraphStream.connectedComponents()`). Union by size with path
/// halving, so a batch of m edges costs O(m α(V)).
struct UnionFind: Sendable, Codable {
    private var parent: [Int32] = []
    private var size: [Int32] = []
    /// The smallest vertex id of each set, at its root.
    private var smallest: [VertexID] = []

    /// Union-find over `count` singletons whose ids are `ids`.
    init(ids: [VertexID]) {
        parent = Array(0..<Int32(ids.count))
        size = Array(repeating: 1, count: ids.count)
        smallest = ids
    }

    /// The number of elements.
    var count: Int { parent.count }

    /// Adds a singleton for the vertex `id` (its index is the current count).
    mutating func append(id: VertexID) {
        parent.append(Int32(parent.count))
        size.append(1)
        smallest.append(id)
    }

    /// The root of `x`'s set.
    @inline(__always)
    mutating func find(_ x: Int32) -> Int32 {
        var x = x
        while parent[Int(x)] != x {
            let grand = parent[Int(parent[Int(x)])]
            parent[Int(x)] = grand
            x = grand
        }
        return x
    }

    /// Merges the sets of `a` and `b`; returns whether they were apart.
    @inline(__always)
    @discardableResult
    mutating func union(_ a: Int32, _ b: Int32) -> Bool {
        var ra = find(a), rb = find(b)
        if ra == rb { return false }
        if size[Int(ra)] < size[Int(rb)] { swap(&ra, &rb) }
        parent[Int(rb)] = ra
        size[Int(ra)] += size[Int(rb)]
        smallest[Int(ra)] = Swift.min(smallest[Int(ra)], smallest[Int(rb)])
        return true
    }

    /// The component id of `x`: the smallest vertex id of its set (GraphX's convention).
    @inline(__always)
    mutating func component(_ x: Int32) -> VertexID { smallest[Int(find(x))] }
}
