import Testing
@testable import Spate

/// The splitter behind the text sources: however the bytes arrive in reads, both forms give the lines of a
/// plain split on "\n" (a trailing "\r" dropped, a last line without newline kept, invalid UTF-8 counted).
@Suite struct LineSplitterTests {
    static func split<Line>(_ bytes: [UInt8], chunks: [Int], _ format: TextLineFormat<Line>) -> TextLineSplitter<Line>.Output {
        var splitter = TextLineSplitter(format: format)
        var output = TextLineSplitter<Line>.Output()
        var at = 0, k = 0
        while at < bytes.count {
            let n = min(bytes.count - at, chunks[k % chunks.count])
            k += 1
            bytes[at..<(at + n)].withUnsafeBytes { splitter.feed($0, into: &output) }
            at += n
        }
        splitter.finish(into: &output)
        return output
    }

    static func reference(_ bytes: [UInt8]) -> (lines: [String], invalid: Int) {
        var pieces = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if pieces.last?.isEmpty == true { pieces.removeLast() }
        var lines: [String] = [], invalid = 0
        for var p in pieces {
            if p.last == UInt8(ascii: "\r") { p.removeLast() }
            if let s = String(validating: p, as: UTF8.self) { lines.append(s) } else { invalid += 1 }
        }
        return (lines, invalid)
    }

    @Test func everyChunkingGivesThePlainSplitInBothForms() {
        var rng = SeededGenerator(seed: 12)
        let alphabet: [[UInt8]] = [[0x61], [0x62], [0x20], [0x0A], [0x0D, 0x0A], [0x0D], [0xC3, 0xA9], [0xFF],
                                   [0xE2, 0x82], [0xF0, 0x9F, 0x98, 0x80], Array("word".utf8)]
        for _ in 0..<300 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...60, using: &rng) {
                bytes += alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
            }
            let expected = Self.reference(bytes)
            let chunkings = [[max(1, bytes.count)], [1], (0..<5).map { _ in Int.random(in: 1...9, using: &rng) }]
            for chunks in chunkings {
                let strings = Self.split(bytes, chunks: chunks, .strings)
                let views = Self.split(bytes, chunks: chunks, .utf8Lines)
                #expect(strings.lines == expected.lines, "\(bytes) in \(chunks)")
                #expect(strings.invalid == expected.invalid)
                #expect(views.lines.map(\.string) == expected.lines, "\(bytes) in \(chunks)")
                #expect(views.invalid == expected.invalid)
            }
        }
    }

    @Test func utf8ValidationMatchesTheStandardLibrary() {
        let samples: [[UInt8]] = [[], Array("plain ascii longer than eight".utf8), [0xC3, 0xA9], [0xC3], [0xC0, 0x80],
                                  [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], Array("12345678".utf8) + [0xE2, 0x82, 0xAC],
                                  Array("12345678".utf8) + [0xE2, 0x82], [0xF0, 0x9F, 0x98, 0x80]]
        for s in samples {
            let valid = s.withUnsafeBufferPointer { Utf8Text.isValidUTF8($0) }
            #expect(valid == (String(validating: s, as: UTF8.self) != nil), "\(s)")
        }
    }
}
