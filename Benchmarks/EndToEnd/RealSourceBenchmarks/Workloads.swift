import Foundation

/// The generated inputs of ../shared/WORKLOADS.md in text form, made once outside the timed part:
/// splitmix64 seeded with 42.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// Newline-terminated lines back to back, with where each ends: what the writers send, file and produce.
struct LineBlock: Sendable {
    var bytes: [UInt8] = []
    /// One past each line's newline.
    var ends: [Int] = []

    var count: Int { ends.count }
    /// The bytes of lines `range` (newlines included).
    func bytes(of range: Range<Int>) -> ArraySlice<UInt8> {
        bytes[(range.lowerBound == 0 ? 0 : ends[range.lowerBound - 1])..<ends[range.upperBound - 1]]
    }

    mutating func append(_ line: String) {
        bytes.append(contentsOf: line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        ends.append(bytes.count)
    }

    /// W1's lines: 10 words drawn from `w0`..`w9999`, Zipf(s = 1.0) by inverse CDF.
    static func wordLines(_ n: Int) -> LineBlock {
        var rng = SplitMix64(state: 42)
        var cdf: [Double] = []
        var total = 0.0
        for i in 0..<10_000 { total += 1.0 / Double(i + 1); cdf.append(total) }
        for i in cdf.indices { cdf[i] /= total }
        let words = (0..<10_000).map { "w\($0)" }
        var block = LineBlock()
        for _ in 0..<n {
            var line: [String] = []
            for _ in 0..<10 {
                let u = rng.unit()
                var lo = 0, hi = cdf.count - 1
                while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] < u { lo = mid + 1 } else { hi = mid } }
                line.append(words[lo])
            }
            block.append(line.joined(separator: " "))
        }
        return block
    }

    /// W2's events: `ts,user,campaign,kind,value` (kind 0 = view 90%, 1 = click 8%, 2 = purchase 2%).
    static func eventLines(_ n: Int) -> LineBlock {
        var rng = SplitMix64(state: 42)
        var block = LineBlock()
        for i in 0..<n {
            let user = rng.next() % 100_000, campaign = rng.next() % 1_000
            let k = rng.next() % 100
            let kind = k < 90 ? 0 : k < 98 ? 1 : 2
            let value = rng.unit() * 100
            block.append("\(1_700_000_000_000 + i),\(user),\(campaign),\(kind),\(String(format: "%.2f", value))")
        }
        return block
    }
}
