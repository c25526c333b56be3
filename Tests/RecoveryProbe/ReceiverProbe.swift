import Foundation
import Spate
import Synchronization

/// Reads `<upstream>` (one record a line) from the acknowledged line count stored in `<upstream>.ack`,
/// 20 lines at a time: stores them reliably, then acknowledges them (drops its copy).
struct UpstreamReceiver: Receiver {
    let upstream: String
    let exhausted: Exhausted

    func onStart(_ context: ReceiverContext<String>) async throws {
        let lines = try String(contentsOfFile: upstream, encoding: .utf8).split(separator: "\n").map(String.init)
        var acked = Int((try? String(contentsOfFile: upstream + ".ack", encoding: .utf8)) ?? "0") ?? 0
        while !context.isStopped && acked < lines.count {
            let chunk = Array(lines[acked..<min(acked + 20, lines.count)])
            try await context.storeReliably(contentsOf: chunk)
            acked += chunk.count
            let temp = upstream + ".ack.tmp"
            try Data("\(acked)".utf8).write(to: URL(fileURLWithPath: temp))
            _ = rename(temp, upstream + ".ack")
            try await Task.sleep(for: .milliseconds(3))
        }
        if acked >= lines.count { exhausted.flag.withLock { $0 = true } }
        while !context.isStopped { try await Task.sleep(for: .milliseconds(20)) }
    }

    func onStop() async {}
}

final class Exhausted: Sendable {
    let flag = Mutex(false)
}

enum ReceiverProbe {
    static func run(checkpoint: URL, output: String, intervalMs: Int, upstream: String) async throws {
        let exhausted = Exhausted()
        let ssc = try StreamingContext.getOrCreate(checkpoint: checkpoint) {
            let ssc = StreamingContext(batchInterval: .milliseconds(intervalMs), parallelism: 2)
            ssc.receiverStream(UpstreamReceiver(upstream: upstream, exhausted: exhausted))
                .checkpoint(interval: .milliseconds(2 * intervalMs))
                .foreachBatch { batch, time in
                    let dir = URL(fileURLWithPath: output).appendingPathComponent("\(ssc.zeroTime.milliseconds)")
                    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                    let text = batch.collect().map { $0 + "\n" }.joined()
                    let temp = dir.appendingPathComponent(".recv-\(time.milliseconds).tmp")
                    try Data(text.utf8).write(to: temp)
                    _ = rename(temp.path, dir.appendingPathComponent("recv-\(time.milliseconds).txt").path)
                }
            return ssc
        }
        final class StopWhenDrained: StreamingListener {
            let ssc: StreamingContext
            let exhausted: Exhausted
            let quiet = Mutex(0)
            init(_ ssc: StreamingContext, _ exhausted: Exhausted) { self.ssc = ssc; self.exhausted = exhausted }
            func batchCompleted(_ info: BatchInfo) {
                guard exhausted.flag.withLock({ $0 }) else { return }
                let n = quiet.withLock { q -> Int in q = info.numRecords == 0 ? q + 1 : 0; return q }
                if n >= 3 { Task { await ssc.stop(graceful: true) } }
            }
        }
        ssc.addListener(StopWhenDrained(ssc, exhausted))
        try await ssc.start()
        try await ssc.awaitTermination()
    }
}
