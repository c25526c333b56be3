/// Maps vertex ids to dense indices `0..<count` (in order of first insertion) with a flat open-addressing
/// table: two arrays, no dictionary, so building a graph of E edges costs 2E probes of a cache-friendly table.
struct VertexIndex: Sendable {
    /// The id of each index.
    private(set) var ids: [VertexID] = []
    /// -1 for an empty slot, else the index whose id hashes here.
    private var slots: [Int32]
    private var mask: Int

    /// An empty index with room for `capacity` vertices before it grows.
    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        ids.reserveCapacity(capacity)
    }

    /// The number of vertices held.
    var count: Int { ids.count }

    @inline(__always)
    private static func hash(_ id: VertexID) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15) >> 17)
    }

    /// The index of `id`, adding it when new. Throws when the graph would pass Int32's indices.
    @inline(__always)
    mutating func insert(_ id: VertexID) throws(GraphError) -> Int32 {
        var slot = Self.hash(id) & mask
        while true {
            let at = slots[slot]
            if at < 0 { break }
            if ids[Int(at)] == id { return at }
            slot = (slot + 1) & mask
        }
        guard ids.count < Int(Int32.max) else { throw GraphError.tooManyVertices(limit: Int(Int32.max)) }
        let index = Int32(ids.count)
        ids.append(id)
        slots[slot] = index
        if ids.count * 2 > slots.count { grow() }
        return index
    }

    /// The index of `id`, or nil when it is not held.
    func index(of id: VertexID) -> Int32? {
        var slot = Self.hash(id) & mask
        while true {
            let at = slots[slot]
            if at < 0 { return nil }
            if ids[Int(at)] == id { return at }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (i, id) in ids.enumerated() {
            var slot = Self.hash(id) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(i)
        }
    }
}

/// Checkpoints hold the ids alone; the table is rebuilt on restore.
extension VertexIndex: Codable {
    init(from decoder: any Decoder) throws {
        let ids = try decoder.singleValueContainer().decode([VertexID].self)
        self.init(capacity: ids.count)
        for id in ids { _ = try insert(id) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(ids)
    }
}
