import SpateKafka

// The campaign events of this example. Its end-to-end benchmark (Benchmarks/EndToEnd/KafkaPostgresEndToEnd)
// builds the `--consumer-group` mode's pipeline (per-batch counts under `key(windowMs:)`) and compiles this very
// file through a symbolic link, so the two cannot drift apart and the example's types need not be a library
// product.

/// One event, parsed from a record whose value is `<event time ms>,<campaign>,<user>`.
struct CampaignEvent: Sendable {
    /// A record that is not an event (the example sends it to the dead-letter topic with this reason).
    struct Malformed: Error, CustomStringConvertible {
        var value: String
        var description: String { "not '<event time ms>,<campaign>,<user>': \(value.prefix(80))" }
    }

    /// When the event happened, milliseconds since the epoch: what the windows go by.
    var timeMs: Int64
    /// The campaign.
    var campaign: String
    /// The record's value, as it came.
    var value: String
    /// Where the record came from, `<topic>/<partition>/<offset>`: the key of its copy in the late topic, so a
    /// copy written again after a crash is known for one.
    var origin: String

    /// The event of `record`; throws `Malformed` when it is not one.
    static func parse(_ record: KafkaRecord) throws -> CampaignEvent {
        let value = record.valueString ?? ""
        let fields = value.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 3, let time = Int64(fields[0]), time >= 0, !fields[1].isEmpty else {
            throw Malformed(value: value)
        }
        return CampaignEvent(
            timeMs: time, campaign: String(fields[1]), value: value,
            origin: "\(record.topic)/\(record.partition)/\(record.offset)")
    }

    /// The event's campaign and tumbling window of `windowMs`, computed by hand: the key the consumer-group modes
    /// count under (they keep partition-scoped running counts, which have no event-time windows).
    func key(windowMs: Int64) -> WindowKey {
        WindowKey(campaign: campaign, windowStart: timeMs - timeMs % windowMs)
    }
}

/// A campaign and an event-time window.
struct WindowKey: Hashable, Codable, Sendable {
    /// The campaign.
    var campaign: String
    /// The window's start, milliseconds since the epoch (a multiple of the window length).
    var windowStart: Int64
}
