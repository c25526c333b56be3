extension Graph {
    /// Runs a vertex program in supersteps until no messages are sent or `maxIterations` rounds ran (GraphX's
    /// `Pregel(graph, initialMsg, maxIterations, activeDirection)(vprog, sendMsg, mergeMsg)`).
    ///
    /// First every vertex runs `vprog(id, attr, initialMsg)`. Then each round sends messages along the edges
    /// (`sendMsg`, as in `aggregateMessages`), merges them per vertex (`mergeMsg`), and runs `vprog` on the
    /// vertices that received one. After the first round only edges picked by `activeDirection` from the
    /// vertices that received a message in the round before send.
    ///
    /// ```swift
    /// // Single-source hop counts from vertex 1:
    /// let hops = graph.mapVertices { id, _ in id == 1 ? 0.0 : .infinity }
    ///     .pregel(initialMsg: .infinity, vprog: { _, d, m in min(d, m) }, sendMsg: { e in
    ///         if e.srcAttr + 1 < e.dstAttr { e.sendToDst(e.srcAttr + 1) }
    ///     }, mergeMsg: min)
    /// ```
    /// - Complexity: O(V + E) per round.
    public func pregel<Msg: Sendable>(
        initialMsg: Msg, maxIterations: Int = .max, activeDirection: EdgeDirection = .either,
        vprog: (VertexID, VD, Msg) throws -> VD,
        sendMsg: (inout EdgeContext<VD, ED, Msg>) throws -> Void,
        mergeMsg: (Msg, Msg) throws -> Msg
    ) rethrows -> Graph<VD, ED> {
        let ids = index.ids
        var attrs = try (0..<numVertices).map { v in try vprog(ids[v], attributes[v], initialMsg) }
        var inbox = try messages(active: nil, direction: activeDirection, attrs, sendMsg, mergeMsg)
        var round = 0
        var active = [Bool](repeating: false, count: numVertices)
        while round < maxIterations {
            var any = false
            for v in 0..<numVertices {
                if let m = inbox[v] {
                    attrs[v] = try vprog(ids[v], attrs[v], m)
                    active[v] = true
                    any = true
                } else {
                    active[v] = false
                }
            }
            if !any { break }
            inbox = try messages(active: active, direction: activeDirection, attrs, sendMsg, mergeMsg)
            round += 1
        }
        return Graph(sharing: self, attributes: attrs)
    }
}
