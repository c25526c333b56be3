import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import Spate
import Synchronization

/// A running dashboard of one `StreamingContext`: Spark's Streaming tab (timelines and histograms of input
/// rate, scheduling delay, processing time and total delay; active and completed batches; per-source rates;
/// the operator graph), the live result charts of `dstream.dashboard(_:)`, Spark's streaming REST API under
/// `/api/v1/applications/{app}/streaming/` and Prometheus metrics at `/metrics`.
///
/// Made by `ssc.dashboard(port:host:token:)`; it serves until `stop()` (or the process ends). Pages update
/// by push (server-sent events); each page has a bounded buffer, so a slow page never slows the batches.
public final class StreamingDashboard: Sendable {
    /// The host the dashboard listens on.
    public let host: String
    /// The port it listens on (the one the system chose, when asked for port 0).
    public let port: Int
    /// The application id of the REST API (`/api/v1/applications/<id>/streaming/statistics`).
    public let applicationID: String
    private let token: String?
    let listener: StreamingJobProgressListener
    private let server: Mutex<Task<Void, Never>?>
    private let services: ServiceGroup

    init(
        host: String, port: Int, token: String?, listener: StreamingJobProgressListener,
        services: ServiceGroup, server: Task<Void, Never>
    ) {
        self.services = services
        self.host = host
        self.port = port
        self.token = token
        self.listener = listener
        self.applicationID = listener.applicationID
        self.server = Mutex(server)
    }

    /// The page's address, with the token (in the fragment, which no server sees) when one is set: open it in a
    /// browser.
    public var url: String {
        let shown = host.contains(":") ? "[\(host)]" : (host == "0.0.0.0" ? "127.0.0.1" : host)
        return "http://\(shown):\(port)/" + (token.map { "#token=\($0)" } ?? "")
    }

    /// Pages connected now.
    public var connectedClients: Int { listener.broadcaster.clientCount }

    /// Update frames dropped because a page did not read them fast enough (it catches up with the next one).
    public var droppedFrames: Int { listener.broadcaster.droppedFrames }

    /// The factory behind `/metrics`: `MetricsSystem.bootstrap(dashboard.metricsFactory)` makes metrics
    /// recorded anywhere in the process (Spate's core, your code) show there too.
    public var metricsFactory: PrometheusMetricsFactory { listener.metrics.factory }

    /// Stops serving: closes the pages' streams and the listening socket. The context goes on.
    public func stop() async {
        listener.broadcaster.finishAll()
        let task = server.withLock { t in
            defer { t = nil }
            return t
        }
        // Graceful: the server stops accepting, and the open event streams have just been ended.
        await services.triggerGracefulShutdown()
        await task?.value
    }

    /// Starts the HTTP server and returns once it listens.
    static func start(context: StreamingContext, host: String, port: Int, token: String?) async throws
        -> StreamingDashboard
    {
        guard (0...65535).contains(port) else { throw DashboardError.invalidPort(port) }
        if token == nil || token?.isEmpty == true, !isLoopback(host) { throw DashboardError.tokenRequired(host: host) }
        let metrics = DashboardMetrics()
        let listener = StreamingJobProgressListener(
            context: context, applicationID: "spate-\(ProcessInfo.processInfo.processIdentifier)", metrics: metrics)
        var logger = Logger(label: "spate.dashboard")
        logger.logLevel = .warning
        let (started, signal) = AsyncStream.makeStream(of: Result<Int, any Error>.self)
        let app = Application(
            router: DashboardRoutes.router(listener: listener, token: token, loopback: isLoopback(host)),
            configuration: .init(address: .hostname(host, port: port), serverName: "Spate"),
            onServerRunning: { channel in signal.yield(.success(channel.localAddress?.port ?? port)) },
            logger: logger)
        let services = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            do {
                try await services.run()
                signal.yield(.failure(CancellationError()))
            } catch {
                signal.yield(.failure(error))
            }
        }
        for await result in started {
            switch result {
            case .success(let bound):
                context.addListener(listener)
                return StreamingDashboard(host: host, port: bound, token: token, listener: listener, services: services, server: task)
            case .failure(let error):
                throw DashboardError.serverFailed(host: host, port: port, reason: "\(error)")
            }
        }
        throw DashboardError.serverFailed(host: host, port: port, reason: "the server did not start")
    }

    /// Whether `host` is reachable only from this machine.
    static func isLoopback(_ host: String) -> Bool { LoopbackAddress.isLoopback(host) }
}
