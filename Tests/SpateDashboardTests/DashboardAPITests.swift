import Foundation
import Spate
@testable import SpateDashboard
import Testing

/// Given a pipeline on a manual clock with a dashboard, when batches complete, then the REST API (Spark's
/// streaming API), `/metrics` and the error answers say what happened.
@Suite(.timeLimit(.minutes(2)))
struct DashboardAPITests {
    /// Two batches of words: `a b a` and `b c`, counted per key, shown as a bar chart.
    func pipeline() async throws -> (StreamingContext, StreamingDashboard) {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let words = ssc.queueStream([["a", "b", "a"], ["b", "c"]])
        words.map { ($0, 1) }.reduceByKey(+).dashboard(.bar(title: "Words", topK: 5))
        let dashboard = try await ssc.dashboard(port: 0)
        try await ssc.start()
        return (ssc, dashboard)
    }

    @Test func statisticsAndBatchesMirrorSpark() async throws {
        let (ssc, dashboard) = try await pipeline()
        try await ssc.advance(by: .seconds(2))
        let port = dashboard.port

        let apps = try decode([SparkStreamingAPI.Application].self, try await HTTPTestClient.get(port: port, "/api/v1/applications").body)
        #expect(apps.map(\.id) == [dashboard.applicationID])
        let base = "/api/v1/applications/\(dashboard.applicationID)/streaming"

        let stats = try decode(SparkStreamingAPI.StreamingStatistics.self,
                               try await HTTPTestClient.get(port: port, "\(base)/statistics").body)
        #expect(stats.batchDuration == 1000)
        #expect(stats.numTotalCompletedBatches == 2)
        #expect(stats.numRetainedCompletedBatches == 2)
        #expect(stats.numProcessedRecords == 5)
        #expect(stats.numActiveBatches == 0)
        #expect(stats.avgInputRate == 2.5)

        let batches = try decode([SparkStreamingAPI.BatchInfo].self, try await HTTPTestClient.get(port: port, "\(base)/batches").body)
        #expect(batches.map(\.batchId) == [2000, 1000])
        #expect(batches.map(\.inputSize) == [2, 3])
        #expect(batches.allSatisfy { $0.status == "COMPLETED" && $0.numTotalOutputOps == 1 })
        #expect(batches.last?.batchTime == "1970-01-01T00:00:01.000GMT")

        let one = try await HTTPTestClient.get(port: port, "\(base)/batches/1000")
        #expect(one.status == 200)
        #expect(try decode(SparkStreamingAPI.BatchInfo.self, one.body).inputSize == 3)
        let ops = try decode([SparkStreamingAPI.OutputOperationInfo].self,
                             try await HTTPTestClient.get(port: port, "\(base)/batches/1000/operations").body)
        #expect(ops.map(\.name) == ["dashboard(bar: Words)"])

        await dashboard.stop()
        await ssc.stop()
    }

    @Test func unknownRoutesBatchesAndApplicationsAre404JSON() async throws {
        let (ssc, dashboard) = try await pipeline()
        try await ssc.advance(by: .seconds(1))
        for path in ["/nope", "/api/v1/applications/\(dashboard.applicationID)/streaming/batches/999",
                     "/api/v1/applications/\(dashboard.applicationID)/streaming/batches/abc",
                     "/api/v1/applications/other/streaming/statistics"] {
            let reply = try await HTTPTestClient.get(port: dashboard.port, path)
            #expect(reply.status == 404, "\(path)")
            #expect(reply.header("content-type")?.hasPrefix("application/json") == true, "\(path)")
            let body = try decode(SparkStreamingAPI.ErrorBody.self, reply.body)
            #expect(body.status == 404)
            #expect(!body.error.isEmpty)
        }
        // The server is still fine.
        #expect(try await HTTPTestClient.get(port: dashboard.port, "/").status == 200)
        await dashboard.stop()
        await ssc.stop()
    }

    @Test func metricsInPrometheusFormat() async throws {
        let (ssc, dashboard) = try await pipeline()
        try await ssc.advance(by: .seconds(2))
        let reply = try await HTTPTestClient.get(port: dashboard.port, "/metrics")
        #expect(reply.status == 200)
        #expect(reply.header("content-type")?.hasPrefix("text/plain") == true)
        let lines = Set(reply.body.split(separator: "\n").map(String.init))
        #expect(lines.contains("spate_streaming_input_records_total 5"))
        #expect(lines.contains("spate_streaming_batches_completed_total 2"))
        #expect(lines.contains("spate_streaming_source_records_total{source=\"queueStream#1\"} 5"))
        // Records out: the chart consumed the keyed counts, 2 keys then 2 keys.
        #expect(lines.contains("spate_streaming_output_records_total{output=\"Words\"} 4"))
        #expect(lines.contains("spate_streaming_failed_records_total 0"))
        #expect(lines.contains { $0.hasPrefix("spate_streaming_processing_time_seconds_count") && $0.hasSuffix(" 2") })
        #expect(lines.contains("spate_dashboard_dropped_frames_total 0"))
        await dashboard.stop()
        await ssc.stop()
    }

    @Test func metricsReportStateSizeAndCheckpoints() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-metrics-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        ssc.checkpoint(directory: dir)
        ssc.queueStream([[("a", 1), ("b", 1)], [("c", 1)]])
            .updateStateByKey { (v: [Int], s: Int?) in (s ?? 0) + v.reduce(0, +) }
            .checkpoint(interval: .seconds(1))
            .dashboard(.bar(title: "Totals", topK: 5))
        let dashboard = try await ssc.dashboard(port: 0)
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        // The checkpoint file is written in the background; the next batch reports it.
        try await Task.sleep(for: .milliseconds(200))
        try await ssc.advance(by: .seconds(1))
        let lines = Set(try await HTTPTestClient.get(port: dashboard.port, "/metrics").body.split(separator: "\n").map(String.init))
        func gauge(_ name: String) -> Double? {
            lines.first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        #expect(gauge("spate_streaming_state_keys") == 3)
        #expect(lines.contains { $0.hasPrefix("spate_streaming_checkpoint_duration_seconds_count") && $0.hasSuffix(" 3") })
        #expect(gauge("spate_streaming_last_checkpoint_time_milliseconds") == 2000)
        await dashboard.stop()
        await ssc.stop()
    }

    @Test func failedRecordsAreCountedAsDeadLetters() async throws {
        struct Bad: Error {}
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        ssc.queueStream([[1, 2, 3, 4]]).map { (n: Int) throws -> Int in
            if n % 2 == 0 { throw Bad() }
            return n
        }.dashboard(.line(title: "Odd sum"))
        let dashboard = try await ssc.dashboard(port: 0)
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        let body = try await HTTPTestClient.get(port: dashboard.port, "/metrics").body
        #expect(body.contains("spate_streaming_failed_records_total 2"))
        let batches = try decode([SparkStreamingAPI.BatchInfo].self, try await HTTPTestClient.get(
            port: dashboard.port, "/api/v1/applications/\(dashboard.applicationID)/streaming/batches").body)
        #expect(batches.first?.failedRecords == 2)
        #expect(batches.first?.firstFailureReason?.isEmpty == false)
        await dashboard.stop()
        await ssc.stop()
    }

    @Test func nonLoopbackHostNeedsAToken() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        await #expect(throws: DashboardError.self) { _ = try await ssc.dashboard(port: 0, host: "0.0.0.0") }
        do {
            _ = try await ssc.dashboard(port: 0, host: "0.0.0.0")
        } catch {
            #expect("\(error)".contains("token"))
        }
        await #expect(throws: DashboardError.self) { _ = try await ssc.dashboard(port: 70000) }
    }

    @Test func tokenGuardsDataButNotThePage() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        ssc.queueStream([[1]]).dashboard(.line(title: "n"))
        let dashboard = try await ssc.dashboard(port: 0, host: "127.0.0.1", token: "s3cret")
        // The page's URL carries the token in its fragment, which browsers never send.
        #expect(dashboard.url.hasSuffix("/#token=s3cret"))
        let port = dashboard.port
        #expect(try await HTTPTestClient.get(port: port, "/api/v1/applications").status == 401)
        #expect(try await HTTPTestClient.get(port: port, "/metrics", headers: ["Authorization": "Bearer wrong"]).status == 401)
        #expect(try await HTTPTestClient.get(port: port, "/metrics", headers: ["Authorization": "Bearer s3cret"]).status == 200)
        #expect(try await HTTPTestClient.get(
            port: port, "/metrics", headers: ["Cookie": "a=b; spate_dashboard_token=s3cret"]).status == 200)
        #expect(try await HTTPTestClient.get(
            port: port, "/metrics", headers: ["Cookie": "spate_dashboard_token=wrong"]).status == 401)
        #expect(try await HTTPTestClient.get(port: port, "/").status == 200)
        #expect(try await HTTPTestClient.get(port: port, "/dashboard.js").status == 200)
        await dashboard.stop()
    }

    /// A token in the query string ends up in histories and logs: refused, even when it is right.
    @Test func tokenInTheQueryStringIsRefusedWithTheFix() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let dashboard = try await ssc.dashboard(port: 0, host: "127.0.0.1", token: "s3cret")
        let reply = try await HTTPTestClient.get(port: dashboard.port, "/metrics?token=s3cret")
        #expect(reply.status == 401)
        #expect(reply.body.contains("Authorization: Bearer"))
        await dashboard.stop()
    }

    /// DNS rebinding: a web page whose name resolves to 127.0.0.1 sends its own name as Host.
    @Test func loopbackDashboardAnswersOnlyToLoopbackHostNames() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let dashboard = try await ssc.dashboard(port: 0)
        let port = dashboard.port
        for host in ["evil.example", "127.0.0.1.evil.example:\(port)", "127.evil.example", "localhost.evil.example"] {
            let reply = try await HTTPTestClient.get(port: port, "/api/dashboard/state", headers: ["Host": host])
            #expect(reply.status == 421, "\(host)")
            #expect(reply.body.contains("localhost"), "\(host)")
        }
        for host in ["127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)", "127.0.0.1", "LOCALHOST"] {
            #expect(try await HTTPTestClient.get(port: port, "/api/dashboard/state", headers: ["Host": host]).status == 200,
                    "\(host)")
        }
        await dashboard.stop()
    }

    @Test func loopbackNamesAreParsedStrictly() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"] {
            #expect(StreamingDashboard.isLoopback(host), "\(host)")
        }
        for host in ["127.example.com", "127.0.0.1.example.com", "127.0.0.256", "127.0.0", "128.0.0.1", "0.0.0.0", "1270.0.0.1"] {
            #expect(!StreamingDashboard.isLoopback(host), "\(host)")
        }
    }

    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let dashboard = try await ssc.dashboard(port: 0)
        for path in ["/", "/dashboard.js", "/api/dashboard/state", "/no-such-route"] {
            let reply = try await HTTPTestClient.get(port: dashboard.port, path)
            #expect(reply.header("x-content-type-options") == "nosniff", "\(path)")
            #expect(reply.header("content-security-policy")?.contains("script-src 'self'") == true, "\(path)")
            #expect(reply.header("x-frame-options") == "DENY", "\(path)")
        }
        await dashboard.stop()
    }

    /// A NaN in a chart used to make the whole state endpoint answer `null`.
    @Test func nonFiniteChartValuesAreLeftOutAndCounted() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        ssc.queueStream([[("a", 1.0), ("b", Double.nan), ("c", Double.infinity)]]).dashboard(.bar(title: "v"))
        ssc.queueStream([[2.0, -Double.infinity]]).dashboard(.line(title: "sum"))
        let dashboard = try await ssc.dashboard(port: 0)
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        let reply = try await HTTPTestClient.get(port: dashboard.port, "/api/dashboard/state")
        #expect(reply.status == 200)
        let snapshot = try decode(DashboardSnapshot.self, reply.body)
        let bar = try #require(snapshot.charts.first { $0.title == "v" })
        #expect(bar.bars == [ChartFrame.Bar(label: "a", value: 1)])
        #expect(bar.nonFinite == 2)
        let line = try #require(snapshot.charts.first { $0.title == "sum" })
        #expect(line.points?.last?.values["sum"] == 2)
        #expect(line.nonFinite == 1)
        await ssc.stop()
        await dashboard.stop()
    }

    @Test func pageAndScriptAreServedWithoutExternalResources() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let dashboard = try await ssc.dashboard(port: 0)
        let page = try await HTTPTestClient.get(port: dashboard.port, "/")
        #expect(page.header("content-type")?.hasPrefix("text/html") == true)
        #expect(page.body.contains("<script src=\"dashboard.js\">"))
        let script = try await HTTPTestClient.get(port: dashboard.port, "/dashboard.js")
        #expect(script.body.contains("EventSource"))
        for text in [page.body, script.body] { #expect(!text.contains("https://")) }
        await dashboard.stop()
    }
}
