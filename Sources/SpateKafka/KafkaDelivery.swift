import Spate

/// How `saveToKafka` delivers a batch's records.
public enum KafkaDelivery: Sendable, Equatable {
    /// The idempotent producer: no duplicates from producer retries, but a batch re-run after a crash is
    /// written again (at-least-once across restarts).
    case atLeastOnce
    /// One producer transaction per batch holding the batch's records and the offsets the batch consumed (as
    /// the input group's committed offsets), so a `read_committed` consumer of the topic sees each input's
    /// result once, whatever crashes. `transactionalID` names the pipeline: an instance started with the same
    /// id fences the older one (which stops with `KafkaError.producerFenced`) and aborts its open transaction.
    case exactlyOnce(transactionalID: String)
}

extension DStream {
    /// Writes every batch to `topic` as `delivery` says; with `.exactlyOnce`, Kafka to Kafka exactly once (as
    /// Kafka Streams' `exactly_once_v2`): each batch is one transaction holding its records and the input
    /// offsets it consumed (`consumed: kafka.batchOffsets` of the direct stream the records come from), which
    /// become the input group's committed offsets when, and only when, the records do. A restarted pipeline
    /// resumes from those offsets, and a batch found committed already (a checkpoint replay) is skipped.
    ///
    /// The input stream must start from the group's committed offsets (`startingOffsets: .committed`, the
    /// default), commit nothing itself (`commitOffsets: .never`), read all partitions in this process, read
    /// `read_committed` and live on the same cluster (`brokers`); otherwise `start()` fails with
    /// `KafkaError.exactlyOnceMisconfigured`, which names the fix. An abortable or failed transaction is
    /// aborted and the batch produced again (3 attempts, then the output fails with
    /// `KafkaError.transactionFailed`); a fenced producer fails with `KafkaError.producerFenced`. Dead letters
    /// of the input (`deadLetterTopic`) are flushed before each commit, outside the transaction
    /// (at-least-once, duplicates detectable by key). With `.atLeastOnce` this is
    /// `saveToKafka(topic:brokers:settings:_:)` and `consumed` is not used.
    /// ```swift
    /// let kafka = ssc.directKafkaStream(brokers: brokers, topics: ["in"], groupID: "upper")
    /// kafka.records.map { KafkaMessage(($0.valueString ?? "").uppercased(), key: $0.keyString) }
    ///     .saveToKafka(topic: "out", brokers: brokers, delivery: .exactlyOnce(transactionalID: "upper"),
    ///                  consumed: kafka.batchOffsets) { $0 }
    /// ```
    public func saveToKafka(
        topic: String, brokers: String, settings: [String: String] = [:], delivery: KafkaDelivery,
        consumed: BatchOffsets? = nil, _ message: @escaping @Sendable (T) -> KafkaMessage
    ) {
        guard case let .exactlyOnce(transactionalID) = delivery else {
            saveToKafka(topic: topic, brokers: brokers, settings: settings, message)
            return
        }
        let (source, offsets): (DirectKafkaSource, BatchOffsets)
        do {
            (source, offsets) = try KafkaDelivery.exactlyOnceSource(
                transactionalID: transactionalID, brokers: brokers, settings: settings, consumed: consumed)
        } catch {
            context.recordModuleDefinitionError(error)
            return
        }
        source.commitsInTransactions()
        foreach(
            KafkaTransactionalSink(
                topic: topic, brokers: brokers, settings: settings, transactionalID: transactionalID,
                consumed: offsets, source: source, logger: context.packageLogger, message: message),
            named: "saveToKafka(exactlyOnce)")
    }
}

extension DStream where T == KafkaMessage {
    /// Writes every batch's messages to `topic` as `delivery` says (see
    /// `saveToKafka(topic:brokers:settings:delivery:consumed:_:)`).
    public func saveToKafka(
        topic: String, brokers: String, settings: [String: String] = [:], delivery: KafkaDelivery,
        consumed: BatchOffsets? = nil
    ) {
        saveToKafka(topic: topic, brokers: brokers, settings: settings, delivery: delivery, consumed: consumed) { $0 }
    }
}

extension KafkaDelivery {
    /// The direct stream whose offsets an exactly-once sink commits and those offsets, or the misconfiguration
    /// that keeps it from promising exactly once.
    static func exactlyOnceSource(
        transactionalID: String, brokers: String, settings: [String: String], consumed: BatchOffsets?
    ) throws(KafkaError) -> (DirectKafkaSource, BatchOffsets) {
        func fail(_ problem: String, _ fix: String) -> KafkaError { .exactlyOnceMisconfigured(problem: problem, fix: fix) }
        guard !transactionalID.isEmpty else {
            throw fail("the transactional id is empty", "name the pipeline: .exactlyOnce(transactionalID: \"my-pipeline\")")
        }
        guard settings["transactional.id"] == nil || settings["transactional.id"] == transactionalID else {
            throw fail("settings name another transactional.id",
                       "remove \"transactional.id\" from settings; .exactlyOnce(transactionalID:) sets it")
        }
        guard let consumed else {
            throw fail("no consumed offsets",
                       "pass consumed: kafka.batchOffsets of the direct Kafka stream this output's records come from")
        }
        guard let source = consumed.origin as? DirectKafkaSource else {
            throw fail("the consumed offsets are not a Kafka stream's",
                       "pass consumed: kafka.batchOffsets of a directKafkaStream (only Kafka offsets can be "
                           + "committed in a Kafka transaction)")
        }
        guard !source.groupID.isEmpty else {
            throw fail("the input stream has no group id (its offsets would live only in the checkpoint)",
                       "give directKafkaStream a groupID: the transactions commit the consumed offsets for it")
        }
        guard case .committed = source.options.startingOffsets else {
            throw fail("the input stream does not start from the group's committed offsets, so a restart would "
                           + "not resume where the last transaction ended",
                       "set KafkaStreamOptions.startingOffsets = .committed (its default)")
        }
        guard source.options.commitOffsets == .never else {
            throw fail("the input stream commits offsets itself, outside the transactions",
                       "set KafkaStreamOptions.commitOffsets = .never (the transactions commit them)")
        }
        guard source.options.assignment == .allPartitions else {
            throw fail("the input stream reads a consumer group's share of the partitions",
                       "use assignment: .allPartitions (one instance per transactional.id reads all partitions)")
        }
        guard (source.options.settings["isolation.level"] ?? "read_committed") == "read_committed" else {
            throw fail("the input stream reads read_uncommitted (records of aborted transactions)",
                       "remove \"isolation.level\" from the stream's settings (Spate reads read_committed)")
        }
        guard source.brokers == brokers else {
            throw fail("the input stream reads \(source.brokers) but the output writes \(brokers): the consumed "
                           + "offsets can be committed only on the cluster the transaction writes",
                       "read and write the same cluster (the same brokers: string)")
        }
        return (source, consumed)
    }
}
