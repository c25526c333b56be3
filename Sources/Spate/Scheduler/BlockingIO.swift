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

    /// Set on a pool thread while it runs a body, so blocking calls can check where they run.
    private final class Marker: Sendable {}
    private static let marker = ThreadSpecificVariable<Marker>()
    private static let mark = Marker()

    /// Runs `body` on the blocking pool and returns its result; rethrows what it throws.
    package static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive {
            marker.currentValue = mark
            defer { marker.currentValue = nil }
            return try body()
        }
    }

    /// Whether the calling thread is running a `run` body (a blocking call may wait here).
    package static var isBlockingThread: Bool { marker.currentValue != nil }

    /// In debug builds, stops the program when `call` (a blocking C call or sleep) is about to run anywhere but
    /// on the blocking pool: on a cooperative thread it would stall the batch timer and every task queued
    /// behind it. Release builds check nothing.
    package static func assertBlockingAllowed(_ call: @autoclosure () -> String) {
        assert(isBlockingThread, "\(call()) blocks its thread: run it through BlockingIO.run")
    }
}
