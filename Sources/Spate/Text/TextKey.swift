/// A hashable string key for keyed aggregation that owns its bytes: up to 15 UTF-8 bytes are stored inline
/// (no allocation, compared and hashed as two machine words), longer ones in an array. Building one from a
/// `Utf8Text` view copies a few bytes instead of decoding a `String`, so counting words or campaigns is
/// several times cheaper than with `[String: Int]`.
/// ```swift
/// let counts = lines.flatMap { $0.words }.map { (TextKey($0), 1) }.reduceByKey(+)
/// counts.map { ($0.0.string, $0.1) }.print()
/// ```
/// Keys compare by bytes: `TextKey("abc") == TextKey(Utf8Text("abc"))`.
public struct TextKey: Sendable {
    /// Short form: bytes 0..<15 of the key, byte 15 holds the length. Long form: `w0` is a hash of the
    /// bytes and `w1` holds the length with the top byte set to `longMarker`.
    @usableFromInline var w0: UInt64
    @usableFromInline var w1: UInt64
    /// The bytes of a key longer than 15 bytes; nil for short keys.
    @usableFromInline var long: [UInt8]?

    @usableFromInline static let inlineCapacity = 15
    @usableFromInline static let longMarker: UInt64 = 0xFF << 56

    /// A key holding `bytes` (which should be UTF-8).
    @inlinable
    public init(bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        #if _endian(little)
        if n <= TextKey.inlineCapacity {
            // Whole-word loads (overlapping at the tail) instead of a byte copy: keys are built per record.
            let (a, b) = TextKey.load(bytes)
            w0 = a
            w1 = b | UInt64(n) << 56
            long = nil
            return
        }
        #endif
        if n <= TextKey.inlineCapacity {
            var words: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &words) { dst in
                if n > 0 { dst.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: n) }
                dst[15] = UInt8(truncatingIfNeeded: n)
            }
            w0 = words.0
            w1 = words.1
            long = nil
        } else {
            w0 = TextKey.hashBytes(bytes)
            w1 = TextKey.longMarker | UInt64(n)
            long = Array(bytes)
        }
    }

    /// A key holding the bytes of `text`.
    @inlinable
    public init(_ text: Utf8Text) {
        self = text.withBytes { TextKey(bytes: $0) }
    }

    /// A key holding the UTF-8 bytes of `string`.
    public init(_ string: String) {
        var string = string
        self = string.withUTF8 { TextKey(bytes: $0) }
    }

    /// The number of bytes.
    @inlinable
    public var count: Int {
        long == nil ? Int(w1 >> 56) : Int(w1 & 0x00FF_FFFF_FFFF_FFFF)
    }

    /// Calls `body` with the key's bytes. The pointer is valid only during the call.
    @inlinable
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let long { return try long.withUnsafeBufferPointer(body) }
        var words = (w0, w1)
        let n = count
        return try withUnsafeBytes(of: &words) { raw in
            try body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n))
        }
    }

    /// The key as a String.
    public var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    /// Bytes 0..<n (n <= 15) of `p` as two little-endian words, reading only inside `p`.
    @inlinable @inline(__always)
    static func load(_ p: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        let n = p.count
        guard let base = p.baseAddress else { return (0, 0) }
        let raw = UnsafeRawPointer(base)
        if n >= 8 {
            let lo = raw.loadUnaligned(as: UInt64.self)
            if n == 8 { return (lo, 0) }
            // The last 8 bytes end at n; shift out the ones already in `lo`.
            let tail = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> UInt64((16 - n) * 8)
            return (lo, tail)
        }
        if n >= 4 {
            let lo = UInt64(raw.loadUnaligned(as: UInt32.self))
            let hi = UInt64(raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) >> UInt64((8 - n) * 8)
            return (lo | hi << 32, 0)
        }
        var w: UInt64 = 0
        for i in 0..<n { w |= UInt64(base[i]) << UInt64(i * 8) }
        return (w, 0)
    }

    /// A random seed drawn once per process from `Hasher` (so it is fixed when `SWIFT_DETERMINISTIC_HASHING`
    /// is set, like every Swift hash); mixed into every key's hash.
    @usableFromInline static let processSeed: UInt64 = {
        var hasher = Hasher()
        hasher.combine(0x7465_7874_6B65_79 as UInt64)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }()

    /// The long form's hash: SipHash through `Hasher`, keyed with the process's random seed, so keys from
    /// untrusted input cannot be chosen to collide (an unkeyed hash such as FNV has collisions that hold for
    /// every seed, which would turn a dictionary of such keys into a list).
    @inlinable
    static func hashBytes(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(p))
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }
}

extension TextKey: Hashable {
    /// Keys are equal when their bytes are equal.
    @inlinable
    public static func == (lhs: TextKey, rhs: TextKey) -> Bool {
        guard lhs.w0 == rhs.w0 && lhs.w1 == rhs.w1 else { return false }
        // Same words: both short (then equal), or both long with the same hash and length.
        guard let a = lhs.long, let b = rhs.long else { return true }
        return a == b
    }

    /// Feeds both words to the hasher: the inline bytes, or the long form's hash and length. (Mixing them
    /// into one word first would let chosen keys collide under every seed when a key is hashed inside
    /// another value, such as a tuple key.)
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(w0)
        hasher.combine(w1)
    }

    /// The seeded hash that `Set`, `Dictionary`, the hash partitioner and the join and state tables use
    /// (`hashValue` is this with seed 0), computed directly from the two words with two multiply-mix rounds
    /// (wyhash's `mum`) instead of a SipHash pass through `Hasher`: hashing is most of the cost of counting
    /// short keys. A random per-process seed (`TextKey.processSeed`, as `Hasher`'s) is mixed with the table's
    /// seed and enters both factors of the first round, so no key can zero a factor, and no set of keys can
    /// be chosen to collide, without knowing it (a fixed seed would let 20,000 chosen keys share one hash and
    /// turn every table into a list); long keys' words are already a keyed hash.
    @inlinable
    public func _rawHashValue(seed: Int) -> Int {
        let s = UInt64(bitPattern: Int64(seed)) ^ TextKey.processSeed
        let a = (w0 ^ s ^ 0xA076_1D64_78BD_642F).multipliedFullWidth(by: w1 ^ (s &* 0x9E37_79B9_7F4A_7C15) ^ 0xE703_7ED1_A0B4_28DB)
        let h = a.high ^ a.low
        let b = (h ^ 0x8EBC_6AF0_9C88_C6E3).multipliedFullWidth(by: s ^ 0x5899_65CC_7537_4CC3)
        return Int(truncatingIfNeeded: b.high ^ b.low)
    }
}

extension TextKey: Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// Byte-wise (UTF-8) order, which is Unicode scalar order.
    public static func < (lhs: TextKey, rhs: TextKey) -> Bool {
        lhs.withBytes { a in rhs.withBytes { b in a.lexicographicallyPrecedes(b) } }
    }

    /// The key as a String.
    public var description: String { string }

    /// A key from a string literal: `counts[TextKey("view")]` or `let k: TextKey = "view"`.
    public init(stringLiteral value: String) { self.init(value) }
}

extension TextKey: Codable {
    /// A key from its checkpointed form: a string, or an array of bytes for a key that is not UTF-8.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            self.init(string)
        } else {
            let bytes = try container.decode([UInt8].self)
            self = bytes.withUnsafeBufferPointer { TextKey(bytes: $0) }
        }
    }

    /// Encodes the key as a string (as a byte array when its bytes are not valid UTF-8), so the state of
    /// TextKey-keyed operators checkpoints.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let string = withBytes({ String(validating: $0, as: UTF8.self) }) {
            try container.encode(string)
        } else {
            try container.encode(withBytes { Array($0) })
        }
    }
}
