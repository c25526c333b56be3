import Foundation

/// Splits a byte stream into newline-delimited UTF-8 lines, keeping a line that spans several reads until its
/// newline arrives. `\r\n` endings lose their `\r`. A line that is not valid UTF-8 is dropped and counted,
/// so one bad record never stops a stream. Shared by the socket and file sources.
///
/// A line longer than `maxLineBytes` (before its newline) is dropped and counted as `oversized`: once a line
/// passes the bound its bytes are skipped, not kept, until the next newline, so memory stays bounded by
/// `maxLineBytes` whatever a peer sends.
struct LineSplitter {
    private var partial: [UInt8] = []
    /// The longest line kept, in bytes before its newline.
    let maxLineBytes: Int
    /// In a line already longer than `maxLineBytes`: skipping its bytes until the next newline.
    private var skipping = false

    /// A splitter keeping lines of at most `maxLineBytes` bytes (no bound by default).
    init(maxLineBytes: Int = .max) { self.maxLineBytes = Swift.max(0, maxLineBytes) }

    /// Decoded lines, the count of lines dropped as invalid UTF-8 and of lines dropped as too long.
    struct Output {
        var lines: [String] = []
        var invalid = 0
        var oversized = 0
    }

    /// Consumes `bytes`, appending every completed line to `output`.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, into output: inout Output) {
        let all = bytes.bindMemory(to: UInt8.self)
        var start = all.startIndex
        while let newline = Self.newline(in: all, from: start) {
            if skipping || partial.count + (newline - start) > maxLineBytes {
                dropOversized(into: &output)
            } else if partial.isEmpty {
                Self.emit(UnsafeBufferPointer(rebasing: all[start..<newline]), into: &output)
            } else {
                partial.append(contentsOf: all[start..<newline])
                partial.withUnsafeBufferPointer { Self.emit($0, into: &output) }
                partial.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
        guard start < all.endIndex, !skipping else { return }
        if partial.count + (all.endIndex - start) > maxLineBytes {
            // Past the bound without a newline yet: forget what was kept and skip the rest of the line.
            partial = []
            skipping = true
        } else {
            partial.append(contentsOf: all[start...])
        }
    }

    /// Ends the stream: a last line without a newline still counts (like `BufferedReader.readLine`).
    mutating func finish(into output: inout Output) {
        if skipping { dropOversized(into: &output) }
        guard !partial.isEmpty else { return }
        partial.withUnsafeBufferPointer { Self.emit($0, into: &output) }
        partial.removeAll()
    }

    /// Counts the too-long line that just ended and gets ready for the next one.
    private mutating func dropOversized(into output: inout Output) {
        output.oversized += 1
        skipping = false
        if !partial.isEmpty { partial = [] }
    }

    /// The index of the first newline in `all` at or after `start` (memchr: a vector scan, also in debug builds).
    private static func newline(in all: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < all.endIndex, let base = all.baseAddress,
              let found = memchr(base + start, Int32(UInt8(ascii: "\n")), all.endIndex - start) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    private static func emit(_ line: UnsafeBufferPointer<UInt8>, into output: inout Output) {
        var end = line.endIndex
        if end > line.startIndex, line[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        if let text = String(validating: line[line.startIndex..<end], as: UTF8.self) {
            output.lines.append(text)
        } else {
            output.invalid += 1
        }
    }
}
