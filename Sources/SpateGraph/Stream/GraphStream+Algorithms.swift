import Spate

extension GraphStream {
    /// Each batch's `Graph.staticPageRank(numIter:resetProbability:)`: every vertex with its rank (GraphX's
    /// convention: ranks sum to the vertex count). Throws `GraphError` for bad parameters, at definition.
    /// ```swift
    /// try follows.graph().staticPageRank(numIter: 10).dashboard(.bar(title: "Top ranks", topK: 10))
    /// ```
    /// - Complexity: O(numIter x (V + E)) per batch.
    public func staticPageRank(numIter: Int, resetProbability: Double = 0.15) throws -> DStream<(VertexID, Double)> {
        try GraphParameter.check(numIter: numIter, resetProbability: resetProbability)
        return perGraph { try $0.staticPageRank(numIter: numIter, resetProbability: resetProbability) }
    }

    /// Each batch's `Graph.pageRank(tolerance:resetProbability:)` (GraphX's dynamic PageRank): every vertex
    /// with its rank. Throws `GraphError` for bad parameters, at definition.
    /// - Complexity: O(V + E) per round per batch.
    public func pageRank(tolerance: Double, resetProbability: Double = 0.15) throws -> DStream<(VertexID, Double)> {
        try GraphParameter.check(tolerance: tolerance, resetProbability: resetProbability)
        return perGraph { try $0.pageRank(tolerance: tolerance, resetProbability: resetProbability) }
    }

    /// The connected components (edges undirected), each vertex with the smallest vertex id of its
    /// component (GraphX's `connectedComponents()`).
    ///
    /// Over `.batch` and `.window` each graph is solved on its own. Over `.accumulated` the components are
    /// incremental: a union-find of every vertex seen so far (no edges kept), which each batch's edges extend
    /// in O(batch edges α(V)), checkpointed and restored with the context's other state; with
    /// `output: .batchVertices` a batch's cost is then bounded by its own edges, whatever the graph's size.
    /// ```swift
    /// let components = try follows.graph(scope: .accumulated).connectedComponents(output: .batchVertices)
    /// ```
    public func connectedComponents(output: ComponentOutput = .allVertices) -> DStream<(VertexID, VertexID)> {
        guard case .accumulated = scope else {
            // A batch's or window's graph holds only its own records' vertices: both outputs are all of them.
            return perGraph { $0.connectedComponents() }
        }
        return elements.singleValueStateStream(
            "connectedComponents(.accumulated)", kind: "SpateGraph.incrementalComponents",
            initial: { IncrementalComponents() }
        ) { records, _, components in
            let touched = try components.add(records)
            switch output {
            case .allVertices: return [components.allComponents()]
            case .batchVertices: return [components.components(of: touched)]
            }
        }
    }

    /// Each batch's `Graph.triangleCount()`: every vertex with the triangles through it, on the canonical
    /// undirected graph (GraphX's convention).
    /// - Complexity: O(E^1.5) per batch at worst.
    public func triangleCount() -> DStream<(VertexID, Int)> { perGraph { $0.triangleCount() } }

    /// Each batch's in-degrees (GraphX's `inDegrees`): the vertices with incoming edges and their count.
    public var inDegrees: DStream<(VertexID, Int)> { perGraph { $0.inDegrees } }

    /// Each batch's out-degrees (GraphX's `outDegrees`): the vertices with outgoing edges and their count.
    public var outDegrees: DStream<(VertexID, Int)> { perGraph { $0.outDegrees } }

    /// Each batch's degrees (GraphX's `degrees`): the vertices with edges and their in- plus out-degree.
    public var degrees: DStream<(VertexID, Int)> { perGraph { $0.degrees } }

    /// Each batch's `Graph.labelPropagation(maxSteps:)`: every vertex with its community label. Throws
    /// `GraphError` for `maxSteps` < 1, at definition.
    /// - Complexity: O(maxSteps x E log(max degree)) per batch.
    public func labelPropagation(maxSteps: Int) throws -> DStream<(VertexID, VertexID)> {
        try GraphParameter.check(maxSteps: maxSteps)
        return perGraph { try $0.labelPropagation(maxSteps: maxSteps) }
    }

    /// Each batch's `Graph.shortestPaths(landmarks:)`: every vertex with its hop counts to the landmarks it
    /// reaches.
    /// - Complexity: O(landmarks x (V + E)) per batch.
    public func shortestPaths(landmarks: [VertexID]) -> DStream<(VertexID, [VertexID: Int])> {
        perGraph { $0.shortestPaths(landmarks: landmarks) }
    }

    /// Each batch's `Graph.aggregateMessages(sendMsg:mergeMsg:)`: the vertices that received messages, with
    /// the merged message. A batch on which a function throws yields nothing and counts as failed.
    /// ```swift
    /// let followers = graph.aggregateMessages(sendMsg: { $0.sendToDst(1) }, mergeMsg: +)
    /// ```
    public func aggregateMessages<Msg: Sendable>(
        sendMsg: @escaping @Sendable (inout EdgeContext<VD, ED, Msg>) throws -> Void,
        mergeMsg: @escaping @Sendable (Msg, Msg) throws -> Msg
    ) -> DStream<(VertexID, Msg)> {
        perGraph { try $0.aggregateMessages(sendMsg: sendMsg, mergeMsg: mergeMsg) }
    }

    /// Each batch's `Graph.pregel(...)` for a user algorithm: every vertex with its attribute when the
    /// supersteps end. A batch on which a function throws yields nothing and counts as failed.
    public func pregel<Msg: Sendable>(
        initialMsg: Msg, maxIterations: Int = .max, activeDirection: EdgeDirection = .either,
        vprog: @escaping @Sendable (VertexID, VD, Msg) throws -> VD,
        sendMsg: @escaping @Sendable (inout EdgeContext<VD, ED, Msg>) throws -> Void,
        mergeMsg: @escaping @Sendable (Msg, Msg) throws -> Msg
    ) -> DStream<(VertexID, VD)> {
        perGraph { graph in
            try graph.pregel(
                initialMsg: initialMsg, maxIterations: maxIterations, activeDirection: activeDirection,
                vprog: vprog, sendMsg: sendMsg, mergeMsg: mergeMsg
            ).vertices
        }
    }
}
