import Foundation
import Synchronization
import Testing
@testable import Spate

/// Counts lifecycle calls of a test receiver.
private final class ReceiverProbe: Sendable {
    let starts = Atomic<Int>(0)
    let stops = Atomic<Int>(0)
    var startCount: Int { starts.load(ordering: .relaxed) }
    var stopCount: Int { stops.load(ordering: .relaxed) }
}

/// Polls `condition` every 5 ms for up to 5 s.

/// Stores its values and returns at once (Spark style: onStart does not block).
private struct FixedReceiver: Receiver {
    let values: [Int]
    let probe: ReceiverProbe
    func onStart(_ context: ReceiverContext<Int>) async throws {
        context.store(values[0])
        context.store(contentsOf: values.dropFirst())
        probe.starts.add(1, ordering: .relaxed)
    }
    func onStop() async { probe.stops.add(1, ordering: .relaxed) }
}

/// Blocks in onStart; on its first run it stores two values and asks for a restart.
private struct RestartingReceiver: Receiver {
    let probe: ReceiverProbe
    func onStart(_ context: ReceiverContext<String>) async throws {
        let run = probe.starts.add(1, ordering: .relaxed).newValue
        if run == 1 {
            context.store(contentsOf: ["first-1", "first-2"])
            context.restart("connection dropped", delay: .milliseconds(10))
        } else {
            context.store("second-\(run)")
        }
        // Receive until stopped or cancelled (restart cancels this run).
        while !context.isStopped && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
    func onStop() async { probe.stops.add(1, ordering: .relaxed) }
}

private struct ReceiverBoom: Error {}

/// Throws on its first run; stores a value on the next and reports an error without failing.
private struct FlakyReceiver: Receiver {
    let probe: ReceiverProbe
    func onStart(_ context: ReceiverContext<Int>) async throws {
        if probe.starts.add(1, ordering: .relaxed).newValue == 1 { throw ReceiverBoom() }
        context.reportError("a record could not be parsed", nil)
        context.store(42)
    }
    func onStop() async { probe.stops.add(1, ordering: .relaxed) }
}

/// Blocks in onStart until onStop releases it, ignoring cancellation (like a blocking socket read).
private final class BlockingReceiver: Receiver {
    typealias Element = Int
    private let gate = Mutex<(open: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))
    let probe = ReceiverProbe()

    func onStart(_ context: ReceiverContext<Int>) async throws {
        probe.starts.add(1, ordering: .relaxed)
        context.store(7)
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let open = gate.withLock { g -> Bool in
                if !g.open { g.waiter = c }
                return g.open
            }
            if open { c.resume() }
        }
    }

    func onStop() async {
        probe.stops.add(1, ordering: .relaxed)
        let waiter = gate.withLock { g in
            g.open = true
            defer { g.waiter = nil }
            return g.waiter
        }
        waiter?.resume()
    }
}

@Suite struct ReceiverStreamTests {
    @Test func storedRecordsMakeTheBatches() async throws {
        let probe = ReceiverProbe()
        let ssc = manualContext(parallelism: 2)
        let (stream, supervisor) = ssc.receiverSource(FixedReceiver(values: [1, 2, 3, 4, 5], probe: probe))
        let out = Collector(stream.map { $0 * 10 })
        try await ssc.start()
        try await pollUntil("five records are stored") { supervisor.context.bufferedCount == 5 }
        try await ssc.advance(by: .seconds(2))
        #expect(out.results == [[10, 20, 30, 40, 50], []])
        #expect(probe.startCount == 1)
        #expect(probe.stopCount == 0)
        await ssc.stop()
        #expect(probe.stopCount == 1)
        #expect(supervisor.context.isStopped)
        // Records stored after stop are dropped.
        supervisor.context.store(99)
        #expect(supervisor.context.bufferedCount == 0)
    }

    @Test func restartCallsOnStopThenOnStartAndKeepsRecords() async throws {
        let probe = ReceiverProbe()
        let ssc = manualContext()
        let (stream, supervisor) = ssc.receiverSource(RestartingReceiver(probe: probe))
        let out = Collector(stream)
        try await ssc.start()
        try await pollUntil("both runs stored") { supervisor.context.bufferedCount == 3 }
        #expect(probe.startCount == 2)
        #expect(probe.stopCount == 1)
        #expect(supervisor.context.restartCount == 1)
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        #expect(out.results == [["first-1", "first-2", "second-2"]])
        #expect(probe.startCount == 2)
        #expect(probe.stopCount == 2)
    }

    @Test func failingOnStartIsLoggedAndRestarted() async throws {
        let probe = ReceiverProbe()
        let ssc = manualContext()
        let (stream, supervisor) = ssc.receiverSource(FlakyReceiver(probe: probe))
        let out = Collector(stream)
        try await ssc.start()
        try await pollUntil("the second run stored") { supervisor.context.bufferedCount == 1 }
        try await ssc.advance(by: .seconds(1))
        #expect(ssc.isActive)
        await ssc.stop()
        #expect(out.results == [[42]])
        #expect(probe.startCount == 2)
        // onStop ran before the restart and at stop.
        #expect(probe.stopCount == 2)
        // The thrown error and the reported one.
        #expect(supervisor.context.reportedErrors == 2)
        #expect(supervisor.context.restartCount == 1)
    }

    @Test func stopReleasesABlockingReceiverViaOnStop() async throws {
        let receiver = BlockingReceiver()
        let ssc = manualContext()
        let (stream, supervisor) = ssc.receiverSource(receiver)
        let out = Collector(stream)
        try await ssc.start()
        try await pollUntil("the record is stored") { supervisor.context.bufferedCount == 1 }
        try await ssc.advance(by: .seconds(1))
        let t0 = ContinuousClock.now
        await ssc.stop()
        #expect(ContinuousClock.now - t0 < .seconds(2))
        #expect(out.results == [[7]])
        #expect(receiver.probe.startCount == 1)
        #expect(receiver.probe.stopCount == 1)
    }

    @Test func publicReceiverStreamCompiles() async throws {
        let probe = ReceiverProbe()
        let ssc = manualContext()
        let out = Collector(ssc.receiverStream(FixedReceiver(values: [3], probe: probe)))
        try await ssc.start()
        try await pollUntil("the receiver ran") { probe.startCount == 1 }
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        #expect(out.results == [[3]])
    }

    /// A checkpoint whose receiver position is past the end of the write-ahead log (its tail lost to a power cut,
    /// or `receivedData/` deleted) used to trap at every start (`log.read(position..<end)`). Now the program goes
    /// on from the checkpoint, reports the loss, and records stored after the restart get fresh sequence numbers.
    @Test func textReceiverLinesAreWriteAheadLoggedAndRecovered() async throws {
        // Utf8Text lines are Codable, so a text receiver's lines go to the write-ahead log like any record's
        // and come back after a crash before their batch ran.
        let feed = TextFeedReceiver.Feed()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-wal-text-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        func program() throws -> (StreamingContext, Collector<String>) {
            var out: Collector<String>?
            let ssc = try StreamingContext.getOrCreate(checkpoint: dir) {
                let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
                out = Collector(ssc.receiverStream(TextFeedReceiver(feed: feed)).map(\.string))
                return ssc
            }
            return (ssc, out!)
        }
        let (first, _) = try program()
        try await first.start()
        feed.push("to be\nor no")
        feed.push("t h\u{E9}\n")
        try await pollUntil("the receiver took the bytes") { feed.isEmpty }
        try await Task.sleep(for: .milliseconds(50))
        await first.stop(graceful: false)

        let (second, out) = try program()
        try await second.start()
        try await second.advance(by: .seconds(1))
        await second.stop()
        #expect(out.results.map { $0.sorted() } == [["or not h\u{E9}", "to be"]])
    }

    @Test func checkpointPastTheEndOfTheLogStillRecovers() async throws {
        let feed = PushReceiver.Feed()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-wal-tail-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        func program() throws -> (StreamingContext, Collector<Int>) {
            var out: Collector<Int>?
            let ssc = try StreamingContext.getOrCreate(checkpoint: dir) {
                let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
                out = Collector(ssc.receiverStream(PushReceiver(feed: feed)).checkpoint(interval: .seconds(1)))
                return ssc
            }
            return (ssc, out!)
        }
        let (first, firstOut) = try program()
        try await first.start()
        for batch in [[1, 2, 3], [4, 5]] {
            feed.push(batch)
            try await pollUntil("the receiver took the batch") { feed.isEmpty }
            try await Task.sleep(for: .milliseconds(20))
            try await first.advance(by: .seconds(1))
        }
        #expect(firstOut.results.map { $0.sorted() } == [[1, 2, 3], [4, 5]])
        await first.stop(graceful: false)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("receivedData"))

        let (second, secondOut) = try program()
        try await second.start()
        feed.push([6, 7])
        try await pollUntil("the receiver took the batch") { feed.isEmpty }
        try await Task.sleep(for: .milliseconds(20))
        try await second.advance(by: .seconds(1))
        await second.stop()
        #expect(secondOut.results.map { $0.sorted() } == [[6, 7]])
        #expect(secondOut.times == [3000])
    }
}

/// The text form of a receiver: reads byte chunks (lines may span them) and stores `Utf8Text` views.
private struct TextFeedReceiver: Receiver {
    final class Feed: Sendable {
        private let pending = Mutex<[[UInt8]]>([])
        func push(_ text: String) { pending.withLock { $0.append(Array(text.utf8)) } }
        func take() -> [[UInt8]] { pending.withLock { p in defer { p = [] }; return p } }
        var isEmpty: Bool { pending.withLock { $0.isEmpty } }
    }
    let feed: Feed
    func onStart(_ context: ReceiverContext<Utf8Text>) async throws {
        var splitter = TextLineSplitter(format: .utf8Lines)
        while !context.isStopped && !Task.isCancelled {
            var output = TextLineSplitter<Utf8Text>.Output()
            for chunk in feed.take() { chunk.withUnsafeBytes { splitter.feed($0, into: &output) } }
            if !output.lines.isEmpty { context.store(contentsOf: output.lines) }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
    func onStop() async {}
}
