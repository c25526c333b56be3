import Foundation

/// Splits a byte stream into newline-delimited UTF-8 lines, keeping a line that spans several reads until its
/// newline arrives. `\r\n` endings lose their `\r`. A line that is not valid UTF-8 is dropped and counted,
/// so one bad record never stops a stream. Shared by the socket and file sources, and public for receivers
/// that read a byte stream; `format` says whether the lines are `String`s or `Utf8Text` views of the bytes.
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
    private var partial: [UInt8] = []

    /// A splitter handing out lines in `format`, with no partial line yet.
    public init(format: TextLineFormat<Line>) { self.format = format }

    /// Decoded lines and the count of lines dropped as invalid UTF-8.
    public struct Output {
        /// The completed lines, in order.
        public var lines: [Line] = []
        /// Lines dropped because they are not valid UTF-8.
        public var invalid = 0

        /// No line yet.
        public init() {}
    }

    /// Consumes `bytes`, appending every completed line to `output`; a line without its newline yet waits.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into output: inout Output) {
        let all = bytes.bindMemory(to: UInt8.self)
        var start = all.startIndex
        if !partial.isEmpty {
            // The line begun in an earlier read: it gets a buffer of its own once its newline arrives.
            guard let newline = Self.newline(in: all, from: start, to: all.endIndex) else {
                partial.append(contentsOf: all)
                return
            }
            partial.append(contentsOf: all[start..<newline])
            emit(partial, 0..<partial.count, into: &output)
            if format.keepsChunk { partial = [] } else { partial.removeAll(keepingCapacity: true) }
            start = newline + 1
        }
        guard let last = all[start...].lastIndex(of: UInt8(ascii: "\n")) else {
            partial.append(contentsOf: all[start...])
            return
        }
        if format.keepsChunk {
            // Views keep the bytes: the read's complete lines are copied once, into an array they share.
            let chunk = Array(all[start...last])
            chunk.withUnsafeBufferPointer { emitLines(chunk, $0, 0..<$0.count, into: &output) }
        } else {
            emitLines([], all, start..<(last + 1), into: &output)
        }
        if last + 1 < all.endIndex { partial.append(contentsOf: all[(last + 1)...]) }
    }

    /// Emits the lines of `bytes[range]`, which ends with a newline.
    private func emitLines(_ chunk: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
                           into output: inout Output) {
        var s = range.lowerBound
        while let newline = Self.newline(in: bytes, from: s, to: range.upperBound) {
            emit(chunk, bytes, s..<newline, into: &output)
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
    /// A splitter handing out `String`s.
    init() { self.init(format: .strings) }
}
