import Foundation

extension ReceiverContext {
    /// Admits `elements` into the bounded receive buffer (`ReceiverContext.store`'s policy): the longest prefix
    /// that fits under the hard bound (`BackpressureConfiguration.maxBufferedRecords`/`maxBufferedBytes`) is
    /// enqueued; on a thread of its own the caller then waits for room, polling, for the rest (Spark's blocking
    /// `store`), at most `maxStoreWait`; in a Swift task it never waits, so no cooperative thread is blocked.
    /// What still does not fit is refused and counted. Returns how many were stored.
    func admit(_ elements: [Element]) -> Int {
        let mayWait = withUnsafeCurrentTask { $0 == nil }
        let deadline = ContinuousClock.now + rateLimiter.maxStoreWait
        var stored = 0
        while true {
            stored += admitPrefix(elements[stored...])
            if stored == elements.count || isStopped || !mayWait || ContinuousClock.now >= deadline { break }
            // Not on the cooperative pool (no current task): the receiver's own thread waits, as in Spark.
            Thread.sleep(forTimeInterval: Double(rateLimiter.pollInterval.wholeMilliseconds) / 1000)
        }
        let refused = elements.count - stored
        if refused > 0, !isStopped {
            refusals.withLock { $0 += refused }
            rateLimiter.refused(refused, logger: logger)
        }
        return stored
    }

    /// Enqueues the longest prefix of `elements` the buffer has room for, under `refusals`' lock so that
    /// concurrent stores cannot overfill it; returns its length.
    private func admitPrefix(_ elements: ArraySlice<Element>) -> Int {
        refusals.withLock { _ in
            let bound = rateLimiter.bufferBound
            let held = buffered
            var count = 0, bytes = held.bytes
            for element in elements {
                guard held.records + count < bound.records else { break }
                let size = weigh?(element) ?? 0
                guard bytes + size <= bound.bytes else { break }
                bytes += size
                count += 1
            }
            if count > 0 { enqueue(Array(elements.prefix(count))) }
            return count
        }
    }
}
