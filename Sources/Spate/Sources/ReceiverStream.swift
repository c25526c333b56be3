import Logging

/// The source of `receiverStream(_:)`: a `Receiver` run by its supervisor, storing into a buffer that each
/// batch drains (see `ReceivedRecordsSource`).
struct ReceiverSource<R: Receiver>: ReceivedRecordsSource {
    typealias Element = R.Element
    typealias Descriptor = Range<Int>
    typealias Position = Int
    let supervisor: ReceiverSupervisor<R>
    let parallelism: Int
    let name: String

    /// A source running `receiver` for `ssc`.
    init(_ receiver: R, in ssc: StreamingContext) {
        name = "receiverStream(\(R.self))"
        var logger = ssc.logger
        logger[metadataKey: "source"] = "\(name)"
        let received: ReceiverContext<R.Element> = ssc.receiverContext(name: name, logger: logger)
        supervisor = ReceiverSupervisor(receiver: receiver, context: received, logger: logger)
        parallelism = ssc.parallelism
    }

    var received: ReceiverContext<R.Element> { supervisor.context }

    func start() async throws {
        // Recovery may have opened the log already; otherwise open it (and re-buffer what it holds).
        try await received.openLog()
        supervisor.start()
    }

    func stop(graceful: Bool) async {
        await supervisor.stop(graceful: graceful)
        // What the receiver stored before it stopped reaches the buffer (and a graceful stop's final batch).
        await received.finishLog()
    }
}

extension StreamingContext {
    /// A stream of the records a custom `Receiver` stores, as Spark's `receiverStream`: each batch holds the
    /// records stored since the previous batch, split into `parallelism` partitions.
    ///
    /// The receiver runs in its own task from `start()`; `stop()` marks it stopped, calls `onStop` and waits
    /// for it. A graceful stop keeps the records already stored for the final batch.
    ///
    /// With backpressure or a maximum rate (`backpressure(_:)`), a batch takes at most the rate bound x batch
    /// interval records and the rest stay stored for the next batches; see `ReceiverContext.awaitCapacity()`.
    public func receiverStream<R: Receiver>(_ receiver: R) -> DStream<R.Element> {
        let source = ReceiverSource(receiver, in: self)
        return inputStream(source, rateLimiter: source.received.rateLimiter)
    }
}
