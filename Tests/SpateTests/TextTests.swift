import Testing
@testable import Spate

@Suite struct TextTests {
    // MARK: Utf8Text views

    @Test func wordsSplitOnAsciiWhitespaceLikeStringSplit() {
        let samples = ["", " ", "a", "  to be\tor  not\r\nto be  ", "héllo wörld", "one"]
        for s in samples {
            let words = Utf8Text(s).words.map(\.string)
            let reference = s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r\n" || $0 == "\n" })
                .map(String.init)
            #expect(words == reference, "\(s)")
            #expect(Utf8Text(s).wordKeys.map(\.string) == reference)
            var visited: [String] = []
            Utf8Text(s).forEachWord { visited.append($0.string) }
            #expect(visited == reference)
        }
    }

    @Test func splitKeepsEmptyFieldsLikeCSV() {
        let line = Utf8Text("a,,b,")
        #expect(line.split(separator: UInt8(ascii: ",")).map(\.string) == ["a", "", "b", ""])
        #expect(Utf8Text("").split(separator: UInt8(ascii: ",")).map(\.string) == [""])
        var fields: [String] = []
        line.forEachField { i, f in
            #expect(i == fields.count)
            fields.append(f.string)
        }
        #expect(fields == ["a", "", "b", ""])
    }

    @Test func fieldByIndex() {
        let line = Utf8Text("1700000000,u42,c7,view,2.5")
        #expect(line.field(0)?.string == "1700000000")
        #expect(line.field(3) == "view")
        #expect(line.field(4)?.parseDouble() == 2.5)
        #expect(line.field(5) == nil)
        #expect(Utf8Text("a;b").field(1, separator: UInt8(ascii: ";"))?.string == "b")
    }

    @Test func viewsCompareByBytesNotPosition() {
        let line = Utf8Text("ab ab")
        let words = Array(line.words)
        #expect(words[0] == words[1])
        #expect(words[0].hashValue == words[1].hashValue)
        #expect(words[0] == "ab")
        #expect(words[0] != "abc")
        #expect(Utf8Text("abc") < Utf8Text("abd"))
        #expect(line.slice(from: 3, to: 5).string == "ab")
        #expect(Utf8Text("  x \n").trimmed().string == "x")
        #expect(Utf8Text("ERROR: disk").hasPrefix("ERROR"))
        #expect(!Utf8Text("ERR").hasPrefix("ERROR"))
        #expect(line[1] == UInt8(ascii: "b"))
    }

    // MARK: Byte parsers

    @Test func parseIntMatchesIntInit() {
        let samples = ["0", "42", "-17", "+8", "", "-", "+", "12a", " 1", "9223372036854775807",
                       "-9223372036854775808", "9223372036854775808", "-9223372036854775809", "007"]
        for s in samples {
            #expect(Utf8Text(s).parseInt() == Int(s), "\(s)")
        }
    }

    @Test func parseDoubleMatchesDoubleInit() {
        let samples = ["0", "2.5", "-12.375", "0.1", "3.14159265358979", "1e3", "-2.5E-3", ".5", "5.", "",
                       "-", "1.2.3", "abc", "inf", "12345678901234567890.5", "0.000001", "+7.25"]
        for s in samples {
            #expect(Utf8Text(s).parseDouble() == Double(s), "\(s)")
        }
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<2_000 {
            let cents = Int.random(in: -10_000_000...10_000_000, using: &rng)
            let s = "\(cents / 100).\(String(abs(cents % 100)).leftPadded(2))"
            let text = cents < 0 && cents / 100 == 0 ? "-" + s : s
            #expect(Utf8Text(text).parseDouble() == Double(text), "\(text)")
        }
    }

    /// Found by Fuzz/TextParsers: `Double(String)` stops at a NUL, so a field "900\0junk" parsed as 900.
    @Test func parseDoubleRefusesANulInsideTheText() {
        for text in ["900\0\0\0\086", "5\0", "1e3\0", "\0", "1.5\0junk"] {
            #expect(Utf8Text(text).parseDouble() == nil, "\(text.debugDescription)")
        }
        #expect(Utf8Text("900").parseDouble() == 900)
    }

    // MARK: TextKey

    @Test func textKeysEqualByBytesShortAndLong() {
        let short = "campaign-042", fifteen = "123456789012345", long = "a-rather-long-key-over-fifteen-bytes"
        for s in ["", short, fifteen, long, "ünïcødé"] {
            let a = TextKey(s), b = TextKey(Array(Utf8Text("x \(s) y").words)[1])
            if !s.isEmpty {
                #expect(a == b)
                #expect(a.hashValue == b.hashValue)
            }
            #expect(a.string == s)
            #expect(a.count == s.utf8.count)
        }
        #expect(TextKey(fifteen) != TextKey("123456789012346"))
        #expect(TextKey(long) != TextKey(long + "x"))
        #expect(TextKey("ab") != TextKey("ab\u{0}"))
        #expect(TextKey("a") < TextKey("b"))
        let literal: TextKey = "view"
        #expect(literal == TextKey(Utf8Text("view")))
    }

    @Test func textKeysOfEveryShortLengthRoundTrip() {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        for n in 0...20 {
            let s = String(decoding: alphabet.prefix(n), as: UTF8.self)
            let key = TextKey(s)
            #expect(key.string == s)
            #expect(key.count == n)
            // The same bytes inside a longer buffer, at an offset, give an equal key.
            let view = Utf8Text("xx" + s + "yy").slice(from: 2, to: 2 + n)
            #expect(TextKey(view) == key)
            #expect(TextKey(view).hashValue == key.hashValue)
            if n > 0 { #expect(TextKey(String(s.dropLast())) != key) }
        }
    }

    @Test func textKeyCountsLikeStringCounts() {
        var rng = SeededGenerator(seed: 11)
        let vocabulary = (0..<300).map { i in i % 7 == 0 ? "long-word-number-\(i)-padding" : "w\(i)" }
        var byKey: [TextKey: Int] = [:], byString: [String: Int] = [:]
        for _ in 0..<5_000 {
            let w = vocabulary[Int.random(in: 0..<vocabulary.count, using: &rng)]
            byKey[TextKey(Utf8Text(w)), default: 0] += 1
            byString[w, default: 0] += 1
        }
        #expect(Dictionary(uniqueKeysWithValues: byKey.map { ($0.key.string, $0.value) }) == byString)
    }

    // MARK: TextLines and the text queue stream

    @Test func textLinesFromNewlineDelimitedBytes() {
        let lines = TextLines(newlineDelimited: Array("a b\r\n\nc\nlast".utf8))
        #expect(lines.map(\.string) == ["a b", "", "c", "last"])
        #expect(TextLines(["x", "", "yz"]).map(\.string) == ["x", "", "yz"])
        let parts = TextLines((0..<5).map { "l\($0)" }).partitions(2)
        #expect(parts.map { $0.map(\.string) } == [["l0", "l1", "l2"], ["l3", "l4"]])
    }

    @Test func wordCountOverTextQueueStreamMatchesStrings() async throws {
        let batches = [["a b a", "c"], ["b b", "long-word-over-fifteen-bytes long-word-over-fifteen-bytes"], []]
        let ssc = manualContext()
        let counts = ssc.queueStream(lines: batches.map { TextLines($0) })
            .flatMap { $0.words }
            .map { (TextKey($0), 1) }
            .reduceByKey(+)
            .map { ($0.0.string, $0.1) }
        let out = Collector(counts)
        try await ssc.start()
        try await ssc.advance(by: .seconds(3))
        await ssc.stop()
        #expect(out.times == [1000, 2000, 3000])
        #expect(dictionary(out.results[0]) == ["a": 2, "b": 1, "c": 1])
        #expect(dictionary(out.results[1]) == ["b": 2, "long-word-over-fifteen-bytes": 2])
        #expect(out.results[2].isEmpty)
    }

    @Test func csvFilterAndCountPerCampaign() async throws {
        let rows = ["1,u1,c1,view,1.5", "2,u2,c1,click,2", "3,u1,c2,view,0.5", "4,u3,c1,view,1", "bad"]
        let ssc = manualContext()
        let views = ssc.queueStream(lines: [TextLines(rows)])
            .filter { $0.field(3) == "view" }
            .map { line in (TextKey(line.field(2)!), line.field(4)?.parseDouble() ?? 0) }
            .reduceByKey(+)
            .map { ($0.0.string, $0.1) }
        let out = Collector(views)
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        #expect(dictionary(out.results[0]) == ["c1": 2.5, "c2": 0.5])
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Keys from untrusted input cannot be chosen to collide: the hashes depend on the process's random seed.
@Suite struct TextKeyFloodingTests {
    /// Bytes that FNV-1a over 8-byte words (the long-key hash before) maps to one hash for every seed: flipping
    /// the top bit of two consecutive words adds 2^63 twice, which cancels.
    static func pairwiseFlipped(_ base: [UInt8], word: Int) -> [UInt8] {
        var b = base
        b[word * 8 + 7] ^= 0x80
        b[word * 8 + 15] ^= 0x80
        return b
    }

    @Test func longKeysThatCollideUnderAnUnkeyedHashDoNotCollide() {
        let base = Array("campaign-0123456789-abcdefghijklmnopqrstuv".utf8)
        let keys = [base] + (0..<3).map { Self.pairwiseFlipped(base, word: $0) }
        let hashes = Set(keys.map { bytes in bytes.withUnsafeBufferPointer { TextKey(bytes: $0).hashValue } })
        #expect(hashes.count == keys.count)
        var counts: [TextKey: Int] = [:]
        for bytes in keys { bytes.withUnsafeBufferPointer { counts[TextKey(bytes: $0), default: 0] += 1 } }
        #expect(counts.count == keys.count && counts.values.allSatisfy { $0 == 1 })
    }

    @Test func shortKeysSharingTheWordThatZeroedTheMixStillSpread() {
        // Before, a first word equal to the mix constant zeroed the first multiply for every seed, so all such
        // keys hashed alike. 15-byte keys: 8 fixed bytes (that word), then 7 varying ones.
        let first: UInt64 = 0xA076_1D64_78BD_642F
        let prefix = (0..<8).map { UInt8(truncatingIfNeeded: first >> UInt64($0 * 8)) }
        let keys = (0..<1000).map { i in (prefix + Array(String(format: "%07d", i).utf8)).withUnsafeBufferPointer { TextKey(bytes: $0) } }
        for _ in 0..<3 {
            // A dictionary's seed is random per process (and varies with its storage); any such seed will do.
            let seed = Int.random(in: .min ... .max)
            #expect(Set(keys.map { $0._rawHashValue(seed: seed) }).count > 990)
        }
        var counts: [TextKey: Int] = [:]
        for key in keys { counts[key, default: 0] += 1 }
        #expect(counts.count == 1000)
    }
}
