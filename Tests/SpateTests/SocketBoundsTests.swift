import Foundation
import NIOCore
import Synchronization
import Testing
@testable import Spate

/// socketTextStream's bounds by default, over a real TCP socket: the longest line and the receive buffer.
@Suite(.serialized) struct SocketBoundsTests {
    /// The process's resident set size in bytes (Linux).
    static func residentBytes() -> Int {
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test func aLineOverMaxLineBytesIsDroppedCountedAndSkippedWithoutBufferingIt() async throws {
        let server = try await SocketLineServer.start()
        defer { Task { await server.stop() } }
        let ssc = manualContext()
        let recorder = InfoRecorder()
        ssc.addListener(recorder)
        // The default bound: 1 MiB.
        let (lines, source) = ssc.socketTextSource(host: "127.0.0.1", port: server.port)
        let out = Collector(lines)
        try await ssc.start()
        try await server.waitForClient()
        let before = Self.residentBytes()
        try await server.send("before\n")
        // A 100 MiB line without a newline, sent 1 MiB at a time, then its newline and one more line.
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        var peak = 0
        for _ in 0..<100 {
            try await server.send(chunk)
            peak = Swift.max(peak, Self.residentBytes() - before)
        }
        try await server.send("\nafter\n")
        try await pollUntil("both short lines are buffered", timeout: .seconds(120)) { source.bufferedCount == 2 }
        peak = Swift.max(peak, Self.residentBytes() - before)
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()

        #expect(out.results == [["before", "after"]])
        #expect(recorder.infos.map(\.invalidRecords) == [1])
        // The splitter kept at most 1 MiB of the long line (the old one held all of it, twice).
        #expect(peak < 48 << 20, "resident set grew by \(peak >> 20) MiB")
    }

    @Test func theReceiveBufferIsBoundedByDefault() {
        let limiter = SourceRateLimiter()
        #expect(limiter.capacity == ReceiveBufferBound(records: 1_000_000, bytes: 128 << 20))
        limiter.configure(batchIntervalMs: 1000, maxRate: 100, initialRate: nil)
        // With a rate bound, about two batches' worth, within the buffer's bound.
        #expect(limiter.capacity == ReceiveBufferBound(records: 200, bytes: 128 << 20))
    }

    @Test func aWriterFasterThanTheBatchesIsSlowedAtTheBufferBoundAndLosesNothing() async throws {
        let server = try await SocketLineServer.start()
        defer { Task { await server.stop() } }
        let ssc = manualContext()
        let maxBytes = 8 << 20
        ssc.backpressure(BackpressureConfiguration(maxBufferedRecords: 1_000_000, maxBufferedBytes: maxBytes))
        let recorder = InfoRecorder()
        ssc.addListener(recorder)
        let (lines, source) = ssc.socketTextSource(host: "127.0.0.1", port: server.port)
        let total = Atomic<Int>(0)
        let checksum = Atomic<Int>(0)
        lines.foreachBatch { batch, _ in
            total.add(batch.count, ordering: .relaxed)
            for line in batch.collect() {
                checksum.add(Int(line.prefix { $0 != " " })!, ordering: .relaxed)
            }
        }
        try await ssc.start()
        try await server.waitForClient()
        // 100 MB of 1000-byte lines against an 8 MiB buffer (and about 36 MB of kernel socket buffers), no batch yet.
        let lineCount = 100_000, perChunk = 1000
        let pad = [UInt8](repeating: UInt8(ascii: "."), count: 990)
        let sent = Atomic<Int>(0)
        let writer = Task {
            for c in 0..<(lineCount / perChunk) {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(perChunk * 1000)
                for i in 0..<perChunk {
                    bytes += Array(String(c * perChunk + i).utf8)
                    bytes.append(UInt8(ascii: " "))
                    bytes += pad
                    bytes.append(UInt8(ascii: "\n"))
                }
                try await server.send(bytes)
                sent.add(perChunk, ordering: .relaxed)
            }
        }
        try await pollUntil("the buffer reaches its bound", timeout: .seconds(60)) {
            source.received.buffered.bytes >= maxBytes
        }
        try await Task.sleep(for: .seconds(1))
        // The reader stopped at the bound (plus at most the last read): TCP holds the writer back.
        let slack = 256 << 10
        #expect(source.received.buffered.bytes < maxBytes + slack, "\(source.received.buffered) buffered")
        #expect(sent.load(ordering: .relaxed) < lineCount, "the writer was not held back")
        // Batches take what waits; the writer goes on until every line arrived, exactly once.
        let deadline = ContinuousClock.now + .seconds(120)
        while total.load(ordering: .relaxed) < lineCount, ContinuousClock.now < deadline {
            try await ssc.advance(by: .seconds(1))
            #expect(source.received.buffered.bytes < maxBytes + slack)
            try await Task.sleep(for: .milliseconds(20))
        }
        try await writer.value
        await ssc.stop()
        #expect(total.load(ordering: .relaxed) == lineCount)
        #expect(checksum.load(ordering: .relaxed) == lineCount * (lineCount - 1) / 2)
        #expect(recorder.infos.contains { $0.streamIdToMetadata.values.contains { $0["receiveBufferFull"] != nil } })
    }
}
