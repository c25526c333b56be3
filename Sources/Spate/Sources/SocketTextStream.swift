import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import Synchronization

/// The client behind `socketTextStream(host:port:)`: one connection at a time to a TCP server, lines buffered
/// until the next batch cuts them (see `ReceivedRecordsSource`), as `String`s or `Utf8Text` views (`format`).
///
/// The receive loop runs in its own task. When the server closes the connection or it fails, the loop
/// reconnects with exponential backoff (100 ms doubling to 2 s) until it is stopped; buffered lines stay
/// buffered meanwhile, so nothing received is lost.
final class SocketTextSource<Line: Sendable>: ReceivedRecordsSource {
    typealias Element = Line
    typealias Descriptor = Range<Int>
    typealias Position = Int
    let host: String
    let port: Int
    let parallelism: Int
    let format: TextLineFormat<Line>
    /// The longest line kept, in bytes; longer ones are dropped and counted as invalid.
    let maxLineBytes: Int
    private let logger: Logger
    private let state = Mutex(State())
    /// The backpressure / max-rate bound: a batch takes at most the bound x batch interval lines, and the
    /// reader pauses (TCP flow control slows the server) while about two batches of lines wait.
    var rateLimiter: SourceRateLimiter { received.rateLimiter }
    /// The received lines waiting for batches, with their write-ahead log when the context checkpoints.
    let received: ReceiverContext<Line>

    private struct State: Sendable {
        /// Invalid lines received since the last cut.
        var invalid = 0
        var stopped = false
        var channel: (any Channel)?
        var task: Task<Void, Never>?
        /// Connections made so far (the first one included); lets tests and logs see reconnects.
        var connections = 0
    }

    static var initialBackoff: Duration { .milliseconds(100) }
    static var maximumBackoff: Duration { .seconds(2) }

    /// The default of `maxLineBytes`: 1 MiB.
    static var defaultMaxLineBytes: Int { 1 << 20 }

    /// A client of `host:port` for `ssc`'s batches, keeping lines of at most `maxLineBytes` bytes.
    init(host: String, port: Int, format: TextLineFormat<Line>, maxLineBytes: Int = defaultMaxLineBytes,
         in ssc: StreamingContext) {
        self.host = host
        self.port = port
        self.format = format
        self.parallelism = ssc.parallelism
        self.maxLineBytes = maxLineBytes
        let name = "socketTextStream(\(host):\(port))"
        var logger = ssc.logger
        logger[metadataKey: "source"] = "\(name)"
        self.logger = logger
        self.received = ssc.receiverContext(name: name, logger: logger, weigh: format.size)
        if maxLineBytes < 1 {
            ssc.recordDefinitionError(.invalidMaxLineBytes(source: sourceName, maxLineBytes: maxLineBytes))
        }
    }

    /// The checkpoint and dashboard name.
    var name: String { "socketTextStream(\(host):\(port))" }

    var sourceName: String { "socketTextStream(host: \"\(host)\", port: \(port))" }

    /// Lines waiting for the next batch.
    var bufferedCount: Int { received.bufferedCount }

    /// How many times the source connected (1 after start, +1 per reconnect).
    var connectionCount: Int { state.withLock { $0.connections } }

    /// The invalid lines received since the last cut go with the batch just cut.
    func takeInvalidCount() -> Int {
        let invalid = state.withLock { s in
            defer { s.invalid = 0 }
            return s.invalid
        }
        if invalid > 0 {
            logger.warning("dropped lines that are not valid UTF-8", metadata: ["invalidLines": "\(invalid)"])
        }
        return invalid
    }

    // MARK: Lifecycle

    func start() async throws {
        // Recovery may have opened the log already; otherwise open it (and re-buffer what it holds).
        try await received.openLog()
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await connect()
        } catch {
            throw SpateError.sourceFailed(
                source: sourceName,
                reason: "cannot connect to \(host):\(port) (\(error)): start a server on \(host):\(port) "
                    + "(for example `nc -lk \(port)`) or fix host/port")
        }
        logBounds()
        let task = Task { [self] in await receiveLoop(first: channel) }
        let stoppedEarly = state.withLock { s -> Bool in
            if !s.stopped { s.task = task }
            return s.stopped
        }
        if stoppedEarly { task.cancel() }
    }

    func stop(graceful: Bool) async {
        received.markStopped(keepBuffer: graceful)
        let (channel, task) = state.withLock { s -> ((any Channel)?, Task<Void, Never>?) in
            s.stopped = true
            defer {
                s.channel = nil
                s.task = nil
            }
            return (s.channel, s.task)
        }
        try? await channel?.close()
        task?.cancel()
        await task?.value
        await received.finishLog()
        logger.info("stopped", metadata: ["graceful": "\(graceful)", "bufferedLines": "\(bufferedCount)"])
    }

    private func connect() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Reads `first`, then keeps reconnecting and reading until stopped.
    private func receiveLoop(first: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        var next: NIOAsyncChannel<ByteBuffer, ByteBuffer>? = first
        while let channel = next {
            let registered = state.withLock { s -> Bool in
                guard !s.stopped else { return false }
                s.channel = channel.channel
                s.connections += 1
                return true
            }
            guard registered else {
                try? await channel.channel.close()
                return
            }
            let failure = await read(channel)
            state.withLock { s in
                if s.channel === channel.channel { s.channel = nil }
            }
            if isStopped { return }
            logger.warning("connection lost; reconnecting", metadata: [
                "reason": "\(failure.map { "\($0)" } ?? "server closed the connection")"])
            next = await reconnect()
            if next != nil { logger.info("reconnected") }
        }
    }

    private var isStopped: Bool { state.withLock { $0.stopped } || Task.isCancelled }

    /// Reads lines until the connection ends; returns the error that ended it, if any.
    private func read(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async -> (any Error)? {
        var splitter = TextLineSplitter(format: format, maxLineBytes: maxLineBytes)
        do {
            try await channel.executeThenClose { inbound, _ in
                for try await buffer in inbound {
                    var output = TextLineSplitter<Line>.Output()
                    buffer.withUnsafeReadableBytes { splitter.feed($0, into: &output) }
                    append(output)
                    await waitForBufferSpace()
                }
            }
        } catch {
            var output = TextLineSplitter<Line>.Output()
            splitter.finish(into: &output)
            append(output)
            return isStopped ? nil : error
        }
        var output = TextLineSplitter<Line>.Output()
        splitter.finish(into: &output)
        append(output)
        return nil
    }

    private func append(_ output: TextLineSplitter<Line>.Output) {
        guard !output.lines.isEmpty || output.invalid > 0 || output.oversized > 0 else { return }
        if !output.lines.isEmpty { received.enqueue(output.lines) }
        if output.oversized > 0 { countOversized(output.oversized) }
        if output.invalid > 0 || output.oversized > 0 {
            state.withLock { $0.invalid += output.invalid + output.oversized }
        }
    }

    // MARK: Bounds

    /// Logs the connection with the bounds in force: the longest line, and the receive buffer's bound.
    private func logBounds() {
        let buffer = rateLimiter.capacity
        logger.info("connected", metadata: [
            "maxLineBytes": "\(maxLineBytes)", "maxBufferedRecords": "\(buffer.records)",
            "maxBufferedBytes": "\(buffer.bytes)"])
    }

    /// Backpressure: stops reading (TCP's flow control then slows the server) while the buffer holds what the
    /// batches cannot take yet: about two batches at the rate bound, or the receive buffer's bound.
    private func waitForBufferSpace() async {
        await rateLimiter.waitForCapacity(buffered: { received.buffered }, stopped: { isStopped }, logger: logger)
    }

    /// Counts lines dropped for being longer than `maxLineBytes` (they go into the batch's invalid records).
    private func countOversized(_ lines: Int) {
        oversizedLinesMetric.increment(by: lines)
        logger.warning("dropped lines longer than maxLineBytes", metadata: [
            "lines": "\(lines)", "maxLineBytes": "\(maxLineBytes)",
            "fix": "raise socketTextStream(host:port:maxLineBytes:) if such lines are valid"])
    }


    /// Tries to connect with exponential backoff until it succeeds (the channel) or the source stops (nil).
    private func reconnect() async -> NIOAsyncChannel<ByteBuffer, ByteBuffer>? {
        var delay = Self.initialBackoff
        var attempt = 0
        while !isStopped {
            do { try await Task.sleep(for: delay) } catch { return nil }
            if isStopped { return nil }
            attempt += 1
            do {
                return try await connect()
            } catch {
                let level: Logger.Level = attempt == 1 || attempt % 10 == 0 ? .warning : .debug
                logger.log(level: level, "reconnect failed; retrying", metadata: [
                    "attempt": "\(attempt)", "retryIn": "\(Swift.min(delay * 2, Self.maximumBackoff))",
                    "error": "\(error)"])
            }
            delay = Swift.min(delay * 2, Self.maximumBackoff)
        }
        return nil
    }
}

extension StreamingContext {
    /// A stream of the lines a TCP server sends, as Spark's `socketTextStream`: Spate connects to
    /// `host:port` as a client and each batch holds the newline-delimited UTF-8 lines received since the
    /// previous batch, split into `parallelism` partitions.
    ///
    /// `start()` throws `SpateError.sourceFailed` if the first connection fails. If the server goes away
    /// later, the source reconnects with backoff and keeps what it already received. Lines that are not
    /// valid UTF-8 are dropped and reported in `BatchInfo.invalidRecords` rather than failing the stream.
    ///
    /// A line longer than `maxLineBytes` (default 1 MiB) is dropped, counted in `BatchInfo.invalidRecords` (and
    /// the metric `spate_oversized_lines_total`), and the stream goes on; its bytes are skipped as they arrive,
    /// so memory stays bounded whatever the server sends.
    ///
    /// Reading pauses, so TCP slows the server, while the lines waiting for a batch reach the receive buffer's
    /// bound (`BackpressureConfiguration.maxBufferedRecords` and `maxBufferedBytes`, by default 1,000,000 lines
    /// and 128 MiB). With backpressure or a maximum rate (`backpressure(_:)`), a batch takes at most the rate
    /// bound x batch interval lines; the rest stay buffered, and reading pauses while about two batches wait.
    public func socketTextStream(host: String, port: Int, maxLineBytes: Int = 1 << 20) -> DStream<String> {
        socketTextStream(host: host, port: port, maxLineBytes: maxLineBytes, as: .strings)
    }

    /// `socketTextStream(host:port:maxLineBytes:)` handing out its lines in `format`: `.utf8Lines` gives
    /// `Utf8Text` views of the received bytes, the fast form (no String built per line; split them with
    /// `words`, `wordKeys`, `field(_:)` and count with `TextKey`).
    /// ```swift
    /// let counts = ssc.socketTextStream(host: "127.0.0.1", port: 9999, as: .utf8Lines)
    ///     .flatMap { $0.wordKeys }.map { ($0, 1) }.reduceByKey(+)
    /// ```
    public func socketTextStream<Line>(
        host: String, port: Int, maxLineBytes: Int = 1 << 20, as format: TextLineFormat<Line>
    ) -> DStream<Line> {
        let source = SocketTextSource(host: host, port: port, format: format, maxLineBytes: maxLineBytes, in: self)
        return inputStream(source, rateLimiter: source.rateLimiter)
    }
}

/// Lines dropped by socket sources for being longer than their `maxLineBytes`.
private let oversizedLinesMetric = Counter(label: "spate_oversized_lines_total")
