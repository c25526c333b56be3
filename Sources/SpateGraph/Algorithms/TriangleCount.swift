extension Graph {
    /// The number of triangles through each vertex (GraphX's `triangleCount()`), on the canonical graph:
    /// edges undirected, self-loops and duplicate edges dropped, so a triangle is three distinct vertices
    /// pairwise joined in either direction. Every vertex is listed, with 0 when it is in none.
    /// - Complexity: O(E^1.5) worst case: each undirected edge is oriented from the endpoint of lower degree
    ///   to the higher, and each triangle found once by merging two sorted oriented rows.
    public func triangleCount() -> [(VertexID, Int)] { byVertex(triangleValues()) }

    func triangleValues() -> [Int] {
        let n = numVertices
        let rows = Self.canonicalRows(src: src, dst: dst, vertexCount: n)
        // Orient each edge towards the endpoint that comes later in (degree, index) order.
        var degree = [Int](repeating: 0, count: n)
        for v in 0..<n { degree[v] = rows.degree(v) }
        func before(_ a: Int, _ b: Int) -> Bool { degree[a] < degree[b] || (degree[a] == degree[b] && a < b) }
        var offsets = [Int](repeating: 0, count: n + 1)
        var forward: [Int32] = []
        forward.reserveCapacity(rows.neighbours.count / 2)
        for v in 0..<n {
            for i in rows.offsets[v]..<rows.offsets[v + 1] where before(v, Int(rows.neighbours[i])) {
                forward.append(rows.neighbours[i])
            }
            offsets[v + 1] = forward.count
        }
        var counts = [Int](repeating: 0, count: n)
        forward.withUnsafeBufferPointer { f in
            for v in 0..<n {
                for i in offsets[v]..<offsets[v + 1] {
                    let w = Int(f[i])
                    // Rows are sorted by index: merge v's and w's to find their common forward neighbours.
                    var a = offsets[v], b = offsets[w]
                    let aEnd = offsets[v + 1], bEnd = offsets[w + 1]
                    while a < aEnd, b < bEnd {
                        let x = f[a], y = f[b]
                        if x < y {
                            a += 1
                        } else if y < x {
                            b += 1
                        } else {
                            counts[v] += 1
                            counts[w] += 1
                            counts[Int(x)] += 1
                            a += 1
                            b += 1
                        }
                    }
                }
            }
        }
        return counts
    }

    /// The undirected rows of the canonical graph: each vertex's distinct neighbours other than itself,
    /// sorted by index.
    static func canonicalRows(src: [Int32], dst: [Int32], vertexCount n: Int) -> Adjacency {
        var from: [Int32] = [], to: [Int32] = []
        from.reserveCapacity(src.count * 2)
        to.reserveCapacity(src.count * 2)
        for e in 0..<src.count where src[e] != dst[e] {
            from.append(src[e]); to.append(dst[e])
            from.append(dst[e]); to.append(src[e])
        }
        let both = Adjacency(from: from, to: to, vertexCount: n)
        var offsets = [Int](repeating: 0, count: n + 1)
        var neighbours: [Int32] = []
        neighbours.reserveCapacity(both.neighbours.count)
        var row: [Int32] = []
        for v in 0..<n {
            row.removeAll(keepingCapacity: true)
            row.append(contentsOf: both.neighbours[both.offsets[v]..<both.offsets[v + 1]])
            row.sort()
            var last: Int32 = -1
            for w in row where w != last {
                neighbours.append(w)
                last = w
            }
            offsets[v + 1] = neighbours.count
        }
        return Adjacency(offsets: offsets, neighbours: neighbours)
    }
}
