import Spate

extension StreamingContext {
    /// Serves this context's dashboard: Spark's Streaming tab, the live result charts of
    /// `dstream.dashboard(_:)`, Spark's streaming REST API and Prometheus `/metrics`; returns once it listens.
    ///
    /// ```swift
    /// let dashboard = try await ssc.dashboard(port: 4040)
    /// print("dashboard: \(dashboard.url)")
    /// try await ssc.start()
    /// ```
    /// Call it before or after `start()`; it sees the batches that complete from then on.
    /// - Parameters:
    ///   - port: the TCP port; 0 picks a free one (read it from `StreamingDashboard.port`).
    ///   - host: the address to listen on; loopback by default. Any other address needs a `token`.
    ///   - token: a secret every request must carry as `Authorization: Bearer <token>` or in the cookie the page
    ///     sets when opened as `/#token=<token>` (never in a query string, which logs and history keep).
    /// - Throws: `DashboardError.tokenRequired` for a non-loopback host without a token,
    ///   `DashboardError.serverFailed` when the port cannot be bound.
    public func dashboard(port: Int = 4040, host: String = "127.0.0.1", token: String? = nil) async throws
        -> StreamingDashboard
    {
        try await StreamingDashboard.start(context: self, host: host, port: port, token: token)
    }
}
