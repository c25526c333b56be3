import Spate

// Counts words in lines received from a TCP server: run `nc -lk 9999` and type words.
// Usage: swift run NetworkWordCount [host] [port]
// `as: .utf8Lines` hands out the lines as UTF-8 views (the fast form); without it they are Strings.
let arguments = CommandLine.arguments
let host = arguments.count > 1 ? arguments[1] : "127.0.0.1"
let port = arguments.count > 2 ? Int(arguments[2]) ?? 9999 : 9999

let ssc = StreamingContext(batchInterval: .seconds(1))
let counts = wordCounts(ssc.socketTextStream(host: host, port: port, as: .utf8Lines))
counts.print()
try await ssc.start()
try await ssc.awaitTermination()
