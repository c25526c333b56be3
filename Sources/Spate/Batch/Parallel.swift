import Dispatch

/// Runs per-partition work on every core. A batch's partitions are independent, so each runs on its own
/// worker; the call returns when all have finished (a join barrier).
@usableFromInline
enum Parallel {
    /// Calls `body(i)` for `i` in `0..<count`, in parallel, and returns the results in order.
    @usableFromInline
    static func map<R>(_ count: Int, _ body: (Int) -> R) -> [R] {
        if count == 0 { return [] }
        if count == 1 { return [body(0)] }
        let slots = Slots<R>(count: count)
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBody(body: body)
            DispatchQueue.concurrentPerform(iterations: count) { i in
                slots.set(i, box.body(i))
            }
        }
        return slots.take()
    }

    /// Calls `body(i)` for `i` in `0..<count`, in parallel.
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        _ = map(count, body)
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`.
/// Safe because every closure Spate passes here only reads shared inputs and writes its own index's slot,
/// and `concurrentPerform` returns only after every iteration has finished.
private struct UncheckedBody<R>: @unchecked Sendable {
    let body: (Int) -> R
}

/// One result slot per iteration.
/// `@unchecked Sendable` is safe: iteration `i` writes only slot `i`, each slot once, and `take()` runs after
/// `concurrentPerform` has returned, which orders every write before the read.
private final class Slots<R>: @unchecked Sendable {
    private var storage: [R?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: R) {
        storage.withUnsafeMutableBufferPointer { $0[i] = value }
    }
    func take() -> [R] { storage.map { $0! } }
}
