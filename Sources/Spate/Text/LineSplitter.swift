import Foundation

/// Splits a byte stream into newline-delimited UTF-8 lines, keeping a line that spans several reads until its
/// newline arrives. `\r\n` endings lose their `\r`. A line that is not valid UTF-8 is dropped and counted,
/// so one bad record never stops a stream. Shared by the socket and file sources, and public for receivers
/// that read a byte stream; `format` says whether the lines are `String`s or `Utf8Text` views of the bytes.
///
/// A line longer than `maxLineBytes` (before its newline) is dropped and counted as `oversized`: once a line
/// passes the bound its bytes are skipped, not kept, until the next newline, so memory stays bounded by
/// `maxLineBytes` whatever a peer sends.
/// ```swift
/// // In a Receiver of Utf8Text, for each chunk read from the connection:
/// var output = TextLineSplitter<Utf8Text>.Output()
/// chunk.withUnsafeBytes { splitter.feed($0, into: &output) }
/// context.store(contentsOf: output.lines)
/// ```
/// - Complexity: O(bytes); the `.utf8Lines` form copies each read's complete lines once, into one buffer.
public struct TextLineSplitter<Line: Sendable>: Sendable {
    /// How lines are handed out.
    public let format: TextLineFormat<Line>
    /// The longest line kept, in bytes before its newline.
    public let maxLineBytes: Int
    private var partial: [UInt8] = []
    /// In a line already longer than `maxLineBytes`: skipping its bytes until the next newline.
    private var skipping = false

    /// A splitter handing out lines in `format` of at most `maxLineBytes` bytes (no bound by default), with no
    /// partial line yet.
    public init(format: TextLineFormat<Line>, maxLineBytes: Int = .max) {
        self.format = format
        self.maxLineBytes = Swift.max(0, maxLineBytes)
    }

    /// Decoded lines, the count of lines dropped as invalid UTF-8 and of lines dropped as too long.
    public struct Output {
        /// The completed lines, in order.
        public var lines: [Line] = []
        /// Lines dropped because they are not valid UTF-8.
        public var invalid = 0
        /// Lines dropped because they are longer than `maxLineBytes`.
        public var oversized = 0

        /// No line yet.
        public init() {}
    }

    /// Consumes `bytes`, appending every completed line to `output`; a line without its newline yet waits.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into output: inout Output) {
        let all = bytes.bindMemory(to: UInt8.self)
        var start = all.startIndex
        if skipping || !partial.isEmpty {
            // The line begun in an earlier read: it gets a buffer of its own once its newline arrives.
            guard let newline = Self.newline(in: all, from: start, to: all.endIndex) else {
                keepPartial(all[start...])
                return
            }
            if skipping || partial.count + (newline - start) > maxLineBytes {
                dropOversized(into: &output)
            } else {
                partial.append(contentsOf: all[start..<newline])
                emit(partial, 0..<partial.count, into: &output)
                if format.keepsChunk { partial = [] } else { partial.removeAll(keepingCapacity: true) }
            }
            start = newline + 1
        }
        guard let last = all[start...].lastIndex(of: UInt8(ascii: "\n")) else {
            keepPartial(all[start...])
            return
        }
        if format.keepsChunk {
            // Views keep the bytes: the read's complete lines are copied once, into an array they share.
            let chunk = Array(all[start...last])
            chunk.withUnsafeBufferPointer { emitLines(chunk, $0, 0..<$0.count, into: &output) }
        } else {
            emitLines([], all, start..<(last + 1), into: &output)
        }
        if last + 1 < all.endIndex { keepPartial(all[(last + 1)...]) }
    }

    /// Keeps the start of a line whose newline has not arrived, unless that makes it longer than
    /// `maxLineBytes`: then what was kept is forgotten and the rest of the line is skipped.
    private mutating func keepPartial(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) {
        guard !skipping, !bytes.isEmpty else { return }
        if partial.count + bytes.count > maxLineBytes {
            partial = []
            skipping = true
        } else {
            partial.append(contentsOf: bytes)
        }
    }

    /// Counts the too-long line that just ended and gets ready for the next one.
    private mutating func dropOversized(into output: inout Output) {
        output.oversized += 1
        skipping = false
        if !partial.isEmpty { partial = [] }
    }

    /// Emits the lines of `bytes[range]`, which ends with a newline.
    private func emitLines(_ chunk: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
                           into output: inout Output) {
        var s = range.lowerBound
        while let newline = Self.newline(in: bytes, from: s, to: range.upperBound) {
            if newline - s > maxLineBytes { output.oversized += 1 } else { emit(chunk, bytes, s..<newline, into: &output) }
            s = newline + 1
        }
    }

    /// The index of the first newline in `bytes[from..<to]` (memchr: many bytes a step), or nil.
    private static func newline(in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        guard from < to, let base = bytes.baseAddress,
              let found = memchr(base + from, Int32(UInt8(ascii: "\n")), to - from) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// Ends the stream: a last line without a newline still counts (like `BufferedReader.readLine`).
    public mutating func finish(into output: inout Output) {
        if skipping { dropOversized(into: &output) }
        guard !partial.isEmpty else { return }
        emit(partial, 0..<partial.count, into: &output)
        partial.removeAll()
    }

    private func emit(_ chunk: [UInt8], _ range: Range<Int>, into output: inout Output) {
        chunk.withUnsafeBufferPointer { emit(chunk, $0, range, into: &output) }
    }

    private func emit(_ chunk: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
                      into output: inout Output) {
        var end = range.upperBound
        if end > range.lowerBound, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        if let line = format.line(format.keepsChunk ? chunk : [], bytes, range.lowerBound..<end) {
            output.lines.append(line)
        } else {
            output.invalid += 1
        }
    }
}

/// The splitter of `String` lines.
typealias LineSplitter = TextLineSplitter<String>

extension TextLineSplitter where Line == String {
    /// A splitter handing out `String`s of at most `maxLineBytes` bytes (no bound by default).
    init(maxLineBytes: Int = .max) { self.init(format: .strings, maxLineBytes: maxLineBytes) }
}
