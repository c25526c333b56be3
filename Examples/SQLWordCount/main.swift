import Spate

// The streaming guide's SqlNetworkWordCount, ported: words from a TCP server counted per batch by SQL.
// Run `nc -lk 9999` and type words. Usage: swift run SQLWordCount [host] [port]
let arguments = CommandLine.arguments
let host = arguments.count > 1 ? arguments[1] : "127.0.0.1"
let port = arguments.count > 2 ? Int(arguments[2]) ?? 9999 : 9999

let ssc = StreamingContext(batchInterval: .seconds(2))
sqlWordCounts(ssc.socketTextStream(host: host, port: port)).foreachBatch { batch, time in
    print("========= \(time.milliseconds) ms =========")
    print(show(batch.collect()))
}
try await ssc.start()
try await ssc.awaitTermination()
