/// What the context needs to know of every DStream, whatever its element type.
protocol GraphNode: AnyObject, Sendable {
    var id: Int { get }
    var operatorName: String { get }
    var parentNodes: [any GraphNode] { get }
    /// How often the node produces a batch, in milliseconds (a multiple of the batch interval).
    var slideMs: Int { get }
    /// How far back in time the node reads its parents' batches (a window's length; 0 otherwise).
    var lookbackMs: Int { get }
    /// Asks the node to keep its batches for at least `ms` milliseconds.
    func remember(_ ms: Int)
    var rememberMs: Int { get }
    func addConsumer()
    /// Marks the node as read at past times by a child, so it keeps (caches) its computed batches.
    func keepHistory()
    /// Drops remembered batches that no consumer will ask for again.
    func forget(before time: BatchTime)
}
