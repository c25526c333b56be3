import CRdKafka
import Spate

/// A failed call of librdkafka's transactional API, classified the way librdkafka asks callers to react.
struct RdKafkaTransactionError: Error, Sendable, CustomStringConvertible {
    /// What the caller must do.
    enum Kind: Sendable, Equatable {
        /// Call the same function again (a timeout, a coordinator that moved).
        case retriable
        /// Abort the transaction and run it again from its first record.
        case abortable
        /// Another producer with the same `transactional.id` took over: this one can do nothing more.
        case fenced
        /// The producer cannot go on (a fatal error, or a call in the wrong state).
        case fatal
    }

    let operation: String
    let kind: Kind
    let reason: String

    var description: String { "\(operation): \(reason)" }

    /// The classification of `error`, which the caller still owns.
    init(_ operation: String, _ error: OpaquePointer) {
        self.operation = operation
        reason = String(cString: rd_kafka_error_string(error))
        let code = rd_kafka_error_code(error)
        if code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED
            || code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH {
            kind = .fenced
        } else if rd_kafka_error_is_fatal(error) != 0 {
            kind = .fatal
        } else if rd_kafka_error_txn_requires_abort(error) != 0 {
            kind = .abortable
        } else if rd_kafka_error_is_retriable(error) != 0 {
            kind = .retriable
        } else {
            kind = .fatal
        }
    }

    init(_ operation: String, kind: Kind, reason: String) {
        self.operation = operation
        self.kind = kind
        self.reason = reason
    }
}

/// Transactions on a producer whose settings name a `transactional.id`. Every call waits for the broker, so
/// callers run them on the blocking pool. Errors are `RdKafkaTransactionError`s; retriable ones are retried
/// here (librdkafka: "call the function again"), up to `attempts` times.
extension RdKafkaProducer {
    static let attempts = 3

    /// Makes the producer transactional: fences older producers of the same id and aborts what they left open.
    func initTransactions(timeoutMs: Int32) throws {
        BlockingIO.assertBlockingAllowed("rd_kafka_init_transactions")
        try transactionCall("init transactions") { rd_kafka_init_transactions($0, timeoutMs) }
    }

    /// Starts a transaction: the records sent until `endTransaction` are read by `read_committed` consumers only
    /// once it commits, and never when it aborts.
    func beginTransaction() throws {
        try transactionCall("begin transaction") { rd_kafka_begin_transaction($0) }
    }

    /// Commits (flushing first) or aborts the transaction in progress.
    func endTransaction(commit: Bool, timeoutMs: Int32) throws {
        BlockingIO.assertBlockingAllowed("rd_kafka_commit_transaction / rd_kafka_abort_transaction")
        try transactionCall(commit ? "commit transaction" : "abort transaction") {
            commit ? rd_kafka_commit_transaction($0, timeoutMs) : rd_kafka_abort_transaction($0, timeoutMs)
        }
    }

    /// Produces `records` in the transaction in progress and waits until the broker wrote each (uncommitted);
    /// a record that failed makes the transaction abortable (or reports the producer fenced).
    func produceInTransaction(_ records: [ProducerRecord], topic: String, timeoutMs: Int32) throws {
        BlockingIO.assertBlockingAllowed("rd_kafka_flush (transaction)")
        let tracker = DeliveryTracker()
        let operation = "produce to \(topic) in a transaction"
        try withHandle(operation) { h in
            do {
                for r in records { try Self.produce(h, r, tracker) }
            } catch {
                throw Self.failure(operation, on: h, otherwise: "\(error)")
            }
            let err = rd_kafka_flush(h, timeoutMs)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw Self.failure(operation, on: h, otherwise: "flush: \(RdKafkaHandle.describe(err))")
            }
            let (failed, first) = tracker.failed
            if failed > 0 {
                throw Self.failure(operation, on: h, otherwise: "\(failed) record(s) not written: \(first ?? "?")")
            }
        }
    }

    /// Adds `offsets` (the next offset to read of each partition) as `groupID`'s committed offsets to the
    /// transaction in progress: they become the group's only if it commits.
    func sendOffsetsToTransaction(_ offsets: [KafkaTopicPartition: Int64], groupID: String, timeoutMs: Int32) throws {
        guard !offsets.isEmpty else { return }
        BlockingIO.assertBlockingAllowed("rd_kafka_send_offsets_to_transaction")
        let list = RdKafkaConsumer.list(offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard let group = rd_kafka_consumer_group_metadata_new(groupID) else {
            throw RdKafkaTransactionError("send offsets", kind: .fatal, reason: "no group metadata for '\(groupID)'")
        }
        defer { rd_kafka_consumer_group_metadata_destroy(group) }
        try transactionCall("send offsets of group \(groupID)") {
            rd_kafka_send_offsets_to_transaction($0, list, group, timeoutMs)
        }
    }

    /// The error of a failed produce or flush: the producer's fatal error (fenced, or other) when it has one,
    /// else an abortable one with `reason`.
    private static func failure(_ operation: String, on h: OpaquePointer, otherwise reason: String) -> RdKafkaTransactionError {
        var errstr = [CChar](repeating: 0, count: 512)
        let fatal = rd_kafka_fatal_error(h, &errstr, errstr.count)
        guard fatal != RD_KAFKA_RESP_ERR_NO_ERROR else {
            return RdKafkaTransactionError(operation, kind: .abortable, reason: reason)
        }
        let fenced = fatal == RD_KAFKA_RESP_ERR__FENCED || fatal == RD_KAFKA_RESP_ERR_PRODUCER_FENCED
            || fatal == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH
        return RdKafkaTransactionError(operation, kind: fenced ? .fenced : .fatal, reason: RdKafkaHandle.string(errstr))
    }

    /// Runs `call` until it succeeds, fails other than retriably, or failed retriably `attempts` times.
    private func transactionCall(_ operation: String, _ call: (OpaquePointer) -> OpaquePointer?) throws {
        try withHandle(operation) { h in
            var attempt = 1
            while let error = call(h) {
                let failure = RdKafkaTransactionError(operation, error)
                rd_kafka_error_destroy(error)
                guard failure.kind == .retriable, attempt < Self.attempts else { throw failure }
                attempt += 1
            }
        }
    }
}
