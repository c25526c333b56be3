extension Graph {
    /// The number of hops from every vertex to each of `landmarks` along the edges' direction (GraphX's
    /// `ShortestPaths.run(graph, landmarks)`): each vertex with a map from the landmarks it can reach to the
    /// hop count (0 for a landmark itself); a landmark not in the graph appears in no map.
    /// - Complexity: O(landmarks x (V + E)): one breadth-first search per landmark over the incoming rows.
    public func shortestPaths(landmarks: [VertexID]) -> [(VertexID, [VertexID: Int])] {
        let n = numVertices
        var maps = [[VertexID: Int]](repeating: [:], count: n)
        var distance = [Int32](repeating: -1, count: n)
        var frontier: [Int32] = [], following: [Int32] = []
        for landmark in Set(landmarks) {
            guard let start = index.index(of: landmark) else { continue }
            for i in 0..<n { distance[i] = -1 }
            distance[Int(start)] = 0
            frontier = [start]
            var hops: Int32 = 0
            while !frontier.isEmpty {
                hops += 1
                following.removeAll(keepingCapacity: true)
                for v in frontier {
                    for i in inAdjacency.offsets[Int(v)]..<inAdjacency.offsets[Int(v) + 1] {
                        let u = Int(inAdjacency.neighbours[i])
                        if distance[u] < 0 {
                            distance[u] = hops
                            following.append(Int32(u))
                        }
                    }
                }
                swap(&frontier, &following)
            }
            for v in 0..<n where distance[v] >= 0 { maps[v][landmark] = Int(distance[v]) }
        }
        return byVertex(maps)
    }
}
