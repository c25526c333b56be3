import SpateKafka

// The campaign events of this example. Its end-to-end benchmark (Benchmarks/EndToEnd/KafkaPostgresEndToEnd)
// builds the same pipeline and compiles this very file through a symbolic link, so the two cannot drift apart
// and the example's types need not be a library product.

/// A campaign and an event-time window.
struct WindowKey: Hashable, Codable, Sendable {
    /// The campaign.
    var campaign: String
    /// The window's start, milliseconds since the epoch (a multiple of the window length).
    var windowStart: Int64

    init(campaign: String, windowStart: Int64) {
        self.campaign = campaign
        self.windowStart = windowStart
    }
}

/// One event, parsed from a record whose value is `<event time ms>,<campaign>,<user>`.
struct CampaignEvent: Sendable {
    /// A record that is not an event (the example sends it to the dead-letter topic with this reason).
    struct Malformed: Error, CustomStringConvertible {
        var value: String
        var description: String { "not '<event time ms>,<campaign>,<user>': \(value.prefix(80))" }
    }

    /// The event's campaign and window.
    var key: WindowKey

    /// The event of `record`, in tumbling windows of `windowMs`; throws `Malformed` when it is not one.
    static func parse(_ record: KafkaRecord, windowMs: Int64) throws -> CampaignEvent {
        let value = record.valueString ?? ""
        let fields = value.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 3, let time = Int64(fields[0]), time >= 0, !fields[1].isEmpty else {
            throw Malformed(value: value)
        }
        return CampaignEvent(key: WindowKey(campaign: String(fields[1]), windowStart: time - time % windowMs))
    }
}
