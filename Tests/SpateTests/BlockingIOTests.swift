import Testing
@testable import Spate

/// Blocking calls run on the blocking pool, and a call can tell where it runs (what the debug-build
/// assertions in SpateKafka's C layer check: a librdkafka fetch on a cooperative thread stops a debug build).
@Suite struct BlockingIOTests {
    @Test func onlyBodiesOnTheBlockingPoolMayBlock() async throws {
        #expect(!BlockingIO.isBlockingThread)
        let inside = try await BlockingIO.run { BlockingIO.isBlockingThread }
        #expect(inside)
        // The mark does not stay on the pool thread after the body: a later caller is checked again.
        #expect(!BlockingIO.isBlockingThread)
        let detached = await Task.detached { BlockingIO.isBlockingThread }.value
        #expect(!detached)
    }
}
