// Fuzzes the line splitter the socket and file sources share: however the same bytes arrive in chunks
// (all at once, one byte at a time, or cut where the input says), the lines and the count of invalid
// lines are the same, and they are those of a plain split of the whole input on "\n".
@testable import Spate

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    // Byte 0 seeds the chunk sizes, the rest is the stream.
    guard let seed = input.first else { return 0 }
    let stream = Array(input.dropFirst())
    let expected = reference(stream)
    check(split(stream, chunks: [stream.count]), expected, "one chunk", input)
    check(split(stream, chunks: [1]), expected, "byte by byte", input)
    var sizes: [Int] = []
    var state = UInt32(seed) | 1
    for _ in 0..<16 {
        state = state &* 1_103_515_245 &+ 12_345
        sizes.append(Int(state >> 16) % 9)   // 0 too: an empty read must change nothing
    }
    if sizes.allSatisfy({ $0 == 0 }) { sizes[0] = 1 }
    check(split(stream, chunks: sizes), expected, "chunks \(sizes)", input)
    return 0
}

/// The whole input split on "\n"; a last line without a newline counts; a trailing "\r" goes; lines that
/// are not UTF-8 are counted instead.
func reference(_ bytes: [UInt8]) -> LineSplitter.Output {
    var output = LineSplitter.Output()
    var pieces = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    if pieces.last?.isEmpty == true { pieces.removeLast() }
    for var piece in pieces {
        if piece.last == UInt8(ascii: "\r") { piece = piece.dropLast() }
        if let line = String(validating: piece, as: UTF8.self) { output.lines.append(line) } else { output.invalid += 1 }
    }
    return output
}

/// Feeds `bytes` in chunks of the given sizes, cycling through them (one of them is not 0).
func split(_ bytes: [UInt8], chunks: [Int]) -> LineSplitter.Output {
    var splitter = LineSplitter()
    var output = LineSplitter.Output()
    var start = 0, next = 0
    bytes.withUnsafeBytes { all in
        while start < all.count {
            let size = min(chunks[next % chunks.count], all.count - start)
            next += 1
            splitter.feed(UnsafeRawBufferPointer(rebasing: all[start..<(start + size)]), into: &output)
            start += size
        }
    }
    splitter.finish(into: &output)
    return output
}

func check(_ got: LineSplitter.Output, _ expected: LineSplitter.Output, _ how: String, _ input: [UInt8]) {
    if got.lines != expected.lines || got.invalid != expected.invalid {
        fatalError("\(how): lines \(got.lines) (\(got.invalid) invalid), expected \(expected.lines) (\(expected.invalid) invalid), input \(input)")
    }
}
