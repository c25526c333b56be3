import Foundation
import Synchronization
import Testing
@testable import Spate

/// Collects every batch's `BatchInfo`.
final class BatchInfos: StreamingListener {
    let infos = Mutex<[Int: BatchInfo]>([:])
    func batchCompleted(_ info: BatchInfo) { infos.withLock { $0[info.batchTime.milliseconds] = info } }
    subscript(_ ms: Int) -> BatchInfo? { infos.withLock { $0[ms] } }
}

/// Each batch's totals, by batch time.
final class Totals: Sendable {
    let m = Mutex<[Int: [String: Int]]>([:])
    var value: [Int: [String: Int]] { m.withLock { $0 } }
}

/// A full disk (a 256 KiB tmpfs, filled up) under the checkpoint directory and under an output folder: the
/// program reports a typed error naming the path, the last good checkpoint and the written folders stay
/// intact, and once space returns the program goes on (or recovers on restart) with exact results.
@Suite(.serialized) struct DiskFullTests {
    static let mountSkip: Comment = "needs root and mount -t tmpfs (CI runs as root): disk-full faults not injected"

    /// Running totals per key over batches of (key, 1) pairs, checkpointed every batch.
    static func totals(_ ckpt: URL, _ seen: Totals, _ listener: BatchInfos) -> StreamingContext {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
        ssc.checkpoint(directory: ckpt)
        ssc.addListener(listener)
        ssc.queueStream(input).map { ($0, 1) }.updateStateByKey { (v: [Int], s: Int?) in (s ?? 0) + v.count }
            .named("totals").checkpoint(interval: .seconds(1)).foreachBatch { batch, time in
                let m = Dictionary(batch.collect(), uniquingKeysWith: +)
                seen.m.withLock { $0[time.milliseconds] = m }
            }
        return ssc
    }

    /// Eight batches of keys (long ones, so a checkpoint is a few KiB).
    static let input: [[String]] = (1...8).map { b in (0..<40).map { "key-\(String(repeating: "x", count: 40))-\(($0 * b) % 53)" } }

    /// What the totals are after each batch, in plain Swift.
    static var reference: [Int: [String: Int]] {
        var out: [Int: [String: Int]] = [:]
        var running: [String: Int] = [:]
        for (i, batch) in input.enumerated() {
            for k in batch { running[k, default: 0] += 1 }
            out[(i + 1) * 1000] = running
        }
        return out
    }

    @Test(.enabled(if: FaultSupport.canMount, mountSkip))
    func aFullCheckpointDiskIsReportedKeepsTheLastCheckpointAndCheckpointingResumes() async throws {
        let fs = try #require(Tmpfs(size: "256k"))
        defer { fs.unmount() }
        let ckpt = fs.url.appendingPathComponent("ckpt")
        let seen = Totals()
        let infos = BatchInfos()
        let ssc = Self.totals(ckpt, seen, infos)
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        #expect(await FaultSupport.eventually { CheckpointFile.list(ckpt).first?.time == 2000 })
        let filler = fs.fill()
        try await ssc.advance(by: .seconds(1))
        try await Task.sleep(for: .milliseconds(300))
        try await ssc.advance(by: .seconds(1))
        let failure = try #require(infos[4000]?.checkpointFailure, "a full disk must be reported in BatchInfo")
        guard case let .writeFailed(path, reason) = failure else { Issue.record("\(failure)"); return }
        #expect(path.hasPrefix(ckpt.path))
        #expect(reason.contains("No space left on device"))
        #expect("\(failure)".contains("free space"))
        // The last good checkpoint is intact, and no partial file is left to eat the space.
        #expect(try CheckpointFile.latest(in: ckpt, warn: { Issue.record("\($0)") })?.completedMs == 2000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: ckpt.path).filter { $0.hasPrefix(".") } == [])
        // Space returns: the next checkpoint is written and the failure clears.
        try FileManager.default.removeItem(at: filler)
        try await ssc.advance(by: .seconds(1))
        #expect(await FaultSupport.eventually { CheckpointFile.list(ckpt).first?.time == 5000 })
        try await ssc.advance(by: .seconds(1))
        #expect(infos[6000]?.checkpointFailure == nil)
        #expect(infos[6000]?.lastCheckpointTime == BatchTime(milliseconds: 6000) || infos[6000]?.lastCheckpointTime == BatchTime(milliseconds: 5000))
        await ssc.stop(graceful: false)
        // A crash now recovers from the checkpoints written after the disk was full, with exact totals.
        let again = try StreamingContext.getOrCreate(checkpoint: ckpt) { Self.totals(ckpt, seen, BatchInfos()) }
        try await again.start()
        try await again.advance(by: .seconds(2))
        await again.stop()
        #expect(seen.value == Self.reference)
    }

    @Test(.enabled(if: FaultSupport.canMount, mountSkip))
    func aFullOutputDiskFailsTheBatchNamingTheFolderAndARestartWritesItExactly() async throws {
        let fs = try #require(Tmpfs(size: "256k"))
        defer { fs.unmount() }
        let root = FaultSupport.tempDir("output-full")
        defer { try? FileManager.default.removeItem(at: root) }
        let ckpt = root.appendingPathComponent("ckpt")
        let out = fs.url.appendingPathComponent("out")
        func program() -> StreamingContext {
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
            ssc.queueStream(Self.input).checkpoint(interval: .seconds(1)).saveAsTextFiles(prefix: out.appendingPathComponent("batch").path)
            return ssc
        }
        func folder(_ ms: Int) -> URL { out.appendingPathComponent("batch-\(ms)") }
        func expected(_ ms: Int) -> String { Self.input[ms / 1000 - 1].map { $0 + "\n" }.joined() }
        let first = try StreamingContext.getOrCreate(checkpoint: ckpt, create: program)
        try await first.start()
        try await first.advance(by: .seconds(2))
        #expect(await FaultSupport.eventually { CheckpointFile.list(ckpt).first?.time == 2000 })
        let filler = fs.fill()
        let error = await #expect(throws: SpateError.self) { try await first.advance(by: .seconds(1)) }
        #expect("\(error.map { "\($0)" } ?? "")".contains(folder(3000).path))
        #expect("\(error.map { "\($0)" } ?? "")".contains("No space left on device"))
        // Nothing of the failed batch is left; the earlier folders are intact.
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(names == ["batch-1000", "batch-2000"])
        for ms in [1000, 2000] {
            #expect(try String(contentsOf: folder(ms).appendingPathComponent("part-00000"), encoding: .utf8) == expected(ms))
        }
        // Space returns; a restart recovers from the checkpoint and writes batch 3 onwards exactly.
        try FileManager.default.removeItem(at: filler)
        let second = try StreamingContext.getOrCreate(checkpoint: ckpt, create: program)
        try await second.start()
        try await second.advance(by: .seconds(6))
        await second.stop()
        try await second.awaitTermination()
        for ms in stride(from: 1000, through: 8000, by: 1000) {
            #expect(try String(contentsOf: folder(ms).appendingPathComponent("part-00000"), encoding: .utf8) == expected(ms))
            #expect(FileManager.default.fileExists(atPath: folder(ms).appendingPathComponent("_SUCCESS").path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".") } == [])
    }
}
