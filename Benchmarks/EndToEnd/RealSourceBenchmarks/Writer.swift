import ArgumentParser
import Foundation
import SpateKafka

/// The writer process: offers generated lines at a steady rate over a TCP connection, as files moved into a
/// directory, or as Kafka records (one line each), until it is terminated or `--seconds` pass. Started by the
/// benchmark as a child process, so writing never shares the engine's process.
struct Writer: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The load generator (started by the benchmark).")

    enum Target: String, ExpressibleByArgument { case socket, files, kafka }
    enum Kind: String, ExpressibleByArgument { case words, events }

    @Option var to: Target
    @Option var kind: Kind = .words
    @Option(help: "Lines per second offered.") var rate: Int
    @Option var directory = ""
    @Option var brokers = "127.0.0.1:9092"
    @Option var topic = ""
    @Option(help: "Stop after this many seconds.") var seconds = 600

    func run() throws {
        let block = kind == .words ? LineBlock.wordLines(200_000) : LineBlock.eventLines(200_000)
        var ring = Ring(block: block)
        switch to {
        case .socket: try serve(&ring)
        case .files: try files(&ring)
        case .kafka: try produce(&ring)
        }
    }

    /// Calls `body(n)` every `tick` with the lines due since the last call at `rate`, for `seconds`.
    func paced(tick: Duration, _ body: (Int) throws -> Void) rethrows {
        let clock = ContinuousClock()
        let start = clock.now
        var sent = 0
        while clock.now - start < .seconds(seconds) {
            let elapsed = clock.now - start
            let due = Int(Double(rate) * (Double(elapsed.components.seconds)
                + Double(elapsed.components.attoseconds) / 1e18))
            if due > sent {
                try body(due - sent)
                sent = due
            }
            Thread.sleep(forTimeInterval: Double(tick.components.attoseconds) / 1e18)
        }
    }

    /// Listens on a free loopback port (printed as `port N`), accepts the engine and writes to it.
    func serve(_ ring: inout Ring) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { s in
                guard bind(listener, s, length) == 0, listen(listener, 1) == 0 else { throw Failure("bind/listen failed") }
                getsockname(listener, s, &length)
            }
        }
        // Unbuffered, so the benchmark reads the port at once.
        FileHandle.standardOutput.write(Data("port \(UInt16(bigEndian: address.sin_port))\n".utf8))
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { throw Failure("accept failed") }
        try paced(tick: .milliseconds(5)) { n in
            try ring.take(n) { bytes in
                try bytes.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let w = write(connection, raw.baseAddress! + offset, raw.count - offset)
                        if w <= 0 { throw Failure("the engine closed the connection") }
                        offset += w
                    }
                }
            }
        }
        close(connection)
    }

    /// Writes each tick's lines to a hidden file, renames it into the directory, and deletes files older than
    /// ten seconds (read long before: the source reads a file at the first batch that sees it).
    func files(_ ring: inout Ring) throws {
        var written: [(URL, ContinuousClock.Instant)] = []
        var sequence = 0
        let base = URL(fileURLWithPath: directory)
        try paced(tick: .milliseconds(100)) { n in
            var data = Data()
            ring.take(n) { data.append(contentsOf: $0) }
            let hidden = base.appendingPathComponent(".part-\(sequence)")
            let final = base.appendingPathComponent(String(format: "part-%08d", sequence))
            try data.write(to: hidden)
            try FileManager.default.moveItem(at: hidden, to: final)
            sequence += 1
            written.append((final, ContinuousClock.now))
            while let first = written.first, ContinuousClock.now - first.1 > .seconds(10) {
                try? FileManager.default.removeItem(at: first.0)
                written.removeFirst()
            }
        }
    }

    /// Produces each tick's lines, one record per line, and waits for the acknowledgements.
    func produce(_ ring: inout Ring) throws {
        let producer = try KafkaProducer(brokers: brokers, settings: ["linger.ms": "20", "batch.num.messages": "100000"])
        let clock = ContinuousClock()
        let start = clock.now
        var total = 0
        try paced(tick: .milliseconds(100)) { n in
            var messages: [KafkaMessage] = []
            messages.reserveCapacity(n)
            ring.eachLine(n) { messages.append(KafkaMessage(value: Array($0))) }
            try producer.send(messages, to: topic)
            total += n
        }
        let s = Double((clock.now - start).components.seconds)
        FileHandle.standardError.write(Data("writer: produced \(total) records (\(Int(Double(total) / max(1, s)))/s)\n".utf8))
    }
}

/// Walks a `LineBlock` round and round.
struct Ring {
    let block: LineBlock
    var next = 0

    /// Hands the bytes of the next `n` lines to `body`, in one or more slices.
    mutating func take(_ n: Int, _ body: (ArraySlice<UInt8>) throws -> Void) rethrows {
        var left = n
        while left > 0 {
            let m = min(left, block.count - next)
            try body(block.bytes(of: next..<(next + m)))
            next = (next + m) % block.count
            left -= m
        }
    }

    /// Hands each of the next `n` lines to `body`, without its newline.
    mutating func eachLine(_ n: Int, _ body: (ArraySlice<UInt8>) -> Void) {
        for _ in 0..<n {
            let line = block.bytes(of: next..<(next + 1))
            body(line.dropLast())
            next = (next + 1) % block.count
        }
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
