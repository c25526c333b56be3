import Dispatch
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Spate
import Synchronization
@testable import SpateDashboard

/// A context on a manual clock that has run two batches of words into a bar chart, and the dashboard's
/// router over its progress, without a token and with one.
struct Fixture: Sendable {
    let openRouter: RouterResponder<BasicRequestContext>
    let tokenRouter: RouterResponder<BasicRequestContext>
    let logger: Logger
    /// The channel every request's context names (the routes never use it).
    let channel: NIOAsyncTestingChannel
    // Kept alive for the listener's weak reference to its graph.
    let context: StreamingContext

    static let token = "fuzz-token"

    static func make() async throws -> Fixture {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
        let listener = StreamingJobProgressListener(context: ssc, applicationID: "spate-fuzz", metrics: DashboardMetrics())
        ssc.addListener(listener)
        let words = ssc.queueStream([["a", "b", "a"], ["b", "c"]])
        words.map { ($0, 1) }.reduceByKey(+).dashboard(.bar(title: "Words", topK: 5))
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        var logger = Logger(label: "spate.fuzz")
        logger.logLevel = .critical
        return Fixture(
            openRouter: DashboardRoutes.router(listener: listener, token: nil, loopback: true).buildResponder(),
            tokenRouter: DashboardRoutes.router(listener: listener, token: token, loopback: true).buildResponder(),
            logger: logger, channel: NIOAsyncTestingChannel(), context: ssc)
    }
}

let fixture: Fixture = blocking {
    do { return try await Fixture.make() } catch { fatalError("the dashboard fixture did not start: \(error)") }
}

/// Runs `body` on the concurrency pool and waits for it: libFuzzer calls the target on its own thread,
/// which is not one of the pool's, so waiting there cannot starve the pool.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Task {
        box.set(await body())
        done.signal()
    }
    done.wait()
    return box.value!
}

final class ResultBox<T: Sendable>: Sendable {
    private let storage = Mutex<T?>(nil)
    func set(_ value: T) { storage.withLock { $0 = value } }
    var value: T? { storage.withLock { $0 } }
}

/// The bytes a response body wrote, at most `limit` of them.
final class BodyCollector: Sendable {
    static let limit = 1 << 20
    private let storage = Mutex<[UInt8]>([])
    var bytes: [UInt8] { storage.withLock { $0 } }
    /// Appends `buffer`; false once the body is longer than `limit`.
    func append(_ buffer: ByteBuffer) -> Bool {
        storage.withLock { bytes in
            bytes.append(contentsOf: buffer.readableBytesView)
            return bytes.count <= Self.limit
        }
    }
}

/// Writes a body into a `BodyCollector`. An event stream never ends: after `maximumWrites` (its retry line
/// and snapshot) the writer stops it by throwing, which also unsubscribes the stream's client.
struct CollectingWriter: ResponseBodyWriter {
    struct Stop: Error {}
    let collector: BodyCollector
    let maximumWrites: Int
    private var writes = 0

    init(collector: BodyCollector, maximumWrites: Int) {
        self.collector = collector
        self.maximumWrites = maximumWrites
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        writes += 1
        guard collector.append(buffer), writes < maximumWrites else { throw Stop() }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
