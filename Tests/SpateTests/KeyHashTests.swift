import SpateTesting
import Testing
@testable import Spate

/// String keys in the kernels hash with `KeyHash` (fast for ASCII) and still follow String's `==`: strings
/// that are equal (canonically equivalent) land in one partition, one table slot and one result row.
@Suite struct KeyHashTests {
    @Test func equalStringsHashAlike() {
        let pairs: [(String, String)] = [
            ("K", "\u{212A}"), (";", "\u{037E}"), ("`", "\u{1FEF}"), ("OK;", "O\u{212A}\u{037E}"),
            ("caf\u{E9}", "cafe\u{301}"), ("\u{1E30}", "\u{212A}\u{301}"), ("", ""),
            (String(repeating: "long-ascii-key-", count: 5), String(repeating: "long-ascii-key-", count: 5)),
        ]
        for (a, b) in pairs {
            #expect(a == b)
            #expect(KeyHash.of(a) == KeyHash.of(b), "\(a.unicodeScalars.map(\.value)) vs \(b.unicodeScalars.map(\.value))")
            #expect(FastStringKey(a)._rawHashValue(seed: 42) == FastStringKey(b)._rawHashValue(seed: 42))
        }
        #expect(KeyHash.of("view") != KeyHash.of("click"))
        #expect(KeyHash.of("w1") != KeyHash.of("w1 "))
    }

    @Test func everyScalarEqualToAnASCIICharacterHashesLikeIt() {
        // Checks the list of non-ASCII scalars whose canonical form is ASCII against the standard library.
        let ascii = Dictionary(uniqueKeysWithValues: (0..<128).map { (String(UnicodeScalar(UInt8($0))), $0) })
        var found: [UInt32] = []
        for v in UInt32(0x80)...0x10FFFF {
            guard let scalar = Unicode.Scalar(v) else { continue }
            let s = String(scalar)
            guard let c = ascii[s] else { continue }
            found.append(v)
            #expect(KeyHash.of(s) == KeyHash.of(String(UnicodeScalar(UInt8(c)))), "U+\(String(v, radix: 16))")
        }
        #expect(found.sorted() == [0x037E, 0x1FEF, 0x212A])
    }

    @Test func stringKeyedOperatorsMergeEqualStrings() async throws {
        // "K" and KELVIN SIGN are one String key: one count, one state, one join row, on any partition count.
        for parallelism in [1, 2, 3] {
            let driver = StreamingTestDriver(parallelism: parallelism) { t in
                let pairs = try t.input("pairs", of: (String, Int).self)
                try t.output("reduced", pairs.reduceByKey(+))
                try t.output("state", pairs.updateStateByKey { (values: [Int], old: Int?) in (old ?? 0) + values.reduce(0, +) })
                try t.output("joined", pairs.join(pairs.reduceByKey(+)))
            }
            try await driver.start()
            let words = ["K", "\u{212A}", "caf\u{E9}", "cafe\u{301}", "plain"] + (0..<200).map { "w\($0)" }
            try driver.input("pairs", of: (String, Int).self).push(words.map { ($0, 1) })
            try await driver.advance(batches: 1)
            let reduced = try driver.output("reduced", of: (String, Int).self).batches[0].records
            #expect(reduced.count == 203)
            #expect(Dictionary(reduced, uniquingKeysWith: +)["K"] == 2)
            #expect(Dictionary(reduced, uniquingKeysWith: +)["caf\u{E9}"] == 2)
            let state = try driver.output("state", of: (String, Int).self).batches[0].records
            #expect(state.count == 203)
            let joined = try driver.output("joined", of: (String, (Int, Int)).self).batches[0].records
            #expect(joined.count == 205)
            #expect(joined.filter { $0.0 == "K" }.allSatisfy { $0.1.1 == 2 })
            await driver.stop()
        }
    }
}
