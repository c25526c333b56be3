import Spate
import SpateKafka

/// The kill test's event-time input, chunk by chunk, and what the example must write for it, computed in plain
/// Swift by API.md's rules (section "Event time").
///
/// Chunk `k` (sent once chunk `k-1` was acknowledged) brings event time up to `T(k) = k * stepMs + delay`; its
/// on-time events have times in `(T(k) - delay, T(k)]`, up to `delay` out of order. They are on time whatever the
/// batching: a batch before theirs holds only records of chunks up to `k`, so W <= T(k) - delay. Its late events
/// lie in windows ending at or before `max(time) - delay` of a chunk `j` whose every record is behind the offsets
/// PostgreSQL stored, so a batch before theirs already raised the watermark past their window: late in every run,
/// and (their windows closed) never counted even where a recovery replays them together with chunk `j`.
struct EventTimeCampaigns {
    static let windowMs: Int64 = 10_000
    static let delayMs: Int64 = 2_000
    static let stepMs: Int64 = 1_500

    let partitions: Int
    let campaigns: Int
    var random: SeededRandom
    /// Per chunk, the messages sent to each partition up to and including it (the offsets after it).
    private(set) var sentThrough: [[Int64]] = []
    /// Per chunk, the largest event time sent up to and including it.
    private(set) var maxTimeThrough: [Int64] = []
    /// Every on-time event as `(campaign, time)`.
    private(set) var onTime: [(campaign: String, time: Int64)] = []
    /// Every late event's value (each unique).
    private(set) var late: [String] = []
    /// Every message sent, malformed ones included.
    private(set) var messages = 0

    init(partitions: Int, campaigns: Int, seed: UInt64) {
        self.partitions = partitions
        self.campaigns = campaigns
        self.random = SeededRandom(seed: seed)
    }

    /// The next chunk: `count` messages (every 50th malformed), plus `lateCount` late events when `committed`
    /// names a chunk whose watermark has closed a window. Each campaign lives in one partition.
    mutating func chunk(_ count: Int, lateCount: Int, committed: Int?) -> [KafkaMessage] {
        let k = sentThrough.count
        let top = Int64(k) * Self.stepMs + Self.delayMs
        var sent = sentThrough.last ?? Array(repeating: 0, count: partitions)
        var maxTime = maxTimeThrough.last ?? .min
        var out: [KafkaMessage] = []
        func send(_ value: String, campaign c: Int) {
            out.append(KafkaMessage(value, key: "c\(c)", partition: c % partitions))
            sent[c % partitions] += 1
        }
        for i in 0..<count {
            let c = Int.random(in: 0..<campaigns, using: &random)
            if i % 50 == 49 {
                send("not an event \(k)-\(i)", campaign: c)
                continue
            }
            let time = top - Int64.random(in: 0..<Self.delayMs, using: &random)
            send("\(time),c\(c),u\(k)-\(i)", campaign: c)
            onTime.append(("c\(c)", time))
            maxTime = max(maxTime, time)
        }
        if let j = committed {
            let closedEnd = (maxTimeThrough[j] - Self.delayMs) / Self.windowMs * Self.windowMs
            if closedEnd > 0 {
                for i in 0..<lateCount {
                    let c = Int.random(in: 0..<campaigns, using: &random)
                    let value = "\(Int64.random(in: 0..<closedEnd, using: &random)),c\(c),late\(k)-\(i)"
                    send(value, campaign: c)
                    late.append(value)
                }
            }
        }
        sentThrough.append(sent)
        maxTimeThrough.append(maxTime)
        messages += out.count
        return out
    }

    /// The last chunk whose every record is behind `stored` (the offsets PostgreSQL holds, per partition).
    func committedChunk(stored: [Int64]) -> Int? {
        sentThrough.lastIndex { through in zip(through, stored).allSatisfy { $0 <= $1 } }
    }

    /// The rows the table must hold in the end, as `campaign@window_start -> events`: every window closed by the
    /// final watermark (the largest event time minus the delay) with its on-time events; late events in none.
    var expected: [String: Int64] {
        guard let newest = onTime.map(\.time).max() else { return [:] }
        let watermark = newest - Self.delayMs
        var rows: [String: Int64] = [:]
        for (campaign, time) in onTime {
            let start = time - time % Self.windowMs
            if start + Self.windowMs <= watermark { rows["\(campaign)@\(start)", default: 0] += 1 }
        }
        return rows
    }
}
