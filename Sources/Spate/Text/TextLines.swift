/// Lines of UTF-8 text stored back to back in one byte buffer: the cheap way to build and queue text batches.
/// ```swift
/// let batch = TextLines(["a b a", "c"])
/// let lines = ssc.queueStream(lines: [batch])      // DStream<Utf8Text>
/// ```
public struct TextLines: Sendable, RandomAccessCollection {
    /// The lines' bytes, without line terminators.
    public let bytes: [UInt8]
    /// Where each line starts in `bytes`; line `i` ends where line `i + 1` starts (or at the end).
    @usableFromInline let starts: [Int]

    /// The lines of `strings`, copied into one buffer.
    public init<S: Sequence<String>>(_ strings: S) {
        var bytes: [UInt8] = []
        var starts: [Int] = []
        for s in strings {
            starts.append(bytes.count)
            bytes.append(contentsOf: s.utf8)
        }
        self.bytes = bytes
        self.starts = starts
    }

    /// The lines of newline-delimited UTF-8 `text` (`\n` or `\r\n`; a final line without a newline counts).
    public init(newlineDelimited text: [UInt8]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var starts: [Int] = []
        var lineStart = 0
        text.withUnsafeBufferPointer { p in
            for i in 0..<p.count where p[i] == UInt8(ascii: "\n") {
                var e = i
                if e > lineStart && p[e - 1] == UInt8(ascii: "\r") { e -= 1 }
                starts.append(bytes.count)
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[lineStart..<e]))
                lineStart = i + 1
            }
            if lineStart < p.count {
                starts.append(bytes.count)
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[lineStart..<p.count]))
            }
        }
        self.bytes = bytes
        self.starts = starts
    }

    /// The first line's index (0).
    public var startIndex: Int { 0 }
    /// One past the last line's index.
    public var endIndex: Int { starts.count }

    /// Line `i`, as a view of the shared buffer.
    public subscript(i: Int) -> Utf8Text {
        Utf8Text(base: bytes, start: starts[i], end: i + 1 < starts.count ? starts[i + 1] : bytes.count)
    }

    /// Lines `range` as views of a private copy of their bytes: each partition of a batch gets its own
    /// buffer, so the cores never contend on one buffer's reference count.
    func copiedLines(_ range: Range<Int>) -> [Utf8Text] {
        if range.isEmpty { return [] }
        let from = starts[range.lowerBound]
        let to = range.upperBound < starts.count ? starts[range.upperBound] : bytes.count
        let own = Array(bytes[from..<to])
        var lines: [Utf8Text] = []
        lines.reserveCapacity(range.count)
        for i in range {
            let s = starts[i] - from
            let e = (i + 1 < starts.count ? starts[i + 1] : bytes.count) - from
            lines.append(Utf8Text(base: own, start: s, end: e))
        }
        return lines
    }

    /// The lines split in `parts` contiguous partitions, each over its own buffer.
    func partitions(_ parts: Int) -> [[Utf8Text]] {
        let n = Swift.max(1, parts)
        let size = count / n, extra = count % n
        var bounds: [Range<Int>] = []
        var start = 0
        for i in 0..<n {
            let end = start + size + (i < extra ? 1 : 0)
            bounds.append(start..<end)
            start = end
        }
        return Parallel.map(n) { copiedLines(bounds[$0]) }
    }
}

extension StreamingContext {
    /// A stream of text lines taking one queued `TextLines` batch per batch interval (or, with
    /// `oneAtATime: false`, all queued ones): each line is a `Utf8Text` view, so splitting and parsing it
    /// allocates nothing. Each partition's lines share one buffer of their own.
    /// ```swift
    /// let queue = QueueSource<TextLines>()
    /// let words = ssc.queueStream(lines: queue).flatMap { $0.words }
    /// queue.push([TextLines(["to be or not to be"])])
    /// ```
    public func queueStream(lines queue: QueueSource<TextLines>, oneAtATime: Bool = true) -> DStream<Utf8Text> {
        let parallelism = self.parallelism
        return inputStream(queueSource(queue, oneAtATime: oneAtATime) { batches in
            switch batches?.count ?? 0 {
            case 0: return Array(repeating: [], count: parallelism)
            case 1: return batches![0].partitions(parallelism)
            default: return TextLines(batches!.lazy.flatMap { $0 }.map(\.string)).partitions(parallelism)
            }
        })
    }

    /// A stream over fixed text batches: the first batch interval gets `batches[0]`'s lines, the next
    /// `batches[1]`'s, and so on; then empty batches.
    public func queueStream(lines batches: [TextLines], oneAtATime: Bool = true) -> DStream<Utf8Text> {
        queueStream(lines: QueueSource(batches.map { [$0] }), oneAtATime: oneAtATime)
    }
}
