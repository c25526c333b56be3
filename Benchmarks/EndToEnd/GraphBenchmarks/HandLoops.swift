import SpateGraph

/// The best a program could do by hand on flat adjacency arrays, with no graph type: the baselines the
/// engine's algorithms are measured beside. Each takes the edge list as two dense-index arrays.
struct FlatEdges {
    let n: Int
    let src: [Int32]
    let dst: [Int32]
    /// The vertex id of each index (to check the results against the engine's, by id).
    let ids: [VertexID]

    /// Dense indices for the ids by one hash pass (the hand-written "load").
    init(_ edges: [(VertexID, VertexID)]) {
        var index: [VertexID: Int32] = [:]
        index.reserveCapacity(edges.count / 8)
        var src = [Int32](), dst = [Int32](), ids = [VertexID]()
        src.reserveCapacity(edges.count)
        dst.reserveCapacity(edges.count)
        func id(_ v: VertexID) -> Int32 {
            if let i = index[v] { return i }
            let i = Int32(index.count)
            index[v] = i
            ids.append(v)
            return i
        }
        for (s, d) in edges {
            src.append(id(s))
            dst.append(id(d))
        }
        n = index.count
        self.src = src
        self.dst = dst
        self.ids = ids
    }

    /// Ten (or `iterations`) PageRank steps pushing along the edge list, GraphX's formula, then scaled.
    func pageRank(iterations: Int, reset r: Double = 0.15) -> [Double] {
        var outDegree = [Double](repeating: 0, count: n)
        for s in src { outDegree[Int(s)] += 1 }
        var rank = [Double](repeating: 1, count: n)
        var sums = [Double](repeating: 0, count: n)
        for _ in 0..<iterations {
            for v in 0..<n { sums[v] = 0 }
            src.withUnsafeBufferPointer { s in
                dst.withUnsafeBufferPointer { d in
                    for e in 0..<s.count { sums[Int(d[e])] += rank[Int(s[e])] / outDegree[Int(s[e])] }
                }
            }
            for v in 0..<n { rank[v] = r + (1 - r) * sums[v] }
        }
        let total = rank.reduce(0, +)
        return rank.map { $0 * Double(n) / total }
    }

    /// Connected components by union-find with path halving; the smallest index per component.
    func components() -> [Int32] {
        var parent = Array(0..<Int32(n))
        func find(_ x: Int32) -> Int32 {
            var x = x
            while parent[Int(x)] != x {
                parent[Int(x)] = parent[Int(parent[Int(x)])]
                x = parent[Int(x)]
            }
            return x
        }
        for e in 0..<src.count {
            let a = find(src[e]), b = find(dst[e])
            if a != b { parent[Int(max(a, b))] = min(a, b) }
        }
        return (0..<Int32(n)).map { find($0) }
    }

    /// In- plus out-degree per vertex.
    func degrees() -> [Int32] {
        var degree = [Int32](repeating: 0, count: n)
        for e in 0..<src.count {
            degree[Int(src[e])] += 1
            degree[Int(dst[e])] += 1
        }
        return degree
    }
}

/// The same graph as compressed sparse rows (flat offset and neighbour arrays, in- and out-), the layout the
/// engine's Graph uses, with the hand loops written on it as tight as plain Swift allows (unsafe buffers, no
/// bounds checks, no per-edge division): the strong baseline.
struct CSR {
    let n: Int
    let src: [Int32]
    let dst: [Int32]
    /// In-edges of v: inFrom[inOffsets[v]..<inOffsets[v + 1]].
    let inOffsets: [Int32]
    let inFrom: [Int32]
    let outOffsets: [Int32]

    /// Counting sort of the edge list by destination (and the out-offsets by source): O(V + E).
    init(_ flat: FlatEdges) {
        let n = flat.n, src = flat.src, dst = flat.dst
        let m = src.count
        var inOffsets = [Int32](repeating: 0, count: n + 1)
        var outOffsets = [Int32](repeating: 0, count: n + 1)
        var inFrom = [Int32](repeating: 0, count: m)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeBufferPointer { d in
                inOffsets.withUnsafeMutableBufferPointer { io in
                    outOffsets.withUnsafeMutableBufferPointer { oo in
                        for e in 0..<m { io[Int(d[e]) + 1] &+= 1; oo[Int(s[e]) + 1] &+= 1 }
                        for v in 0..<n { io[v + 1] &+= io[v]; oo[v + 1] &+= oo[v] }
                        var next = Array(io[0..<n])
                        next.withUnsafeMutableBufferPointer { nx in
                            inFrom.withUnsafeMutableBufferPointer { f in
                                for e in 0..<m {
                                    let v = Int(d[e])
                                    f[Int(nx[v])] = s[e]
                                    nx[v] &+= 1
                                }
                            }
                        }
                    }
                }
            }
        }
        (self.n, self.src, self.dst) = (n, src, dst)
        self.inOffsets = inOffsets
        self.inFrom = inFrom
        self.outOffsets = outOffsets
    }

    /// PageRank pulling along the in-edges: per round one multiply per vertex (rank times the inverse
    /// out-degree) and one add per edge; GraphX's formula, then scaled to sum to n.
    func pageRank(iterations: Int, reset r: Double = 0.15) -> [Double] {
        var inverse = [Double](repeating: 0, count: n)
        var rank = [Double](repeating: 1, count: n)
        var contribution = [Double](repeating: 0, count: n)
        let n = n
        outOffsets.withUnsafeBufferPointer { oo in
            inOffsets.withUnsafeBufferPointer { io in
                inFrom.withUnsafeBufferPointer { from in
                    inverse.withUnsafeMutableBufferPointer { inv in
                        rank.withUnsafeMutableBufferPointer { rk in
                            contribution.withUnsafeMutableBufferPointer { c in
                                for v in 0..<n {
                                    let d = oo[v + 1] - oo[v]
                                    inv[v] = d == 0 ? 0 : 1 / Double(d)
                                }
                                for _ in 0..<iterations {
                                    for u in 0..<n { c[u] = rk[u] * inv[u] }
                                    for v in 0..<n {
                                        var sum = 0.0
                                        for i in Int(io[v])..<Int(io[v + 1]) { sum += c[Int(from[i])] }
                                        rk[v] = r + (1 - r) * sum
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let total = rank.reduce(0, +)
        let factor = Double(n) / total
        return rank.map { $0 * factor }
    }

    /// Union-find over the edge list (union by index, smaller root wins, path halving) on unsafe buffers;
    /// each vertex's root, the smallest index of its component.
    func components() -> [Int32] {
        var parent = Array(0..<Int32(n))
        let m = src.count, n = n
        parent.withUnsafeMutableBufferPointer { p in
            @inline(__always) func find(_ x: Int32) -> Int32 {
                var x = x
                while true {
                    let px = p[Int(x)]
                    if px == x { return x }
                    let g = p[Int(px)]
                    p[Int(x)] = g
                    x = g
                }
            }
            src.withUnsafeBufferPointer { s in
                dst.withUnsafeBufferPointer { d in
                    for e in 0..<m {
                        let a = find(s[e]), b = find(d[e])
                        if a < b { p[Int(b)] = a } else if b < a { p[Int(a)] = b }
                    }
                }
            }
            for v in 0..<n { p[v] = p[Int(p[v])] }   // roots are smaller than their children: one pass settles
        }
        return parent
    }

    /// In- plus out-degree per vertex, from the offsets: O(V), as the engine's (which keeps the same CSR).
    func degrees() -> [Int32] {
        (0..<n).map { v in inOffsets[v + 1] - inOffsets[v] + outOffsets[v + 1] - outOffsets[v] }
    }
}

/// Incremental connected components by hand, the state the engine's IncrementalComponents keeps: ids ->
/// indices by hash, union-find (union by size, path halving, the smallest id at each root).
struct HandIncrementalComponents {
    var index: [VertexID: Int32] = [:]
    var ids: [VertexID] = [], parent: [Int32] = [], size: [Int32] = [], smallest: [VertexID] = []

    @inline(__always) mutating func find(_ x: Int32) -> Int32 {
        var x = x
        while parent[Int(x)] != x { let g = parent[Int(parent[Int(x)])]; parent[Int(x)] = g; x = g }
        return x
    }

    @inline(__always) mutating func vertex(_ v: VertexID) -> Int32 {
        if let i = index[v] { return i }
        let i = Int32(ids.count)
        index[v] = i
        ids.append(v); parent.append(i); size.append(1); smallest.append(v)
        return i
    }

    /// Adds a batch's edges; returns the batch's distinct vertices with their component ids.
    mutating func add(_ batch: [(VertexID, VertexID)]) -> [(VertexID, VertexID)] {
        var touched: [Int32] = []
        touched.reserveCapacity(batch.count * 2)
        for (s, d) in batch {
            let a = vertex(s), b = vertex(d)
            touched.append(a); touched.append(b)
            var ra = find(a), rb = find(b)
            if ra == rb { continue }
            if size[Int(ra)] < size[Int(rb)] { swap(&ra, &rb) }
            parent[Int(rb)] = ra
            size[Int(ra)] += size[Int(rb)]
            smallest[Int(ra)] = min(smallest[Int(ra)], smallest[Int(rb)])
        }
        touched.sort()
        var out: [(VertexID, VertexID)] = []
        out.reserveCapacity(touched.count / 2)
        var last: Int32 = -1
        for v in touched where v != last {
            out.append((ids[Int(v)], smallest[Int(find(v))]))
            last = v
        }
        return out
    }
}
