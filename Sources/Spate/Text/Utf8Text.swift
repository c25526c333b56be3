/// A cheap view of UTF-8 text: a range of bytes in a shared, immutable buffer. A line, a word of a line and a
/// field of a CSV line are all `Utf8Text` values that point into the same buffer, so splitting a line or
/// taking a field allocates nothing.
///
/// Text sources hand out lines as `Utf8Text`; the helpers here scan bytes directly:
/// ```swift
/// let counts = lines
///     .flatMap { $0.words }                 // views, no String per word
///     .map { (TextKey($0), 1) }             // short words stored inline, no allocation
///     .reduceByKey(+)
/// ```
/// Use `string` when a `String` is wanted. A view keeps its whole buffer alive: to keep a few bytes past the
/// batch (as a key in state, say), convert them with `TextKey(_:)` or `string`.
public struct Utf8Text: Sendable {
    /// The shared bytes the view points into.
    @usableFromInline let base: [UInt8]
    /// The view's first byte in `base`.
    @usableFromInline let start: Int
    /// One past the view's last byte in `base`.
    @usableFromInline let end: Int

    /// A view of `base[start..<end]`.
    @inlinable
    init(base: [UInt8], start: Int, end: Int) {
        self.base = base
        self.start = start
        self.end = end
    }

    /// A view of all of `bytes` (which should be UTF-8).
    public init(bytes: [UInt8]) {
        self.init(base: bytes, start: 0, end: bytes.count)
    }

    /// A view of `string`'s UTF-8 bytes (copies them once).
    public init(_ string: String) {
        self.init(bytes: Array(string.utf8))
    }

    /// The number of bytes.
    @inlinable public var count: Int { end - start }

    /// Whether the view holds no byte.
    @inlinable public var isEmpty: Bool { end == start }

    /// The text as a `String` (allocates when longer than 15 bytes; invalid UTF-8 is repaired).
    public var string: String {
        withBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the view's bytes. The pointer is valid only during the call.
    @inlinable
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try base.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[start..<end]))
        }
    }

    /// The byte at `offset` from the start of the view.
    @inlinable
    public subscript(offset: Int) -> UInt8 {
        precondition(offset >= 0 && offset < count, "Utf8Text offset out of range")
        return base.withUnsafeBufferPointer { $0[start + offset] }
    }

    /// The part of the view from byte `from` up to (not including) byte `to`, as a view of the same buffer.
    @inlinable
    public func slice(from: Int, to: Int) -> Utf8Text {
        precondition(from >= 0 && from <= to && to <= count, "Utf8Text slice out of range")
        return Utf8Text(base: base, start: start + from, end: start + to)
    }

    /// The view without leading and trailing ASCII whitespace.
    @inlinable
    public func trimmed() -> Utf8Text {
        base.withUnsafeBufferPointer { p in
            var s = start, e = end
            while s < e && Utf8Text.isSpace(p[s]) { s += 1 }
            while e > s && Utf8Text.isSpace(p[e - 1]) { e -= 1 }
            return Utf8Text(base: base, start: s, end: e)
        }
    }

    /// Whether `byte` is ASCII whitespace (space, tab, line feed, carriage return, vertical tab, form feed).
    @inlinable @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    /// Whether the view's bytes start with those of `prefix`.
    public func hasPrefix(_ prefix: String) -> Bool {
        var prefix = prefix
        return prefix.withUTF8 { pre in
            withBytes { mine in
                pre.count <= mine.count
                    && (pre.isEmpty || memcmpEqual(mine.baseAddress!, pre.baseAddress!, pre.count))
            }
        }
    }
}

/// Byte-wise equality of two non-overlapping ranges of `count` bytes.
@inlinable @inline(__always)
func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var i = 0
    // Eight bytes at a time, then the tail.
    while i + 8 <= count {
        let x = UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self)
        let y = UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self)
        if x != y { return false }
        i += 8
    }
    while i < count {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

extension Utf8Text: Hashable {
    /// Views are equal when their bytes are equal, wherever they point.
    @inlinable
    public static func == (lhs: Utf8Text, rhs: Utf8Text) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.count == 0 { return true }
        return lhs.withBytes { a in rhs.withBytes { b in memcmpEqual(a.baseAddress!, b.baseAddress!, a.count) } }
    }

    /// Hashes the bytes (not the position).
    public func hash(into hasher: inout Hasher) {
        withBytes { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(count)
    }

    /// Whether the view's bytes equal `string`'s UTF-8 bytes, without building a String.
    /// ```swift
    /// lines.filter { $0.field(3) == "view" }
    /// ```
    @inlinable
    public static func == (lhs: Utf8Text, rhs: String) -> Bool {
        var rhs = rhs
        return rhs.withUTF8 { r in
            guard r.count == lhs.count else { return false }
            if r.isEmpty { return true }
            return lhs.withBytes { memcmpEqual($0.baseAddress!, r.baseAddress!, r.count) }
        }
    }

    /// Whether the view's bytes differ from `string`'s UTF-8 bytes.
    @inlinable
    public static func != (lhs: Utf8Text, rhs: String) -> Bool { !(lhs == rhs) }
}

/// Whether the optional view holds `rhs`'s bytes (false when nil): `line.field(3) == "view"`.
@inlinable
public func == (lhs: Utf8Text?, rhs: String) -> Bool {
    guard let lhs else { return false }
    return lhs == rhs
}

extension Utf8Text: CustomStringConvertible, Comparable {
    /// The text as a String.
    public var description: String { string }

    /// Byte-wise (UTF-8 code unit) order, which is Unicode scalar order.
    public static func < (lhs: Utf8Text, rhs: Utf8Text) -> Bool {
        lhs.withBytes { a in rhs.withBytes { b in a.lexicographicallyPrecedes(b) } }
    }
}

extension Utf8Text: Codable {
    /// A view of a decoded string's bytes: received lines come back this way from the write-ahead log.
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the text as a string (the sources hand out only valid UTF-8, so it round-trips exactly).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }
}
