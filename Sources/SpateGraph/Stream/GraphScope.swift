/// Which edges make the graph of a `GraphStream`'s batch.
public enum GraphScope: Sendable {
    /// The edges (and vertices) of the batch alone.
    case batch
    /// The edges of the last `length` of batches, every `slide` (nil: every batch), as `DStream.window`.
    case window(length: Duration, slide: Duration? = nil)
    /// Every edge since the stream started (kept in a checkpointed state; it grows with the stream).
    case accumulated
}

/// What `GraphStream.connectedComponents(output:)` emits per batch.
public enum ComponentOutput: Sendable {
    /// Every vertex of the graph with its component: O(V) per batch.
    case allVertices
    /// The endpoints of the batch's edges with their component after the batch (over an accumulated graph:
    /// a per-batch cost bounded by the batch's edges, whatever the graph's size). Vertices of components that
    /// merged in the batch but had no edge in it are not listed although their component id may have changed.
    case batchVertices
}

/// An edge or a vertex of a graph stream, so both go through one window or state.
enum GraphElement<VD: Sendable, ED: Sendable>: Sendable {
    case edge(Edge<ED>)
    case vertex(VertexID, VD)
}

extension GraphElement: Codable where VD: Codable, ED: Codable {}
