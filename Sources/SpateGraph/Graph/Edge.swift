/// A vertex's identifier, a 64-bit integer as GraphX's `VertexId`.
public typealias VertexID = Int64

/// A directed edge with an attribute (GraphX's `Edge[ED]`): from `srcId` to `dstId`.
public struct Edge<ED: Sendable>: Sendable {
    /// The source vertex.
    public var srcId: VertexID
    /// The destination vertex.
    public var dstId: VertexID
    /// The edge's attribute (a weight, a label, ...).
    public var attr: ED

    /// An edge from `srcId` to `dstId` carrying `attr`.
    public init(srcId: VertexID, dstId: VertexID, attr: ED) {
        self.srcId = srcId
        self.dstId = dstId
        self.attr = attr
    }
}

extension Edge: Equatable where ED: Equatable {}
extension Edge: Hashable where ED: Hashable {}
extension Edge: Codable where ED: Codable {}
