import SpateGraph

/// The best a program could do by hand on flat adjacency arrays, with no graph type: the baselines the
/// engine's algorithms are measured beside. Each takes the edge list as two dense-index arrays.
struct FlatEdges {
    let n: Int
    let src: [Int32]
    let dst: [Int32]

    /// Dense indices for the ids by one hash pass (the hand-written "load").
    init(_ edges: [(VertexID, VertexID)]) {
        var index: [VertexID: Int32] = [:]
        index.reserveCapacity(edges.count / 8)
        var src = [Int32](), dst = [Int32]()
        src.reserveCapacity(edges.count)
        dst.reserveCapacity(edges.count)
        func id(_ v: VertexID) -> Int32 {
            if let i = index[v] { return i }
            let i = Int32(index.count)
            index[v] = i
            return i
        }
        for (s, d) in edges {
            src.append(id(s))
            dst.append(id(d))
        }
        n = index.count
        self.src = src
        self.dst = dst
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
