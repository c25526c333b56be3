import Foundation
import Spate
@testable import SpateDashboard
import Testing

/// Given a manual-clock program with a watermark, a tumbling window and sessions, when its batches complete,
/// then the dashboard's JSON (its state, each batch, Spark's batch API) and `/metrics` carry the watermark
/// after each batch and its lag behind the batch time, the late records and the open windows and sessions.
@Suite(.timeLimit(.minutes(2)))
struct DashboardEventTimeTests {
    /// The batches of `EventTimeFiguresTests.input` (delay 2 s, windows of 10 s, 6 s session gap): watermarks
    /// 17, 28, 28 and 48 s; one late record in batch 2; open windows 2, 1, 1, 1; open sessions 3, 1, 1, 1.
    static let input: [[(String, Int64)]] = [
        [("a", 1000), ("b", 3000), ("a", 12000), ("a", 19000), ("c", 11000), ("c", 13000)],
        [("a", 9000), ("b", 30000)],
        [],
        [("b", 31000), ("c", 50000)],
    ]

    @Test func stateJSONAndMetricsShowWatermarksLateRecordsAndOpenWindows() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let timed = try ssc.queueStream(Self.input).withWatermark(eventTime: { $0.1 }, delay: .seconds(2))
        try timed.countByKeyAndWindow(key: { $0.0 }, length: .seconds(10)).named("windows")
            .foreachBatch { _, _ in }
        try timed.reduceByKeyAndSession(key: { $0.0 }, value: { _ in 1 }, +, gap: .seconds(6)).named("sessions")
            .foreachBatch { _, _ in }
        let dashboard = try await ssc.dashboard(port: 0)
        try await ssc.start()
        try await ssc.advance(by: .seconds(4))
        let port = dashboard.port

        let state = try decode(DashboardSnapshot.self, try await HTTPTestClient.get(port: port, "/api/dashboard/state").body)
        #expect(state.completed.map(\.batchTime) == [1000, 2000, 3000, 4000])
        #expect(state.completed.map { $0.watermarks?["withWatermark#1"] } == [17000, 28000, 28000, 48000])
        #expect(state.completed.map(\.lateRecords) == [0, 1, 0, 0])
        #expect(state.completed.map { $0.eventTimeState?["windows"] } == [2, 1, 1, 1])
        #expect(state.completed.map { $0.eventTimeState?["sessions"] } == [3, 1, 1, 1])

        let base = "/api/v1/applications/\(dashboard.applicationID)/streaming"
        let batches = try decode([SparkStreamingAPI.BatchInfo].self, try await HTTPTestClient.get(port: port, "\(base)/batches").body)
        #expect(batches.map(\.lateRecords) == [0, 0, 1, 0])

        let lines = Set(try await HTTPTestClient.get(port: port, "/metrics").body.split(separator: "\n").map(String.init))
        func value(_ series: String) -> Double? {
            lines.first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }
        #expect(value("spate_streaming_watermark_milliseconds{stream=\"withWatermark#1\"}") == 48000)
        // The manual clock's batch times start at 0, the records' times do not: 4 s - 48 s.
        #expect(value("spate_streaming_watermark_lag_milliseconds{stream=\"withWatermark#1\"}") == -44000)
        #expect(value("spate_streaming_late_records_total") == 1)
        #expect(value("spate_streaming_event_time_state_entries{operator=\"windows\"}") == 1)
        #expect(value("spate_streaming_event_time_state_entries{operator=\"sessions\"}") == 1)
        await dashboard.stop()
        await ssc.stop()
    }
}
