import Foundation
import NIOCore
import Spate
@testable import SpateDashboard
import Testing

/// Given a page connected to the push stream, when batches complete, then it receives the snapshot first,
/// then each batch's progress and the result charts' new data, without polling.
@Suite(.timeLimit(.minutes(2)))
struct DashboardEventsTests {
    @Test func snapshotThenBatchesAndChartsArePushed() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        let words = ssc.queueStream([["a", "b", "a"], ["b", "c", "c", "c"]])
        words.map { ($0, 1) }.reduceByKey(+).dashboard(.bar(title: "Words", topK: 2))
        words.count().dashboard(.line(title: "Words per batch"))
        let dashboard = try await ssc.dashboard(port: 0)
        try await ssc.start()

        let client = try await EventStreamClient(port: dashboard.port)
        var frames = client.frames.makeAsyncIterator()
        let first = try #require(try await nextFrame(&frames) { _ in true })
        #expect(first.type == "snapshot")
        #expect(first.snapshot?.completed.isEmpty == true)
        #expect(first.snapshot?.batchIntervalMs == 1000)
        #expect(dashboard.connectedClients == 1)

        try await ssc.advance(by: .seconds(1))
        let bars1 = try #require(try await nextFrame(&frames) { $0.chart?.title == "Words" }?.chart)
        #expect(bars1.batchTime == 1000)
        #expect(bars1.bars == [.init(label: "a", value: 2), .init(label: "b", value: 1)])
        let done1 = try #require(try await nextFrame(&frames) { $0.batch?.status == "COMPLETED" }?.batch)
        #expect(done1.batchTime == 1000)
        #expect(done1.numRecords == 3)
        #expect(done1.outputOperations.map(\.name) == ["dashboard(bar: Words)", "dashboard(line: Words per batch)"])

        try await ssc.advance(by: .seconds(1))
        let bars2 = try #require(try await nextFrame(&frames) { $0.chart?.title == "Words" }?.chart)
        #expect(bars2.bars == [.init(label: "c", value: 3), .init(label: "b", value: 1)])
        let line = try #require(try await nextFrame(&frames) { $0.chart?.title == "Words per batch" }?.chart)
        #expect(line.points?.map(\.time) == [1000, 2000])
        #expect(line.points?.map { $0.values["Words per batch"] } == [3, 4])

        // A page connecting now gets the whole state in its snapshot: batches, charts and the graph.
        let late = try await EventStreamClient(port: dashboard.port)
        var lateFrames = late.frames.makeAsyncIterator()
        let snapshot = try #require(try await nextFrame(&lateFrames) { $0.type == "snapshot" }?.snapshot)
        #expect(snapshot.completed.map(\.batchTime) == [1000, 2000])
        #expect(snapshot.charts.map(\.title) == ["Words", "Words per batch"])
        #expect(snapshot.graph.nodes.first?.name == "queueStream")
        #expect(snapshot.graph.nodes.first?.isSource == true)
        #expect(snapshot.graph.outputs.count == 2)
        let ids = Set(snapshot.graph.nodes.map(\.id))
        #expect(snapshot.graph.nodes.allSatisfy { $0.parents.allSatisfy(ids.contains) })

        client.close()
        late.close()
        await dashboard.stop()
        await ssc.stop()
    }

    @Test func vanishedClientIsForgottenAndBatchesGoOn() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        ssc.queueStream([[1], [2], [3]], default: [0]).dashboard(.line(title: "n"))
        let dashboard = try await ssc.dashboard(port: 0)
        try await ssc.start()
        let client = try await EventStreamClient(port: dashboard.port)
        var frames = client.frames.makeAsyncIterator()
        _ = try await nextFrame(&frames) { $0.type == "snapshot" }
        #expect(dashboard.connectedClients == 1)
        client.close()
        // The next frames fail to write to the closed connection, which unsubscribes it.
        for _ in 0..<50 where dashboard.connectedClients > 0 {
            try await ssc.advance(by: .seconds(1))
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(dashboard.connectedClients == 0)
        await dashboard.stop()
        await ssc.stop()
    }

    @Test func aClientThatNeverReadsDoesNotBlockTheBatchLoop() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        // Wide bar charts make frames (~150 KB) big enough to fill the socket's buffers quickly.
        let keys = (0..<2000).map { "key-\($0)-padding-padding-padding-padding-padding" }
        ssc.queueStream([keys], default: keys).map { ($0, 1) }.dashboard(.bar(title: "All keys", topK: 2000))
        let dashboard = try await ssc.dashboard(port: 0)
        try await ssc.start()
        // Connects and sends its request, then never reads a byte.
        let stuck = try await HTTPTestClient.connect(port: dashboard.port)
        try await stuck.channel.writeAndFlush(ByteBuffer(string: HTTPTestClient.request(
            "/api/dashboard/events", headers: [:], close: false)))
        for _ in 0..<100 where dashboard.connectedClients == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(dashboard.connectedClients == 1)
        let start = ContinuousClock.now
        try await ssc.advance(by: .seconds(400))
        #expect(ContinuousClock.now - start < .seconds(60))
        #expect(dashboard.droppedFrames > 0)
        let metrics = try await HTTPTestClient.get(port: dashboard.port, "/metrics").body
        #expect(metrics.contains("spate_dashboard_dropped_frames_total \(dashboard.droppedFrames)"))
        try await stuck.channel.close()
        await dashboard.stop()
        await ssc.stop()
    }

    @Test func broadcasterBuffersAreBoundedAndDropsAreCounted() async throws {
        let broadcaster = UpdateBroadcaster(metrics: DashboardMetrics())
        let (_, frames) = broadcaster.subscribe()
        let total = UpdateBroadcaster.bufferedFrames + 36
        for i in 0..<total { broadcaster.broadcast(ByteBuffer(string: "\(i)")) }
        #expect(broadcaster.droppedFrames == 36)
        broadcaster.finishAll()
        var received: [String] = []
        for await frame in frames { received.append(String(buffer: frame)) }
        // The newest frames are kept: they carry the latest state.
        #expect(received.count == UpdateBroadcaster.bufferedFrames)
        #expect(received.last == "\(total - 1)")
        #expect(broadcaster.clientCount == 0)
    }

    /// A page that reconnects while the dashboard stops (browsers retry an ended event stream) must get an ended
    /// stream: before the fix it was subscribed after `finishAll()`, never finished, and `stop()` waited on its
    /// response for ever (seen with the soak's 25 reconnecting stream clients).
    @Test func aClientSubscribingAfterFinishAllGetsAnEndedStream() async throws {
        let broadcaster = UpdateBroadcaster(metrics: DashboardMetrics())
        broadcaster.finishAll()
        let (_, frames) = broadcaster.subscribe()
        broadcaster.broadcast(ByteBuffer(string: "late"))
        #expect(broadcaster.clientCount == 0)
        // The stream ends by itself (true), rather than staying open until the 5 s timer (false).
        let endedByItself = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in frames {}
                return !Task.isCancelled
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(endedByItself)
    }
}
