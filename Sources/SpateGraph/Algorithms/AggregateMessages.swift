/// One edge as `aggregateMessages` and `pregel` show it to the user's function (GraphX's `EdgeContext`): the
/// edge's endpoints, their attributes and the edge's attribute, and where to send messages.
public struct EdgeContext<VD: Sendable, ED: Sendable, Msg: Sendable> {
    /// The source vertex.
    public let srcId: VertexID
    /// The destination vertex.
    public let dstId: VertexID
    /// The source vertex's attribute.
    public let srcAttr: VD
    /// The destination vertex's attribute.
    public let dstAttr: VD
    /// The edge's attribute.
    public let attr: ED
    var toSrc: Msg?
    var toDst: Msg?

    /// Sends `message` to the source vertex (merged with its other messages).
    public mutating func sendToSrc(_ message: Msg) { toSrc = message }
    /// Sends `message` to the destination vertex (merged with its other messages).
    public mutating func sendToDst(_ message: Msg) { toDst = message }
}

/// Which edges of a Pregel round send messages, by which of their endpoints received one in the round before
/// (GraphX's `EdgeDirection` as `activeDirection`).
public enum EdgeDirection: Sendable {
    /// The edges whose destination received a message.
    case `in`
    /// The edges whose source received a message.
    case out
    /// The edges with either endpoint that received a message.
    case either
    /// The edges whose two endpoints received a message.
    case both
}

extension Graph {
    /// Sends messages along every edge and merges them per vertex (GraphX's `aggregateMessages`): `sendMsg`
    /// sees each edge and may call `sendToSrc`/`sendToDst` (a second call to one of them replaces the first);
    /// `mergeMsg` combines a vertex's messages (it must be commutative and associative). Returns the vertices
    /// that received a message, with the merged message.
    ///
    /// ```swift
    /// let inWeight = graph.aggregateMessages(sendMsg: { $0.sendToDst($0.attr) }, mergeMsg: +)
    /// ```
    /// - Complexity: O(V + E) and two closure calls per edge at most.
    public func aggregateMessages<Msg: Sendable>(
        sendMsg: (inout EdgeContext<VD, ED, Msg>) throws -> Void, mergeMsg: (Msg, Msg) throws -> Msg
    ) rethrows -> [(VertexID, Msg)] {
        let merged = try messages(active: nil, direction: .either, attributes, sendMsg, mergeMsg)
        var out: [(VertexID, Msg)] = []
        for v in 0..<merged.count {
            if let m = merged[v] { out.append((index.ids[v], m)) }
        }
        return out
    }

    /// The merged messages per vertex index of the edges that `active` and `direction` select (all edges
    /// when `active` is nil), with vertex attributes `attrs`.
    func messages<Msg: Sendable>(
        active: [Bool]?, direction: EdgeDirection, _ attrs: [VD],
        _ sendMsg: (inout EdgeContext<VD, ED, Msg>) throws -> Void, _ mergeMsg: (Msg, Msg) throws -> Msg
    ) rethrows -> [Msg?] {
        var merged = [Msg?](repeating: nil, count: numVertices)
        let ids = index.ids
        for e in 0..<src.count {
            let s = Int(src[e]), d = Int(dst[e])
            if let active {
                switch direction {
                case .in: if !active[d] { continue }
                case .out: if !active[s] { continue }
                case .either: if !active[s] && !active[d] { continue }
                case .both: if !active[s] || !active[d] { continue }
                }
            }
            var context = EdgeContext<VD, ED, Msg>(
                srcId: ids[s], dstId: ids[d], srcAttr: attrs[s], dstAttr: attrs[d], attr: edgeAttributes[e])
            try sendMsg(&context)
            if let m = context.toSrc { merged[s] = try merged[s].map { try mergeMsg($0, m) } ?? m }
            if let m = context.toDst { merged[d] = try merged[d].map { try mergeMsg($0, m) } ?? m }
        }
        return merged
    }
}
