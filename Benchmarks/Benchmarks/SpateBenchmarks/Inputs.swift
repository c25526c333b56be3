import Foundation
import Spate

/// The seeded generator (SplitMix64): every run benchmarks the same input.
typealias SeededGenerator = SeededRandom

extension SeededRandom {
    /// A standard normal sample (Box-Muller), for the k-means inputs' noise around their blob centres.
    mutating func gaussian() -> Double {
        var u = 0.0
        while u == 0 { u = Double.random(in: 0..<1, using: &self) }
        let v = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

/// Draws ranks 0..<n with probability proportional to 1 / (rank + 1) (Zipf, s = 1).
struct ZipfSampler {
    let cdf: [Double]
    init(_ n: Int) {
        var acc = 0.0
        var cdf: [Double] = []
        cdf.reserveCapacity(n)
        for r in 0..<n { acc += 1.0 / Double(r + 1); cdf.append(acc) }
        self.cdf = cdf.map { $0 / acc }
    }
    func sample(_ rng: inout SeededGenerator) -> Int {
        let u = Double.random(in: 0..<1, using: &rng)
        var lo = 0, hi = cdf.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cdf[mid] < u { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// Newline-delimited text, as a hand-written program reads it, and the same lines as the engine's batch.
struct TextBatchInput: Sendable {
    let raw: [UInt8]
    let lines: TextLines
    init(raw: [UInt8]) {
        self.raw = raw
        self.lines = TextLines(newlineDelimited: raw)
    }
}

enum Inputs {
    static let wordsPerLine = 10
    static let linesPerBatch = 100_000
    static let eventsPerBatch = 200_000
    static let users = 100_000
    static let campaigns = 1_000

    /// A 10,000-word vocabulary of lowercase pseudo-words, 2 to 12 letters.
    static func vocabulary(_ rng: inout SeededGenerator) -> [[UInt8]] {
        var seen = Set<[UInt8]>()
        var words: [[UInt8]] = []
        while words.count < 10_000 {
            let n = Int.random(in: 2...12, using: &rng)
            let w = (0..<n).map { _ in UInt8.random(in: UInt8(ascii: "a")...UInt8(ascii: "z"), using: &rng) }
            if seen.insert(w).inserted { words.append(w) }
        }
        return words
    }

    /// `count` batches of 100,000 lines of 10 Zipf-distributed words.
    static func wordCountBatches(_ count: Int) -> [TextBatchInput] {
        var rng = SeededGenerator(seed: 42)
        let vocab = vocabulary(&rng)
        let zipf = ZipfSampler(vocab.count)
        return (0..<count).map { _ in
            var raw: [UInt8] = []
            raw.reserveCapacity(linesPerBatch * 80)
            for _ in 0..<linesPerBatch {
                for w in 0..<wordsPerLine {
                    if w > 0 { raw.append(UInt8(ascii: " ")) }
                    raw.append(contentsOf: vocab[zipf.sample(&rng)])
                }
                raw.append(UInt8(ascii: "\n"))
            }
            return TextBatchInput(raw: raw)
        }
    }

    /// `count` batches of 200,000 CSV events `ts,user,campaign,kind,value`; a third of them views.
    static func csvBatches(_ count: Int) -> [TextBatchInput] {
        var rng = SeededGenerator(seed: 7)
        let kinds = ["view", "click", "purchase"].map { Array($0.utf8) }
        var ts = 1_700_000_000_000
        return (0..<count).map { _ in
            var raw: [UInt8] = []
            raw.reserveCapacity(eventsPerBatch * 48)
            for _ in 0..<eventsPerBatch {
                ts += 1
                let user = Int.random(in: 0..<users, using: &rng)
                let campaign = Int.random(in: 0..<campaigns, using: &rng)
                let cents = Int.random(in: 0..<100_000, using: &rng)
                let padded = String(campaign + 10_000).dropFirst()   // c0000 ... c0999
                let line = "\(ts),u\(user),c\(padded),"
                raw.append(contentsOf: line.utf8)
                raw.append(contentsOf: kinds[Int.random(in: 0..<3, using: &rng)])
                raw.append(contentsOf: ",\(cents / 100).\(cents % 100)\n".utf8)
            }
            return TextBatchInput(raw: raw)
        }
    }

    /// `count` batches of 200,000 `(user, value)` events over 100,000 users.
    static func eventBatches(_ count: Int, seed: UInt64) -> [[(Int, Int)]] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            (0..<eventsPerBatch).map { _ in
                (Int.random(in: 0..<users, using: &rng), Int.random(in: 1...100, using: &rng))
            }
        }
    }
}
