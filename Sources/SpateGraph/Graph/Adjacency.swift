/// Compressed sparse rows: vertex `v`'s neighbours are `neighbours[offsets[v]..<offsets[v + 1]]`, and
/// `edges` holds the index of the edge behind each neighbour. Built by one counting sort, O(V + E).
struct Adjacency: Sendable {
    /// V + 1 offsets into `neighbours`.
    let offsets: [Int]
    /// The neighbours' vertex indices, grouped by vertex.
    let neighbours: [Int32]
    /// The edge index of each entry of `neighbours`.
    let edges: [Int32]

    /// The rows of `from[e] -> to[e]` for `vertexCount` vertices.
    init(from: [Int32], to: [Int32], vertexCount: Int) {
        var offsets = [Int](repeating: 0, count: vertexCount + 1)
        for v in from { offsets[Int(v) + 1] += 1 }
        for v in 0..<vertexCount { offsets[v + 1] += offsets[v] }
        var next = offsets
        var neighbours = [Int32](repeating: 0, count: from.count)
        var edges = [Int32](repeating: 0, count: from.count)
        for e in 0..<from.count {
            let v = Int(from[e])
            neighbours[next[v]] = to[e]
            edges[next[v]] = Int32(e)
            next[v] += 1
        }
        self.offsets = offsets
        self.neighbours = neighbours
        self.edges = edges
    }

    /// Rows already built, without edge indices (the canonical undirected rows of `triangleCount`).
    init(offsets: [Int], neighbours: [Int32]) {
        self.offsets = offsets
        self.neighbours = neighbours
        self.edges = []
    }

    /// The number of entries of vertex `v`'s row.
    @inline(__always)
    func degree(_ v: Int) -> Int { offsets[v + 1] - offsets[v] }
}
