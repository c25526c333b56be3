import CRdKafka
import Spate
import Foundation
import Synchronization

/// One record to produce.
struct ProducerRecord: Sendable {
    var topic: String
    var partition: Int?
    var key: [UInt8]?
    var value: [UInt8]?
    var headers: [KafkaHeader] = []
    /// The record's CreateTime in ms since the epoch; nil lets librdkafka stamp it with the time of sending.
    var timestampMilliseconds: Int64? = nil
}

/// Collects the delivery reports of the records sent with it. librdkafka calls back with an unretained
/// opaque per record; each record holds one retain (taken in `send`, released in the callback).
final class DeliveryTracker: Sendable {
    private struct Counts { var delivered = 0, failed = 0, firstError: String? }
    private let counts = Mutex(Counts())

    func report(_ err: rd_kafka_resp_err_t) {
        counts.withLock { c in
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { c.delivered += 1 } else {
                c.failed += 1
                if c.firstError == nil { c.firstError = RdKafkaHandle.describe(err) }
            }
        }
    }

    /// Counts a record that never reached librdkafka.
    func reportFailure(_ message: String) {
        counts.withLock { c in
            c.failed += 1
            if c.firstError == nil { c.firstError = message }
        }
    }

    var delivered: Int { counts.withLock { $0.delivered } }
    var failed: (count: Int, first: String?) { counts.withLock { ($0.failed, $0.firstError) } }
}

/// A librdkafka producer (idempotent unless the settings say otherwise).
///
/// Sendable without `@unchecked`: the `rd_kafka_t` pointer lives inside a `Mutex` and every librdkafka call
/// on it runs within `withLock`; the delivery callback touches only the `DeliveryTracker` (its own Mutex).
///
/// `close(timeoutMs:)` (on the blocking pool, from the owner's stop or close) flushes and frees the handle;
/// `deinit` does both on a thread of its own for a producer nobody closed.
final class RdKafkaProducer: Sendable {
    /// The handle; nil once closed.
    private let handle: Mutex<OpaquePointer?>
    let brokers: String

    init(brokers: String, settings: [String: String] = [:]) throws {
        var all = RdKafkaHandle.baseSettings(brokers: brokers, clientID: "spate-producer")
        all["enable.idempotence"] = "true"
        all["linger.ms"] = "5"
        all["message.timeout.ms"] = "30000"
        all.merge(settings) { _, user in user }
        let h = try RdKafkaHandle.make(RD_KAFKA_PRODUCER, settings: all) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
                guard let message, let opaque = message.pointee._private else { return }
                Unmanaged<DeliveryTracker>.fromOpaque(opaque).takeRetainedValue().report(message.pointee.err)
            }
        }
        handle = Mutex(h)
        self.brokers = brokers
    }

    deinit {
        if let h = handle.withLock({ h in defer { h = nil }; return h }) {
            RdKafkaHandle.releaseOnOwnThread(h, closeConsumer: false, flushMs: 10_000)
        }
    }

    /// Waits up to `timeoutMs` for the queued records, then frees the handle; later calls fail. Idempotent.
    func close(timeoutMs: Int32) {
        BlockingIO.assertBlockingAllowed("rd_kafka_flush + rd_kafka_destroy (producer close)")
        handle.withLock { h in
            guard let open = h else { return }
            _ = rd_kafka_flush(open, timeoutMs)
            rd_kafka_destroy(open)
            h = nil
        }
    }

    /// Runs `body` with the open handle under its lock; throws when the producer was closed.
    func withHandle<R: Sendable>(_ operation: String, _ body: (OpaquePointer) throws -> R) throws -> R {
        try handle.withLock { h in
            guard let h else {
                throw KafkaError.client(operation: operation, reason: "the producer is closed (its output stopped)")
            }
            return try body(h)
        }
    }

    /// Queues `record`; its delivery is reported to `tracker`. Waits (serving callbacks) while librdkafka's
    /// queue is full.
    func send(_ record: ProducerRecord, tracker: DeliveryTracker) throws {
        try withHandle("produce to \(record.topic)") { h in try Self.produce(h, record, tracker) }
    }

    /// Queues every record of `records` and waits until each is delivered or failed (up to `timeoutMs`);
    /// throws when any failed.
    func sendAll(_ records: [ProducerRecord], topic: String, timeoutMs: Int32) throws {
        let tracker = DeliveryTracker()
        try withHandle("produce to \(topic)") { h in
            for r in records { try Self.produce(h, r, tracker) }
            let err = rd_kafka_flush(h, timeoutMs)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.deliveryFailed(
                    topic: topic, failed: records.count - tracker.delivered,
                    firstError: "flush: \(RdKafkaHandle.describe(err))")
            }
        }
        let (failed, first) = tracker.failed
        if failed > 0 { throw KafkaError.deliveryFailed(topic: topic, failed: failed, firstError: first ?? "?") }
    }

    /// Waits until every queued record is delivered or failed.
    func flush(timeoutMs: Int32) throws {
        BlockingIO.assertBlockingAllowed("rd_kafka_flush")
        try withHandle("flush") { h in
            let err = rd_kafka_flush(h, timeoutMs)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.client(operation: "flush", reason: RdKafkaHandle.describe(err))
            }
        }
    }

    static func produce(_ h: OpaquePointer, _ r: ProducerRecord, _ tracker: DeliveryTracker) throws {
        let partition = try r.partition.map { p -> Int32 in
            guard p >= 0, let p32 = Int32(exactly: p) else {
                throw KafkaError.client(
                    operation: "produce to \(r.topic)",
                    reason: "partition \(p) is not a partition number: use 0 up to the topic's partition count - 1, "
                        + "or nil to let the key choose")
            }
            return p32
        }
        // Every C string and buffer is copied into memory we free after the call: RD_KAFKA_MSG_F_COPY makes
        // librdkafka copy the payload, so nothing needs to outlive produceva.
        var owned: [UnsafeMutableRawPointer] = []
        defer { owned.forEach { free($0) } }
        func cString(_ s: String) -> UnsafePointer<CChar> {
            let p = strdup(s)!
            owned.append(UnsafeMutableRawPointer(p))
            return UnsafePointer(p)
        }
        func bytes(_ b: [UInt8]) -> UnsafeMutableRawPointer {
            let p = malloc(max(1, b.count))!
            b.withUnsafeBytes { if let base = $0.baseAddress { p.copyMemory(from: base, byteCount: b.count) } }
            owned.append(p)
            return p
        }
        var vus: [rd_kafka_vu_t] = []
        func add(_ type: rd_kafka_vtype_t, _ set: (inout rd_kafka_vu_t) -> Void) {
            var vu = rd_kafka_vu_t()
            vu.vtype = type
            set(&vu)
            vus.append(vu)
        }
        let topic = cString(r.topic)
        add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topic }
        if let partition { add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition } }
        if let v = r.value { let p = bytes(v); add(RD_KAFKA_VTYPE_VALUE) { $0.u.mem.ptr = p; $0.u.mem.size = v.count } }
        if let k = r.key { let p = bytes(k); add(RD_KAFKA_VTYPE_KEY) { $0.u.mem.ptr = p; $0.u.mem.size = k.count } }
        for header in r.headers {
            let name = cString(header.name)
            let val = header.value.map { bytes($0) }
            let size = header.value.map { $0.count } ?? -1
            add(RD_KAFKA_VTYPE_HEADER) { $0.u.header.name = name; $0.u.header.val = UnsafeRawPointer(val); $0.u.header.size = size }
        }
        if let ts = r.timestampMilliseconds { add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = ts } }
        add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
        let opaque = Unmanaged.passRetained(tracker).toOpaque()
        add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = opaque }
        while true {
            let error = vus.withUnsafeBufferPointer { rd_kafka_produceva(h, $0.baseAddress, $0.count) }
            guard let error else { return }
            let code = rd_kafka_error_code(error)
            let message = String(cString: rd_kafka_error_string(error))
            rd_kafka_error_destroy(error)
            if code == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                rd_kafka_poll(h, 50)
                continue
            }
            Unmanaged<DeliveryTracker>.fromOpaque(opaque).release()
            throw KafkaError.client(operation: "produce to \(r.topic)", reason: message)
        }
    }
}
