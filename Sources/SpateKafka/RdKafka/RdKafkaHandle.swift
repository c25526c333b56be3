import CRdKafka
import Foundation

/// Creates librdkafka client handles: the only place a `rd_kafka_conf_t` is built. The files of this folder
/// are SpateKafka's whole C layer; everything above them deals in Swift values.
enum RdKafkaHandle {
    /// A new consumer or producer handle configured with `settings` (librdkafka's keys and values).
    /// `configure` may install callbacks on the configuration before the handle takes it over.
    static func make(
        _ type: rd_kafka_type_t, settings: [String: String],
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError.client(operation: "configuration", reason: "rd_kafka_conf_new returned nil")
        }
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError.invalidConfiguration(key: key, reason: Self.string(errstr))
            }
        }
        configure(conf)
        // On success the handle owns `conf`; on failure it stays ours to free.
        guard let handle = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError.client(operation: "client creation", reason: Self.string(errstr))
        }
        return handle
    }

    /// The settings every Spate client starts from (the user's settings override them).
    static func baseSettings(brokers: String, clientID: String) -> [String: String] {
        [
            "bootstrap.servers": brokers,
            "client.id": clientID,
            // librdkafka logs every failed connect to stderr; Spate reports broker trouble through its logger.
            "log_level": "2",
            "socket.timeout.ms": "10000",
            "reconnect.backoff.ms": "100",
            "reconnect.backoff.max.ms": "2000",
        ]
    }

    /// The settings of a consumer of `groupID` that never commits or stores offsets on its own (Spate
    /// commits each batch's offsets itself), with the user's settings merged over them.
    static func consumerSettings(
        brokers: String, clientID: String, groupID: String, settings: [String: String], extra: [String: String]
    ) -> [String: String] {
        var all = baseSettings(brokers: brokers, clientID: clientID)
        all["group.id"] = groupID
        all["enable.auto.commit"] = "false"
        all["enable.auto.offset.store"] = "false"
        all["enable.partition.eof"] = "false"
        all.merge(extra) { _, new in new }
        all.merge(settings) { _, user in user }
        return all
    }

    /// Frees `handle` on a thread of its own: the safety net of a client's `deinit` when nobody closed it.
    /// librdkafka's close, flush and destroy wait for the broker and for librdkafka's own threads, so they must
    /// not run on whatever thread dropped the last reference (a cooperative one, most likely). `keepAlive` is
    /// what librdkafka's callbacks reach through their opaque pointer (they may still run during the close).
    static func releaseOnOwnThread(
        _ handle: OpaquePointer, closeConsumer: Bool, flushMs: Int32, keepAlive: (any Sendable)? = nil
    ) {
        let owned = OwnedHandle(pointer: handle)
        let thread = Thread {
            withExtendedLifetime(keepAlive) {
                if closeConsumer { rd_kafka_consumer_close(owned.pointer) }
                if flushMs > 0 { _ = rd_kafka_flush(owned.pointer, flushMs) }
                rd_kafka_destroy(owned.pointer)
            }
        }
        thread.name = "spate-rdkafka-release"
        thread.start()
    }

    static func string(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// librdkafka's description of `err`.
    static func describe(_ err: rd_kafka_resp_err_t) -> String {
        String(cString: rd_kafka_err2str(err))
    }
}

/// A handle on its way to the thread that frees it.
///
/// `@unchecked Sendable` is safe: the `deinit` that creates it has just taken the client's only copy of the
/// pointer out of its lock (leaving nil behind) and never uses it again, so exactly one thread, the releasing
/// one, ever touches the handle afterwards.
private struct OwnedHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
