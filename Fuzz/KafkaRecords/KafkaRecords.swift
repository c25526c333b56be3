// Fuzzes SpateKafka's record conversions, whatever the bytes: a record's key, value and headers as text and
// the dead letter built from it (Spate's own headers first, a producer's `spate.*` headers renamed, the key
// the record's origin), checkpointed offset ranges decoded from JSON with their counts and the per-batch
// bound applied to them, offsets lost to retention, and the text form of source offsets (decimal ones order
// as numbers; the order is a strict weak one). Never a trap.
import Foundation
import Spate
@testable import SpateKafka

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = input.first else { return 0 }
    let rest = Array(input.dropFirst())
    switch mode % 3 {
    case 0: records(rest)
    case 1: ranges(rest)
    default: offsets(rest)
    }
    return 0
}

/// Splits `bytes` at 0xFF into fields (a record's parts, a header's name and value, ...).
func fields(_ bytes: [UInt8]) -> [[UInt8]] { bytes.split(separator: 0xFF, omittingEmptySubsequences: false).map(Array.init) }

/// A record from fields: topic, key, value, then header name/value pairs (a value of one 0xFE byte is nil).
func records(_ bytes: [UInt8]) {
    let f = fields(bytes)
    let topic = String(decoding: f.first ?? [], as: UTF8.self)
    let number = f.count > 1 ? f[1].reduce(Int64(0)) { $0 &* 31 &+ Int64($1) } : 0
    var headers: [KafkaHeader] = []
    var i = 4
    while i < f.count {
        let value = i + 1 < f.count && f[i + 1] != [0xFE] ? f[i + 1] : nil
        headers.append(KafkaHeader(name: String(decoding: f[i], as: UTF8.self), value: value))
        i += 2
    }
    let record = KafkaRecord(
        topic: topic, partition: Int(truncatingIfNeeded: number), offset: number,
        key: f.count > 2 && f[2] != [0xFE] ? f[2] : nil, value: f.count > 3 ? f[3] : nil,
        timestampMilliseconds: number, headers: headers)
    _ = (record.keyString, record.valueString, record.header("spate.error"), record.hashValue)
    let reason = String(decoding: bytes.prefix(16), as: UTF8.self)
    let letter = KafkaDeadLetters.headers(of: record, reason: reason)
    check(letter.first { $0.name == "spate.error" }?.value == Array(reason.utf8), "the reason is Spate's own", bytes)
    check(letter.filter { $0.name == "spate.error" }.count == 1, "one spate.error header", bytes)
    check(letter.dropFirst(record.key == nil ? 4 : 5).allSatisfy { !$0.name.hasPrefix("spate.") },
          "a producer's spate.* headers are renamed", bytes)
    check(letter.count == headers.count + (record.key == nil ? 4 : 5), "every header kept", bytes)
    let key = KafkaDeadLetters.key(of: record)
    check(key == KafkaDeadLetters.key(of: record), "the dead letter's key is deterministic", bytes)
    check(String(decoding: key, as: UTF8.self).hasSuffix("/\(record.partition)/\(record.offset)"), "the key is the origin", bytes)
}

/// Offset ranges as a checkpoint keeps them (JSON), then counted, bounded and checked for lost offsets.
func ranges(_ bytes: [UInt8]) {
    guard bytes.count > 3 else { return }
    let decoded = try? JSONDecoder().decode([KafkaOffsetRange].self, from: Data(bytes.dropFirst(3)))
    var ranges = decoded ?? []
    // Ranges straight from the bytes too, since the JSON decoder rarely accepts mutated input.
    var numbers = bytes.dropFirst(3).map { Int64(Int8(bitPattern: $0)) }
    while numbers.count >= 2 {
        let (a, b) = (numbers.removeFirst(), numbers.removeFirst())
        let scale: Int64 = a & 1 == 0 ? 1 : Int64.max / 128
        ranges.append(KafkaOffsetRange(topic: "t", partition: Int(a & 3), fromOffset: a &* scale, untilOffset: b &* scale))
    }
    for r in ranges {
        _ = (r.count, r.topic, r.partition, r.description, r.isEmpty)
        if let loss = KafkaDataLoss.check(r.topicPartition, next: r.fromOffset, low: r.untilOffset) {
            check(loss.count > 0, "a loss counts records", bytes)
            _ = (loss.metadata, loss.error.description)
        }
    }
    let options = bytes.prefix(3).map(Int.init)
    let bound = KafkaBatchBound(
        maxRecordsPerPartition: options[0] == 0 ? nil : (options[0] == 255 ? Int.max : options[0]),
        maxRatePerPartition: options[1] == 0 ? nil : (options[1] == 255 ? Int.max : options[1] * 1000),
        batchIntervalMs: options[2] == 255 ? Int.max : options[2] + 1)
    var bounded = ranges.map { r -> KafkaOffsetRange in
        var r = r
        r.untilOffset = max(r.fromOffset, r.untilOffset)
        return r
    }
    let before = bounded
    let shortened = bound.apply(&bounded, lag: before.map(\.count), allowance: options[2] == 7 ? nil : options[2] * 3)
    for (i, r) in bounded.enumerated() {
        check(r.fromOffset == before[i].fromOffset && r.untilOffset <= before[i].untilOffset, "a bound only shortens", bytes)
        check(r.untilOffset > r.fromOffset || before[i].untilOffset == before[i].fromOffset, "a bound keeps at least one offset", bytes)
        check(shortened.contains(i) == (r.untilOffset < before[i].untilOffset), "shortened ranges are reported", bytes)
    }
    _ = bound.description
}

/// Two source offsets in text form (split at 0xFF): their integer values and their order.
func offsets(_ bytes: [UInt8]) {
    let f = fields(bytes)
    let a = SourceOffset(String(decoding: f.first ?? [], as: UTF8.self))
    let b = SourceOffset(String(decoding: f.count > 1 ? f[1] : [], as: UTF8.self))
    check(!(a < b && b < a), "the order is antisymmetric", bytes)
    check(!(a < a), "the order is irreflexive", bytes)
    if let x = a.int64Value, let y = b.int64Value, x >= 0, y >= 0, !a.value.hasPrefix("+"), !b.value.hasPrefix("+") {
        check((a < b) == (x < y), "decimal offsets order as numbers", bytes)
    }
    if let x = a.int64Value { check(SourceOffset(x).int64Value == x, "an offset's text form reads back", bytes) }
    let encoded = try? JSONEncoder().encode([a, b])
    if let encoded, let back = try? JSONDecoder().decode([SourceOffset].self, from: encoded) {
        check(back == [a, b], "offsets survive a checkpoint", bytes)
    }
}

func check(_ condition: Bool, _ what: String, _ input: [UInt8]) {
    if !condition { fatalError("\(what) fails for input \(input)") }
}
