/// Runs one piece of work per batch partition concurrently (a task group; partitions are independent) and
/// returns the results in partition order, so merges are deterministic.
enum PartitionParallel {
    static func map<R: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> R) async -> [R] {
        if count == 0 { return [] }
        if count == 1 { return [body(0)] }
        return await withTaskGroup(of: (Int, R).self) { group in
            for p in 0..<count { group.addTask { (p, body(p)) } }
            var slots = [R?](repeating: nil, count: count)
            for await (p, r) in group { slots[p] = r }
            return slots.map { $0! }
        }
    }
}
