import SpateKafka

// The campaign events of the Kafka -> windowed campaign counts -> PostgreSQL example, shared by the example
// (Examples/KafkaCampaignCounts) and its end-to-end benchmark (Benchmarks/EndToEnd/KafkaPostgresEndToEnd).

/// A campaign and an event-time window.
public struct WindowKey: Hashable, Codable, Sendable {
    /// The campaign.
    public var campaign: String
    /// The window's start, milliseconds since the epoch (a multiple of the window length).
    public var windowStart: Int64

    public init(campaign: String, windowStart: Int64) {
        self.campaign = campaign
        self.windowStart = windowStart
    }
}

/// One event, parsed from a record whose value is `<event time ms>,<campaign>,<user>`.
public struct CampaignEvent: Sendable {
    /// A record that is not an event (the example sends it to the dead-letter topic with this reason).
    public struct Malformed: Error, CustomStringConvertible {
        public var value: String
        public var description: String { "not '<event time ms>,<campaign>,<user>': \(value.prefix(80))" }
    }

    /// The event's campaign and window.
    public var key: WindowKey

    /// The event of `record`, in tumbling windows of `windowMs`; throws `Malformed` when it is not one.
    public static func parse(_ record: KafkaRecord, windowMs: Int64) throws -> CampaignEvent {
        let value = record.valueString ?? ""
        let fields = value.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 3, let time = Int64(fields[0]), time >= 0, !fields[1].isEmpty else {
            throw Malformed(value: value)
        }
        return CampaignEvent(key: WindowKey(campaign: String(fields[1]), windowStart: time - time % windowMs))
    }
}
