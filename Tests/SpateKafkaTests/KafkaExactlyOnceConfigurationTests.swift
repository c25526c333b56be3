import Foundation
import Spate
import Testing
@testable import SpateKafka

/// `saveToKafka(..., delivery: .exactlyOnce)`: the configurations that cannot promise exactly once fail at
/// `start()` with the fix, and the guard that decides whether a batch is still to be written.
@Suite struct KafkaExactlyOnceConfigurationTests {
    typealias Broker = KafkaTestBroker

    /// The problem `start()` reports for a pipeline defined by `define`, or nil when it starts.
    static func problem(
        txID: String = "tx", groupID: String = "g", brokers: String = Broker.brokers,
        options: KafkaStreamOptions = KafkaStreamOptions(), settings: [String: String] = [:],
        consumed: ((KafkaStream) -> BatchOffsets?)? = nil
    ) async -> String? {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let kafka = ssc.directKafkaStream(brokers: Broker.brokers, topics: ["unused"], groupID: groupID, options: options)
        kafka.records.map { KafkaMessage(value: $0.value) }.saveToKafka(
            topic: "out", brokers: brokers, settings: settings, delivery: .exactlyOnce(transactionalID: txID),
            consumed: consumed.map { $0(kafka) } ?? kafka.batchOffsets)
        do {
            try await ssc.start()
            await ssc.stop(graceful: false)
            return nil
        } catch let KafkaError.exactlyOnceMisconfigured(problem, fix) {
            #expect(!fix.isEmpty)
            return problem
        } catch {
            return "unexpected: \(error)"
        }
    }

    @Test func misconfigurationsFailAtStartNamingTheFix() async {
        #expect(await Self.problem(txID: "")?.contains("transactional id is empty") == true)
        #expect(await Self.problem(groupID: "")?.contains("no group id") == true)
        #expect(await Self.problem(consumed: { _ in nil })?.contains("no consumed offsets") == true)
        let foreign = BatchOffsets(group: "g", ranges: { _ in [] }, rewind: { _ in })
        #expect(await Self.problem(consumed: { _ in foreign })?.contains("not a Kafka stream's") == true)
        #expect(await Self.problem(options: KafkaStreamOptions(startingOffsets: .earliest))?
            .contains("committed offsets") == true)
        #expect(await Self.problem(options: KafkaStreamOptions(commitOffsets: .afterOutputs))?
            .contains("commits offsets itself") == true)
        #expect(await Self.problem(options: KafkaStreamOptions(assignment: .consumerGroup))?
            .contains("consumer group's share") == true)
        #expect(await Self.problem(options: KafkaStreamOptions(settings: ["isolation.level": "read_uncommitted"]))?
            .contains("read_uncommitted") == true)
        #expect(await Self.problem(brokers: "127.0.0.1:9093")?.contains("can be committed only on the cluster") == true)
        #expect(await Self.problem(settings: ["transactional.id": "other"])?.contains("another transactional.id") == true)
    }

    static func range(_ p: Int, _ from: Int64, _ until: Int64) -> KafkaOffsetRange {
        KafkaOffsetRange(topic: "in", partition: p, fromOffset: from, untilOffset: until)
    }

    static func tp(_ p: Int) -> KafkaTopicPartition { KafkaTopicPartition(topic: "in", partition: p) }

    @Test func theGuardWritesFreshBatchesSkipsCommittedOnesAndRewindsOnConflicts() {
        let ranges = [Self.range(0, 10, 14), Self.range(1, 20, 20)]
        // Nothing committed yet, or committed where the batch starts (or before: a windowed output).
        #expect(KafkaTransactionGuard.check(ranges, committed: [:]) == .write)
        #expect(KafkaTransactionGuard.check(ranges, committed: [Self.tp(0): 10, Self.tp(1): 20]) == .write)
        #expect(KafkaTransactionGuard.check(ranges, committed: [Self.tp(0): 6]) == .write)
        // Committed where the batch ends: an earlier run wrote it.
        #expect(KafkaTransactionGuard.check(ranges, committed: [Self.tp(0): 14, Self.tp(1): 20]) == .written)
        // Inside the batch, or past it: another writer moved the offsets.
        #expect(KafkaTransactionGuard.check(ranges, committed: [Self.tp(0): 12]) == .conflict(rewind: [Self.tp(0): 12]))
        #expect(KafkaTransactionGuard.check(ranges, committed: [Self.tp(1): 25]) == .conflict(rewind: [
            Self.tp(1): 25, Self.tp(0): 10]))
        // Partly written: the partition not written reads its records again.
        let two = [Self.range(0, 10, 14), Self.range(1, 20, 22)]
        #expect(KafkaTransactionGuard.check(two, committed: [Self.tp(0): 14, Self.tp(1): 20]) == .conflict(rewind: [
            Self.tp(1): 20]))
    }
}
