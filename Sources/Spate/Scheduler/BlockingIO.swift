import NIOPosix

/// Runs blocking calls (librdkafka's fetch and flush, libpq's round trips, large file reads) on threads of
/// their own, so they never hold one of Swift's cooperative threads or the batch timer.
///
/// One pool for the process, started on first use: its threads sleep while idle. Eight threads, so a few
/// long polls (a Kafka fetch waits up to its timeout) cannot starve the others on a small machine.
package enum BlockingIO {
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()

    /// Runs `body` on the blocking pool and returns its result; rethrows what it throws.
    package static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
