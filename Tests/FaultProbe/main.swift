import Foundation
import Spate

// Programs the fault tests (Tests/FaultTests) run as child processes, under strace or a real SIGKILL.
//
//   FaultProbe durable <checkpoint dir> <output prefix>
//       One batch of a queue stream, checkpointed and saved with saveAsTextFiles, then a graceful stop: the
//       fsync order test traces it.
//   FaultProbe socket <checkpoint dir> <output dir> <port>
//       socketTextStream from 127.0.0.1:<port> with the write-ahead log on (100 ms batches, a checkpoint every
//       2), each batch's lines saved under <output dir>/lines-<time>; runs until SIGTERM (graceful stop, exit 0).
let args = CommandLine.arguments
guard args.count >= 4 else {
    FileHandle.standardError.write(Data("usage: FaultProbe durable|socket <checkpoint> <output> [port]\n".utf8))
    exit(2)
}
let checkpoint = URL(fileURLWithPath: args[2])
switch args[1] {
case "durable":
    let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
    ssc.checkpoint(directory: checkpoint)
    ssc.queueStream([["a", "b", "c"]]).map { ($0, 1) }.updateStateByKey { (v: [Int], s: Int?) in (s ?? 0) + v.count }
        .named("counts").checkpoint(interval: .seconds(1)).saveAsTextFiles(prefix: args[3])
    try await ssc.start()
    try await ssc.advance(by: .seconds(1))
    await ssc.stop()
    exit(0)
case "socket" where args.count >= 5:
    let output = args[3]
    let ssc = try StreamingContext.getOrCreate(checkpoint: checkpoint) {
        let ssc = StreamingContext(batchInterval: .milliseconds(100), parallelism: 1)
        ssc.socketTextStream(host: "127.0.0.1", port: Int(args[4])!).checkpoint(interval: .milliseconds(200))
            .saveAsTextFiles(prefix: "\(output)/lines")
        return ssc
    }
    ssc.stopGracefullyOnSignals()
    try await ssc.start()
    try await ssc.awaitTermination()
    exit(0)
default:
    FileHandle.standardError.write(Data("unknown mode \(args[1])\n".utf8))
    exit(2)
}
