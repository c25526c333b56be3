/// A fixed buffer that a fused narrow operator writes its outputs into, handed to the next operator a
/// chunk at a time: each record then costs a store, not a call into the next operator's closure (which is
/// what bounds a chain of `map`/`filter` when every record crosses every closure).
///
/// The buffer holds at most `capacity` records (about 16 KiB, so a chunk stays in the core's cache); the
/// chunk handed to the sink is borrowed for the call only. Owned by one partition's loop: `release()` it
/// when the loop ends.
@usableFromInline
struct ChunkWriter<T> {
    @usableFromInline let base: UnsafeMutablePointer<T>
    @usableFromInline var count = 0

    /// Records per chunk: 16 KiB of them, at least 64.
    @inlinable
    static var capacity: Int { Swift.max(64, 16_384 / Swift.max(1, MemoryLayout<T>.stride)) }

    @inlinable
    init() { base = .allocate(capacity: Self.capacity) }

    /// Adds `x`; hands the chunk to `sink` when the buffer is full.
    @inlinable @inline(__always)
    mutating func append(_ x: T, _ sink: (UnsafeBufferPointer<T>) -> Void) {
        (base + count).initialize(to: x)
        count &+= 1
        if count == Self.capacity { flush(sink) }
    }

    /// Hands the records buffered so far to `sink` (nothing when there are none) and empties the buffer.
    @inlinable
    mutating func flush(_ sink: (UnsafeBufferPointer<T>) -> Void) {
        guard count > 0 else { return }
        sink(UnsafeBufferPointer(start: base, count: count))
        base.deinitialize(count: count)
        count = 0
    }

    /// Frees the buffer (and any record still in it).
    @inlinable
    func release() {
        base.deinitialize(count: count)
        base.deallocate()
    }
}
