import Foundation
import Spate
import SpateFormats
import Synchronization
import Testing

/// Decoding streams on every source form: good records come out, the others are counted in
/// `BatchInfo.invalidRecords` (not `failedRecords`) and reach the dead-letter sink whole, with their error.
@Suite(.serialized) struct DecodedStreamTests {
    final class Counts: StreamingListener {
        let invalid = Mutex<[Int]>([]), failed = Mutex<[Int]>([]), errors = Mutex<[String]>([])
        func batchCompleted(_ info: BatchInfo) {
            invalid.withLock { $0.append(info.invalidRecords) }
            failed.withLock { $0.append(info.failedRecords) }
            errors.withLock { $0 += info.recordErrors }
        }
    }

    /// Runs `build` on a manual-clock context for `batches` batches; returns the counts and what came out.
    static func run<U: Sendable>(
        batches: Int, _ build: (StreamingContext) -> DStream<U>
    ) async throws -> (Counts, [U]) {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let counts = Counts()
        ssc.addListener(counts)
        let out = Mutex<[U]>([])
        build(ssc).foreachBatch { batch, _ in out.withLock { $0 += batch.collect() } }
        try await ssc.start()
        try await ssc.advance(by: .seconds(batches))
        await ssc.stop()
        return (counts, out.withLock { $0 })
    }

    @Test func avroBytesWithBadRecordsAreDeadLetteredAndCountedAsInvalid() async throws {
        let encode = RecordEncoding<Click>.avro(schema: Click.schema)
        let good = try Click.pythonRecords.map(encode.encode)
        let truncated = Array(good[0].prefix(3))
        let letters = Mutex<[DeadLetter<[UInt8]>]>([])
        let (counts, out) = try await Self.run(batches: 2) { ssc in
            ssc.queueStream([[good[0], truncated, good[1]], [[0xFF], good[2]]])
                .decoded(as: Click.self, .avro(schema: Click.schema)) { letter in letters.withLock { $0.append(letter) } }
        }
        #expect(Set(out) == Set(Click.pythonRecords))
        #expect(counts.invalid.withLock { $0 } == [1, 1])
        #expect(counts.failed.withLock { $0 } == [0, 0])
        let rejected = letters.withLock { $0 }
        #expect(Set(rejected.map(\.record)) == [truncated, [0xFF]])
        #expect(rejected.allSatisfy { $0.error.format == "avro" && $0.error.offset != nil })
        #expect(counts.errors.withLock { $0 }.contains { $0.contains("avro: at byte 0, field page: length 5 runs past the end") })
    }

    @Test func jsonLinesAsStringsAndAsUtf8Text() async throws {
        let lines = [#"{"page":"a","user_id":1,"amount":2.5,"tags":[],"kind":"BUY","counts":{}}"#, "not json", "{}"]
        let expected = Click(page: "a", userID: 1, amount: 2.5, tags: [], kind: .BUY, referrer: nil, counts: [:])
        let strings = Mutex<[String]>([])
        let (c1, out1) = try await Self.run(batches: 1) { ssc in
            ssc.queueStream([lines]).decoded(as: Click.self, .json) { l in strings.withLock { $0.append(l.record) } }
        }
        #expect(out1 == [expected] && c1.invalid.withLock { $0 } == [2])
        #expect(Set(strings.withLock { $0 }) == ["not json", "{}"])
        let (c2, out2) = try await Self.run(batches: 1) { ssc in
            ssc.queueStream([lines.map { Utf8Text($0) }]).decoded(as: Click.self, .json)
        }
        #expect(out2 == [expected] && c2.invalid.withLock { $0 } == [2])
    }

    @Test func theGenericFormTakesAnyRecordWithAPayload() async throws {
        struct Envelope: Sendable, Hashable { var shard: String; var data: [UInt8]? }
        let message = Click.pythonRecords[0].message
        let good = Envelope(shard: "s-1", data: try RecordEncoding<Spate_Test_Click>.protobuf.encode(message))
        let letters = Mutex<[DeadLetter<Envelope>]>([])
        let (counts, out) = try await Self.run(batches: 1) { ssc in
            ssc.queueStream([[good, Envelope(shard: "s-2", data: nil), Envelope(shard: "s-3", data: [0x0A, 0x09])]])
                .decoded(as: Spate_Test_Click.self, .protobuf, bytes: { $0.data }) { l in letters.withLock { $0.append(l) } }
        }
        #expect(out == [message])
        #expect(counts.invalid.withLock { $0 } == [2])
        #expect(Set(letters.withLock { $0.map(\.record.shard) }) == ["s-2", "s-3"])
    }

    @Test func valuesTheEncodingCannotWriteAreCountedAsInvalid() async throws {
        struct Loose: Codable, Sendable { var page: String; var user_id: Int64; var amount: Double; var tags: [String]; var kind: String; var counts: [String: Int32] }
        let ok = Loose(page: "p", user_id: 1, amount: 1, tags: [], kind: "BUY", counts: [:])
        var bad = ok
        bad.kind = "CLICK"
        let (counts, out) = try await Self.run(batches: 1) { ssc in
            ssc.queueStream([[ok, bad]]).encoded(.avro(schema: Click.schema))
        }
        #expect(out.count == 1 && counts.invalid.withLock { $0 } == [1])
        #expect(try RecordFormat<Click>.avro(schema: Click.schema).decode(out[0]).kind == .BUY)
    }
}
