import Foundation
import Synchronization
import Testing
@testable import Spate


/// Stores whatever the test pushes into its feed.
struct PushReceiver: Receiver {
    final class Feed: Sendable {
        private let pending = Mutex<[Int]>([])
        func push(_ values: [Int]) { pending.withLock { $0.append(contentsOf: values) } }
        func take() -> [Int] { pending.withLock { p in defer { p = [] }; return p } }
        var isEmpty: Bool { pending.withLock { $0.isEmpty } }
    }
    let feed: Feed
    func onStart(_ context: ReceiverContext<Int>) async throws {
        while !context.isStopped && !Task.isCancelled {
            let values = feed.take()
            if !values.isEmpty { context.store(contentsOf: values) }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
    func onStop() async {}
}

/// A tmpfs of 64 KiB mounted at `<checkpoint>/receivedData`, so the write-ahead log fills a real disk.
struct TinyDisk {
    let checkpoint: URL
    let mount: URL
    let filler: URL

    /// Mounts the tmpfs; nil when mounting is not permitted here (the test then says so and does nothing).
    static func make() -> TinyDisk? {
        let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("spate-wal-full-\(UUID().uuidString)")
        let mount = checkpoint.appendingPathComponent("receivedData")
        try? FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.path]) else {
            try? FileManager.default.removeItem(at: checkpoint)
            return nil
        }
        return TinyDisk(checkpoint: checkpoint, mount: mount, filler: mount.appendingPathComponent("filler"))
    }

    static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    /// Writes the filler until the disk is full.
    func fill() throws {
        FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        defer { try? handle.close() }
        let block = Data(repeating: 0x2A, count: 4096)
        while (try? handle.write(contentsOf: block)) != nil {}
    }

    func free() throws { try FileManager.default.removeItem(at: filler) }

    func remove() {
        _ = Self.run("/bin/umount", [mount.path])
        try? FileManager.default.removeItem(at: checkpoint)
    }
}

/// Item 1 of "nothing lost": a failed write-ahead log append used to drop the received records (the error was
/// only reported). Now they stay queued while the write is retried, and the receiver and the context stop
/// with a typed error if the disk stays full.
@Suite(.serialized) struct ReceiverDiskFullTests {
    func program(_ disk: TinyDisk, _ feed: PushReceiver.Feed) -> (StreamingContext, Collector<Int>, ReceiverContext<Int>) {
        let ssc = manualContext()
        ssc.checkpoint(directory: disk.checkpoint)
        let (stream, supervisor) = ssc.receiverSource(PushReceiver(feed: feed))
        return (ssc, Collector(stream), supervisor.context)
    }

    @Test func recordsStoredWhileTheDiskIsFullAreWrittenOnceItFreesUp() async throws {
        guard let disk = TinyDisk.make() else {
            print("skipped: mounting a tmpfs is not permitted here (needs root: mount -t tmpfs)")
            return
        }
        defer { disk.remove() }
        let feed = PushReceiver.Feed()
        let (ssc, out, received) = program(disk, feed)
        try await ssc.start()
        try disk.fill()
        let values = Array(0..<2000)
        feed.push(values)
        try await pollUntil("the receiver took the records") { feed.isEmpty }
        try await Task.sleep(for: .milliseconds(300))
        #expect(received.reportedErrors == 0)
        #expect(ssc.isActive, "a disk full for a moment must not stop the context")
        try disk.free()
        // Batches take the records once they are written; old code had dropped them.
        let deadline = ContinuousClock.now + .seconds(10)
        while out.results.flatMap({ $0 }).count < values.count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            try await ssc.advance(by: .seconds(1))
        }
        await ssc.stop()
        let got = out.results.flatMap { $0 }
        let missing = Set(values).subtracting(got)
        #expect(missing.isEmpty, "lost \(missing.count) of \(values.count) records")
        #expect(got.sorted() == values, "every record exactly once")
    }

    @Test func aDiskThatStaysFullStopsTheContextWithATypedError() async throws {
        guard let disk = TinyDisk.make() else {
            print("skipped: mounting a tmpfs is not permitted here (needs root: mount -t tmpfs)")
            return
        }
        defer { disk.remove() }
        let feed = PushReceiver.Feed()
        let (ssc, _, received) = program(disk, feed)
        try await ssc.start()
        try disk.fill()
        feed.push(Array(0..<2000))
        do {
            // The writer retries for 10 s (WriteAheadLogWriter.failureTimeout) before it gives up.
            let stopped = try await ssc.awaitTermination(timeout: .seconds(25))
            Issue.record(stopped ? "the context stopped without the write-ahead log's error" : "the context did not stop")
            await ssc.stop()
        } catch let SpateError.writeAheadLogFailed(path, reason) {
            #expect(path.hasPrefix(disk.mount.path))
            #expect(reason.contains("No space left"), "the reason names the cause: \(reason)")
        }
        #expect(received.isStopped)
        #expect(received.reportedErrors >= 1)
    }
}
